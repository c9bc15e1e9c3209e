import type { PrismaClient } from "@prisma/client";

/**
 * Recounts a shop's day summary from its Delivery rows, for tests that seed deliveries with
 * Prisma directly instead of through the outbox transitions (which keep it themselves).
 */
export async function rebuildDaySummary(
  prisma: PrismaClient,
  shop: string,
): Promise<void> {
  const rows = await prisma.delivery.findMany({
    where: { shop },
    select: {
      createdAt: true,
      source: true,
      pixelCode: true,
      status: true,
      matchKeys: true,
      journey: true,
    },
  });
  const counts = new Map<string, number>();
  for (const r of rows) {
    const key = JSON.stringify([
      r.createdAt.toISOString().slice(0, 10),
      r.source,
      r.pixelCode,
      r.status,
      r.matchKeys,
      r.journey ?? "",
    ]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  await prisma.deliveryDaySummary.deleteMany({ where: { shop } });
  await prisma.deliveryDaySummary.createMany({
    data: [...counts].map(([key, count]) => {
      const [day, source, pixelCode, status, matchKeys, journey] = JSON.parse(
        key,
      ) as string[];
      return {
        shop,
        day,
        source,
        pixelCode,
        status,
        matchKeys,
        journey,
        count,
      };
    }),
  });
}
