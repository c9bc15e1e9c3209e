// Rows written by the set-based SQL of the hot paths must compare like rows Prisma writes:
// SQLite compares dates as text, so the same instant in two text forms is neither equal nor
// ordered (this broke cursor paging of deliveries committed in one group commit).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app.close();
});

describe("dates written by raw SQL on SQLite", () => {
  it("deliveries of one group commit compare equal to their own createdAt, as Prisma binds it", async () => {
    const { ingestWriter } = await import("~/delivery/runtime.server");
    const { buildEvent } = await import("~/tiktok/event-builder");
    const shop = "dates.myshopify.com";
    const deliveries = Array.from({ length: 5 }, (_, i) => ({
      shop,
      source: "order" as const,
      pixelCode: "CDATESPIXEL00000001",
      event: buildEvent({
        eventName: "Purchase",
        eventId: `${700 + i}_Purchase`,
        eventTime: new Date(),
        user: { ip: "203.0.113.1", userAgent: "UA" },
        properties: { currency: "USD", value: 1 },
      }),
    }));
    await ingestWriter().submit({ deliveries });
    const rows = await app.prisma.delivery.findMany({ where: { shop } });
    expect(rows).toHaveLength(5);
    const at = rows[0].createdAt;
    expect(rows.every((r) => r.createdAt.getTime() === at.getTime())).toBe(
      true,
    );
    // The delivery log's cursor conditions: equal, and strictly before / after.
    expect(
      await app.prisma.delivery.count({ where: { shop, createdAt: at } }),
    ).toBe(5);
    expect(
      await app.prisma.delivery.count({
        where: { shop, createdAt: { lt: at } },
      }),
    ).toBe(0);
    expect(
      await app.prisma.delivery.count({
        where: { shop, createdAt: { gt: at } },
      }),
    ).toBe(0);
    expect(
      await app.prisma.outboxEntry.count({
        where: { shop, nextAttemptAt: { lte: at } },
      }),
    ).toBe(5);
  });
});
