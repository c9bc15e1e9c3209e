// skip: pending → skipped. On uninstall, what the shop still owes TikTok is not sent; the
// outbox rows go (a worker holding one then finds its lease gone and writes nothing).
import type { Prisma } from "@prisma/client";
import {
  applySummaryDeltas,
  SUMMARY_SELECT,
  SummaryDeltas,
} from "./day-summary.server";
import { STATUS } from "./states";

/** Run inside the caller's transaction. Returns how many deliveries were skipped. */
export async function skipPending(
  tx: Prisma.TransactionClient,
  shop: string,
  reason: string,
): Promise<number> {
  await tx.outboxEntry.deleteMany({ where: { shop } });
  const skipped = await tx.delivery.updateManyAndReturn({
    where: { shop, status: STATUS.pending },
    data: { status: STATUS.skipped, lastError: reason },
    select: SUMMARY_SELECT,
  });
  const deltas = new SummaryDeltas();
  for (const row of skipped) deltas.move(row, STATUS.pending, STATUS.skipped);
  await applySummaryDeltas(tx, deltas);
  return skipped.length;
}
