import prisma from "~/db.server";
import { serverEnv } from "~/config.server";
import { ingestWriter, notifyDeliveryWorker } from "~/delivery/runtime.server";
import { getShopSettingsCached } from "~/settings/settings.server";
import { parseOrder } from "./order";
import {
  mapPurchase,
  orderFilterReason,
  storefrontKeys,
  withoutUserData,
} from "./purchase";
import {
  joinBrowserContext,
  type BrowserContext,
  type CheckoutFacts,
  type SessionFacts,
} from "./browser-context";
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
  | { status: "queued" | "skipped"; deliveryId: string; reason?: string }
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
  const attribution = joinBrowserContext(
    order,
    await findBrowserContext(shop, order),
  );
  const filtered = orderFilterReason(order, settings);
  const mapping = mapPurchase(shop, order, attribution, settings);
  const skippedReason =
    filtered ?? (mapping.decision.send ? undefined : mapping.decision.reason);
  // No browser context yet: orders/create often beats the thank-you page, so the Purchase
  // waits (bounded) for the checkout pixel's checkout_completed relay, which releases it early
  // (app/checkout/relay.server.ts); otherwise it goes out with the order's own keys.
  const holdSeconds = serverEnv().CHECKOUT_HOLD_SECONDS;
  const holdUntil =
    !attribution &&
    !skippedReason &&
    order.hints.checkoutToken &&
    holdSeconds > 0
      ? new Date(Date.now() + holdSeconds * 1000)
      : null;

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
        holdUntil,
        keySources: skippedReason ? null : JSON.stringify(mapping.keySources),
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
      reason: skippedReason,
    };
  if (!holdUntil) notifyDeliveryWorker();
  return { status: "queued", deliveryId: result.deliveryId };
}

const SESSION_SELECT = {
  sessionKey: true,
  ttclid: true,
  ttp: true,
  ip: true,
  userAgent: true,
  consent: true,
  landingUrl: true,
} as const;

/**
 * The three places the browser may have left keys for this order (browser-context.ts joins
 * them, most trusted first): the session named in the cart attributes, the checkout pixel's
 * context for the checkout token, the latest session that reported the cart token.
 */
async function findBrowserContext(
  shop: string,
  order: ShopOrder,
): Promise<BrowserContext> {
  const { sessionKey } = storefrontKeys(order);
  const { cartToken, checkoutToken } = order.hints;
  const [cartSession, checkout, tokenSession] = await Promise.all([
    sessionKey
      ? prisma.attributionSession.findUnique({
          where: { shop_sessionKey: { shop, sessionKey } },
          select: SESSION_SELECT,
        })
      : null,
    checkoutToken
      ? prisma.checkoutContext.findUnique({
          where: { shop_checkoutToken: { shop, checkoutToken } },
          select: {
            sessionKey: true,
            ttclid: true,
            ttp: true,
            ip: true,
            userAgent: true,
            consent: true,
            emailHash: true,
            phoneHash: true,
            pageUrl: true,
          },
        })
      : null,
    cartToken
      ? prisma.attributionSession.findFirst({
          where: { shop, cartToken },
          orderBy: { lastSeenAt: "desc" },
          select: SESSION_SELECT,
        })
      : null,
  ]);
  return {
    cartSession: cartSession as SessionFacts | null,
    checkout: checkout as CheckoutFacts | null,
    tokenSession: tokenSession as SessionFacts | null,
  };
}
