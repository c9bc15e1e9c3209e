// requeue: failed → pending or delivered → pending (the merchant's "Resend"). The event keeps
// its event_id: TikTok deduplicates the same event + event_id within 48 h, so a resend never
// counts twice there (https://ads.tiktok.com/help/article/event-deduplication).
import type { Prisma } from "@prisma/client";
import { sourceStatuses, STATUS } from "./states";

/**
 * Run inside the caller's transaction. False, and nothing changed, when the delivery is not
 * the shop's or is in a state that cannot be resent (pending, skipped).
 */
export async function requeue(
  tx: Prisma.TransactionClient,
  shop: string,
  deliveryId: string,
  now: Date,
): Promise<boolean> {
  const moved = await tx.delivery.updateMany({
    where: { id: deliveryId, shop, status: { in: sourceStatuses("requeue") } },
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
