// purge: any state → deleted. Compliance (shop/redact, customers/redact) and log retention.
// A delivery's outbox row and attempts go with it, explicitly rather than by relying on the
// foreign keys' ON DELETE CASCADE being enforced by the connection. The day summary loses
// each deleted delivery from its key, so it stays equal to a count of what is left.
import type { Prisma } from "@prisma/client";
import { chunks, IN_LIST_CHUNK } from "~/db/chunks";
import {
  applySummaryDeltas,
  pruneEmptySummaries,
  purgeShopSummaries,
  SUMMARY_SELECT,
  SummaryDeltas,
} from "./day-summary.server";
import { STATUS } from "./states";

type Tx = Prisma.TransactionClient;

/**
 * Deletes the matching deliveries with their outbox rows and attempts and adds their leaving to
 * `deltas` (the caller applies them once, in key order, at the end of its transaction); returns
 * how many deliveries.
 */
async function purgeWhere(
  tx: Tx,
  where: Prisma.DeliveryWhereInput,
  deltas: SummaryDeltas,
): Promise<number> {
  // Outbox rows first, as every writer takes them before the delivery (see settle).
  await tx.outboxEntry.deleteMany({ where: { delivery: where } });
  // Then the deliveries are locked and read in one statement (an UPDATE of updatedAt, on rows
  // about to go): on PostgreSQL nobody can change them from here on, so what is subtracted
  // from the day summary is exactly what is deleted below, by id.
  const rows = await tx.delivery.updateManyAndReturn({
    where,
    data: { updatedAt: new Date() },
    select: { id: true, status: true, ...SUMMARY_SELECT },
  });
  for (const part of chunks(
    rows.map((r) => r.id),
    IN_LIST_CHUNK,
  )) {
    const ids = { in: part };
    // A resend may have queued one of them again between the two statements above.
    await tx.outboxEntry.deleteMany({ where: { deliveryId: ids } });
    await tx.deliveryAttempt.deleteMany({ where: { deliveryId: ids } });
    await tx.delivery.deleteMany({ where: { id: ids } });
  }
  for (const row of rows) deltas.add(row, row.status, -1);
  return rows.length;
}

/**
 * Runs purges that share one transaction and applies their summary changes in one go, in key
 * order, as every other transition does: two transactions then take summary row locks in the
 * same order and cannot deadlock on them (day-summary.server.ts).
 */
export async function withSummary<T>(
  tx: Tx,
  work: (deltas: SummaryDeltas) => Promise<T>,
): Promise<T> {
  const deltas = new SummaryDeltas();
  const result = await work(deltas);
  await applySummaryDeltas(tx, deltas);
  return result;
}

/**
 * Everything the shop has in the outbox tables (shop/redact), and its day summary: nothing is
 * left to count, so the rows are not read one by one. Run inside the caller's transaction.
 */
export async function purgeShopDeliveries(
  tx: Tx,
  shop: string,
): Promise<number> {
  await tx.outboxEntry.deleteMany({ where: { shop } });
  await tx.deliveryAttempt.deleteMany({ where: { delivery: { shop } } });
  const count = (await tx.delivery.deleteMany({ where: { shop } })).count;
  await purgeShopSummaries(tx, shop);
  return count;
}

/**
 * The given deliveries of the shop, whatever their state. Run inside the caller's transaction;
 * with `deltas` (withSummary) the summary changes wait for the caller, else they are applied here.
 */
export async function purgeDeliveries(
  tx: Tx,
  shop: string,
  ids: readonly string[],
  deltas?: SummaryDeltas,
): Promise<number> {
  const changes = deltas ?? new SummaryDeltas();
  let count = 0;
  for (const part of chunks(ids, IN_LIST_CHUNK))
    count += await purgeWhere(tx, { shop, id: { in: part } }, changes);
  if (!deltas) await applySummaryDeltas(tx, changes);
  return count;
}

/** Storefront deliveries that came from these shopper sessions (customers/redact); see purgeDeliveries. */
export async function purgeStorefrontSessions(
  tx: Tx,
  shop: string,
  sessionKeys: readonly string[],
  deltas?: SummaryDeltas,
): Promise<number> {
  const changes = deltas ?? new SummaryDeltas();
  let count = 0;
  for (const part of chunks(sessionKeys, IN_LIST_CHUNK)) {
    count += await purgeWhere(
      tx,
      { shop, source: "storefront", sessionKey: { in: part } },
      changes,
    );
  }
  if (!deltas) await applySummaryDeltas(tx, changes);
  return count;
}

/**
 * Log retention: finished deliveries created before `before`; what is still owed to TikTok
 * stays. Summary rows of those days left at zero go too.
 */
export async function purgeExpired(tx: Tx, before: Date): Promise<number> {
  const count = await withSummary(tx, (deltas) =>
    purgeWhere(
      tx,
      { createdAt: { lt: before }, status: { not: STATUS.pending } },
      deltas,
    ),
  );
  await pruneEmptySummaries(tx, before);
  return count;
}
