// The outbox as a scrape sees it: one cheap read each (counts and a min over the nextAttemptAt
// index). Reads only: the outbox's writes belong to app/delivery/outbox.
import type { PrismaClient } from "@prisma/client";

/** Claim's own test: due, and not leased (or the lease has lapsed). */
const claimable = (now: Date) => ({
  nextAttemptAt: { lte: now },
  OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lt: now } }],
});

/** Rows a worker could claim now. */
export function countDue(prisma: PrismaClient, now = new Date()) {
  return prisma.outboxEntry.count({ where: claimable(now) });
}

/** Rows whose lease is still running (a worker is sending them). */
export function countLeased(prisma: PrismaClient, now = new Date()) {
  return prisma.outboxEntry.count({ where: { leaseExpiresAt: { gte: now } } });
}

/** How long the longest-waiting claimable row has been due, in seconds; 0 when none is. */
export async function oldestDueSeconds(
  prisma: PrismaClient,
  now = new Date(),
): Promise<number> {
  const oldest = await prisma.outboxEntry.aggregate({
    where: claimable(now),
    _min: { nextAttemptAt: true },
  });
  const since = oldest._min.nextAttemptAt;
  return since ? Math.max(0, (now.getTime() - since.getTime()) / 1000) : 0;
}
