import prisma from "~/db.server";
import { ingestWriter, notifyDeliveryWorker } from "~/delivery/runtime.server";
import { getShopSettingsCached } from "~/settings/settings.server";
import { parseOrder } from "./order";
import {
  mapPurchase,
  orderFilterReason,
  storefrontKeys,
  withoutUserData,
  type Attribution,
  type Consent,
  type OrderSettings,
} from "./purchase";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";
import {
  customerGid,
  fromWebhookOrder,
  orderGid,
  type ShopOrder,
} from "./shop-order";

export interface OrderWebhook {
  shop: string;
  /** Storage form, e.g. ORDERS_CREATE. */
  topic: string;
  webhookId: string;
  eventId?: string;
  rawBody: string;
}

export type OrderWebhookResult =
  | {
      status: "queued" | "skipped";
      deliveryId: string;
      /** The TikTok event id (`<orderId>_Purchase`). */
      eventId: string;
      reason?: string;
    }
  | { status: "duplicate" | "ignored"; reason: string };

const TRIGGER_TOPIC: Record<string, string> = {
  "orders/create": "ORDERS_CREATE",
  "orders/paid": "ORDERS_PAID",
};

/**
 * Turns a verified order webhook into a delivery: no network I/O, one transaction, so the
 * webhook can be acknowledged as soon as the Purchase is durably queued.
 */
export async function ingestOrderWebhook(
  webhook: OrderWebhook,
): Promise<OrderWebhookResult> {
  // Parsed once here; everything after reads the ShopOrder, never the payload.
  const order = fromWebhookOrder(parseOrder(webhook.rawBody));
  const { shop } = webhook;
  const settings = await getShopSettingsCached(shop);
  if (!settings?.pixelCode || settings.uninstalledAt) {
    return {
      status: "ignored",
      reason: "No TikTok pixel is configured for this shop.",
    };
  }
  if (!settings.sendPurchase)
    return { status: "ignored", reason: "Purchase events are turned off." };
  if (TRIGGER_TOPIC[settings.purchaseTrigger] !== webhook.topic) {
    return {
      status: "ignored",
      reason: `The shop sends purchases on ${settings.purchaseTrigger}.`,
    };
  }
  const receiptId = `${shop}:${webhook.eventId ?? webhook.webhookId}`;
  const delivery = await purchaseDelivery(shop, order, {
    ...settings,
    pixelCode: settings.pixelCode,
  });
  const { skippedReason } = delivery;

  // The receipt and the delivery (with its outbox row) commit together or not at all.
  const written = await ingestWriter().submit({
    receipt: { id: receiptId, shop, topic: webhook.topic },
    deliveries: [delivery],
  });
  if (written.duplicateReceipt)
    return {
      status: "duplicate",
      reason: "This webhook was already processed.",
    };
  const result = written.deliveries[0];
  if (!result.created)
    return {
      status: "duplicate",
      reason: "A Purchase for this order is already recorded.",
    };
  if (skippedReason)
    return {
      status: "skipped",
      deliveryId: result.deliveryId,
      eventId: delivery.event.event_id,
      reason: skippedReason,
    };
  notifyDeliveryWorker();
  return {
    status: "queued",
    deliveryId: result.deliveryId,
    eventId: delivery.event.event_id,
  };
}

/**
 * The Purchase delivery owed for an order, whichever edge carried it (the webhook, or
 * reconciliation's backfill of an order whose webhook never came): the shop's filters and the
 * shopper's consent decide whether it is sent or recorded as skipped (without identifiers).
 */
export async function purchaseDelivery(
  shop: string,
  order: ShopOrder,
  settings: OrderSettings & { pixelCode: string },
): Promise<NewDelivery> {
  const attribution = await findAttribution(shop, {
    sessionKey: storefrontKeys(order).sessionKey,
    cartToken: order.hints.cartToken ?? null,
  });
  const filtered = orderFilterReason(order, settings);
  const mapping = mapPurchase(shop, order, attribution, settings);
  const skippedReason =
    filtered ?? (mapping.decision.send ? undefined : mapping.decision.reason);
  return {
    shop,
    source: "order",
    pixelCode: settings.pixelCode,
    event: skippedReason ? withoutUserData(mapping.event) : mapping.event,
    orderId: orderGid(order.id),
    orderName: order.name ?? `#${order.id}`,
    customerId: mapping.customerId ? customerGid(mapping.customerId) : null,
    sessionKey: mapping.sessionKey,
    skippedReason,
  };
}

/**
 * Most trusted first: the session named in the cart attributes, else the latest session of the
 * cart token. One statement for both (each branch on its own index) rather than two queries.
 */
export async function findAttribution(
  shop: string,
  {
    sessionKey,
    cartToken,
  }: { sessionKey: string | null; cartToken: string | null },
): Promise<Attribution | null> {
  if (!sessionKey && !cartToken) return null;
  const rows = await prisma.$queryRaw<
    (Omit<Attribution, "consent"> & { consent: string })[]
  >`
    SELECT a."sessionKey", a."ttclid", a."ttp", a."ip", a."userAgent", a."consent", a."landingUrl"
    FROM (
      SELECT 0 AS "rank", s.* FROM "AttributionSession" AS s
      WHERE s."shop" = ${shop} AND s."sessionKey" = ${sessionKey}
      UNION ALL
      SELECT * FROM (
        SELECT 1 AS "rank", c.* FROM "AttributionSession" AS c
        WHERE c."shop" = ${shop} AND c."cartToken" = ${cartToken}
        ORDER BY c."lastSeenAt" DESC LIMIT 1
      ) AS latest
    ) AS a
    ORDER BY a."rank" LIMIT 1`;
  const row = rows[0];
  if (!row) return null;
  return { ...row, consent: row.consent as Consent };
}
