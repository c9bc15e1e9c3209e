// requeue: failed → pending or delivered → pending (the merchant's "Resend"). The event keeps
// its event_id: TikTok deduplicates the same event + event_id within 48 h, so a resend never
// counts twice there (https://ads.tiktok.com/help/article/event-deduplication). That holds only
// inside the window: a delivered event older than that is refused (see resendCutoff).
import type { Prisma } from "@prisma/client";
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
  const moved = await tx.delivery.updateMany({
    where: {
      id: deliveryId,
      shop,
      status: { in: sourceStatuses("requeue") },
      OR: [
        { status: { not: STATUS.delivered } },
        { deliveredAt: { gt: cutoff } },
        { deliveredAt: null, eventTime: { gt: cutoff } },
      ],
    },
    data: { status: STATUS.pending, lastError: null },
  });
  if (moved.count === 0) return false;
  await tx.outboxEntry.upsert({
    where: { deliveryId },
    create: { deliveryId, shop, nextAttemptAt: now },
    update: { nextAttemptAt: now, leaseOwner: null, leaseExpiresAt: null },
  });
  return true;
}
