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
} from "./purchase";
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
  const attribution = await findAttribution(shop, order);
  const filtered = orderFilterReason(order, settings);
  const mapping = mapPurchase(shop, order, attribution, settings);
  const skippedReason =
    filtered ?? (mapping.decision.send ? undefined : mapping.decision.reason);

  // The receipt and the delivery (with its outbox row) commit together or not at all.
  const written = await ingestWriter().submit({
    receipt: { id: receiptId, shop, topic: webhook.topic },
    deliveries: [
      {
        shop,
        source: "order",
        pixelCode: settings.pixelCode,
        event: skippedReason ? withoutUserData(mapping.event) : mapping.event,
        orderId: orderGid(order.id),
        orderName: order.name ?? `#${order.id}`,
        customerId: mapping.customerId ? customerGid(mapping.customerId) : null,
        sessionKey: mapping.sessionKey,
        skippedReason,
      },
    ],
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
      eventId: mapping.event.event_id,
      reason: skippedReason,
    };
  notifyDeliveryWorker();
  return {
    status: "queued",
    deliveryId: result.deliveryId,
    eventId: mapping.event.event_id,
  };
}

/** Most trusted first: the session named in the cart attributes, then the cart token. */
async function findAttribution(
  shop: string,
  order: ShopOrder,
): Promise<Attribution | null> {
  const { sessionKey } = storefrontKeys(order);
  const { cartToken } = order.hints;
  const select = {
    sessionKey: true,
    ttclid: true,
    ttp: true,
    ip: true,
    userAgent: true,
    consent: true,
    landingUrl: true,
  } as const;
  let row = sessionKey
    ? await prisma.attributionSession.findUnique({
        where: { shop_sessionKey: { shop, sessionKey } },
        select,
      })
    : null;
  if (!row && cartToken) {
    row = await prisma.attributionSession.findFirst({
      where: { shop, cartToken },
      orderBy: { lastSeenAt: "desc" },
      select,
    });
  }
  if (!row) return null;
  return { ...row, consent: row.consent as Consent };
}
