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
  type Consent,
  type OrderSettings,
} from "./purchase";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";
import { classifyJourney } from "./journey";
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
  const delivery = await purchaseDelivery(
    shop,
    order,
    { ...settings, pixelCode: settings.pixelCode },
    { holdSeconds: serverEnv().CHECKOUT_HOLD_SECONDS, tokensKnown: true },
  );
  const { skippedReason, holdUntil } = delivery;

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
  if (!holdUntil) notifyDeliveryWorker();
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
 * With `holdSeconds`, an order that finds no browser context yet waits that long: orders/create
 * often beats the thank-you page, so the Purchase waits (bounded) for the checkout pixel's
 * checkout_completed relay, which releases it early (app/checkout/relay.server.ts); otherwise
 * it goes out with the order's own keys. A backfill does not wait: the checkout is long over.
 * `tokensKnown`: the order carries its cart and checkout tokens (the webhook does, the Admin
 * GraphQL order does not), which tell its journey (./journey.ts).
 */
export async function purchaseDelivery(
  shop: string,
  order: ShopOrder,
  settings: OrderSettings & { pixelCode: string },
  {
    holdSeconds = 0,
    tokensKnown = false,
  }: { holdSeconds?: number; tokensKnown?: boolean } = {},
): Promise<NewDelivery> {
  const attribution = joinBrowserContext(
    order,
    await findBrowserContext(shop, order),
  );
  const filtered = orderFilterReason(order, settings);
  const mapping = mapPurchase(shop, order, attribution, settings);
  const skippedReason =
    filtered ?? (mapping.decision.send ? undefined : mapping.decision.reason);
  const holdUntil =
    !attribution &&
    !skippedReason &&
    order.hints.checkoutToken &&
    holdSeconds > 0
      ? new Date(Date.now() + holdSeconds * 1000)
      : null;
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
    holdUntil,
    keySources: skippedReason ? null : JSON.stringify(mapping.keySources),
    journey: classifyJourney(order, { tokensKnown }),
  };
}

/**
 * The three places the browser may have left keys for this order (browser-context.ts joins
 * them, most trusted first): the session named in the cart attributes, the checkout pixel's
 * context for the checkout token, the latest session that reported the cart token.
 */
export async function findBrowserContext(
  shop: string,
  order: ShopOrder,
): Promise<BrowserContext> {
  const { checkoutToken } = order.hints;
  const [sessions, checkout] = await Promise.all([
    findStoredSessions(shop, {
      sessionKey: storefrontKeys(order).sessionKey,
      cartToken: order.hints.cartToken ?? null,
    }),
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
  ]);
  return { ...sessions, checkout: checkout as CheckoutFacts | null };
}

/**
 * The session named in the cart attributes and the latest session of the cart token, in one
 * statement (each branch on its own index) rather than two queries: this runs on every order.
 */
export async function findStoredSessions(
  shop: string,
  {
    sessionKey,
    cartToken,
  }: { sessionKey: string | null; cartToken: string | null },
): Promise<Pick<BrowserContext, "cartSession" | "tokenSession">> {
  if (!sessionKey && !cartToken)
    return { cartSession: null, tokenSession: null };
  const rows = await prisma.$queryRaw<
    (Omit<SessionFacts, "consent"> & {
      consent: string;
      rank: number | bigint;
    })[]
  >`
    SELECT a."rank", a."sessionKey", a."ttclid", a."ttp", a."ip", a."userAgent", a."consent", a."landingUrl"
    FROM (
      SELECT 0 AS "rank", s.* FROM "AttributionSession" AS s
      WHERE s."shop" = ${shop} AND s."sessionKey" = ${sessionKey}
      UNION ALL
      SELECT * FROM (
        SELECT 1 AS "rank", c.* FROM "AttributionSession" AS c
        WHERE c."shop" = ${shop} AND c."cartToken" = ${cartToken}
        ORDER BY c."lastSeenAt" DESC LIMIT 1
      ) AS latest
    ) AS a`;
  const facts = (rank: number): SessionFacts | null => {
    const row = rows.find((r) => Number(r.rank) === rank);
    if (!row) return null;
    const { rank: _rank, ...rest } = row;
    return { ...rest, consent: rest.consent as Consent };
  };
  return { cartSession: facts(0), tokenSession: facts(1) };
}
