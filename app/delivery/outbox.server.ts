import type { Prisma, PrismaClient } from "@prisma/client";
import type { TikTokEvent } from "~/tiktok/payload";
import { matchKeysOf } from "~/tiktok/payload";

type Tx = Prisma.TransactionClient | PrismaClient;

export type DeliverySource = "order" | "storefront" | "test";

export interface NewDelivery {
  shop: string;
  source: DeliverySource;
  pixelCode: string;
  event: TikTokEvent;
  orderId?: string | null;
  orderName?: string | null;
  customerId?: string | null;
  sessionKey?: string | null;
  /** Set to record a delivery that is deliberately not sent (consent, order filter). */
  skippedReason?: string;
}

/** The Delivery row for a new event; skipped deliveries get no outbox row. */
export function deliveryRow(input: NewDelivery, id: string): Prisma.DeliveryCreateManyInput {
  const { event } = input;
  const skipped = input.skippedReason !== undefined;
  return {
    id,
    shop: input.shop,
    eventName: event.event,
    eventId: event.event_id,
    source: input.source,
    pixelCode: input.pixelCode,
    orderId: input.orderId ?? null,
    orderName: input.orderName ?? null,
    customerId: input.customerId ?? null,
    sessionKey: input.sessionKey ?? null,
    status: skipped ? "skipped" : "pending",
    lastError: input.skippedReason ?? null,
    payload: JSON.stringify(event),
    matchKeys: matchKeysOf(event).join(","),
    eventTime: new Date(event.event_time * 1000),
  };
}

/**
 * Puts a finished delivery back in the queue with its original event id (a merchant's
 * "Resend"). TikTok deduplicates on the id within 48 h, so a resend never double counts there.
 */
export async function requeueDelivery(tx: Tx, shop: string, deliveryId: string): Promise<boolean> {
  const delivery = await tx.delivery.findFirst({
    // Skipped deliveries (consent declined, filtered orders) can never be resent.
    where: { id: deliveryId, shop, status: { in: ["failed", "delivered"] } },
    select: { id: true, outbox: { select: { id: true } } },
  });
  if (!delivery) return false;
  if (!delivery.outbox) {
    await tx.outboxEntry.create({ data: { deliveryId, shop } });
  } else {
    await tx.outboxEntry.update({
      where: { id: delivery.outbox.id },
      data: { nextAttemptAt: new Date(), leaseOwner: null, leaseExpiresAt: null },
    });
  }
  await tx.delivery.update({ where: { id: deliveryId }, data: { status: "pending", lastError: null } });
  return true;
}
