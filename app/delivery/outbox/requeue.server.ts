// requeue: failed → pending or delivered → pending (the merchant's "Resend"). The event keeps
// its event_id: TikTok deduplicates the same event + event_id within 48 h, so a resend never
// counts twice there (https://ads.tiktok.com/help/article/event-deduplication). That holds only
// inside the window: a delivered event older than that is refused (see resendCutoff).
import type { Prisma } from "@prisma/client";
import {
  applySummaryDeltas,
  SUMMARY_SELECT,
  SummaryDeltas,
} from "./day-summary.server";
import { resendCutoff } from "./retry-policy";
import { sourceStatuses, STATUS } from "./states";

/**
 * Run inside the caller's transaction. False, and nothing changed, when the delivery is not
 * the shop's, is in a state that cannot be resent (pending, skipped), or was delivered longer
 * ago than TikTok deduplicates.
 */
export async function requeue(
  tx: Prisma.TransactionClient,
  shop: string,
  deliveryId: string,
  now: Date,
): Promise<boolean> {
  const cutoff = resendCutoff(now);
  // One guarded UPDATE per source state, so the day summary knows which state the row left.
  let moved = false;
  for (const from of sourceStatuses("requeue")) {
    const rows = await tx.delivery.updateManyAndReturn({
      where: {
        id: deliveryId,
        shop,
        status: from,
        OR: [
          { status: { not: STATUS.delivered } },
          { deliveredAt: { gt: cutoff } },
          { deliveredAt: null, eventTime: { gt: cutoff } },
        ],
      },
      data: { status: STATUS.pending, lastError: null },
      select: SUMMARY_SELECT,
    });
    if (rows.length === 0) continue;
    await applySummaryDeltas(
      tx,
      new SummaryDeltas().move(rows[0], from, STATUS.pending),
    );
    moved = true;
    break;
  }
  if (!moved) return false;
  await tx.outboxEntry.upsert({
    where: { deliveryId },
    create: { deliveryId, shop, nextAttemptAt: now },
    update: { nextAttemptAt: now, leaseOwner: null, leaseExpiresAt: null },
  });
  return true;
}
