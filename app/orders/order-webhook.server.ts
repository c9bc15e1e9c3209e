import prisma from "~/db.server";
import { rawStatements } from "~/db/adapter-sql.server";
import { serverEnv } from "~/config.server";
import { ingestWriter, notifyDeliveryWorker } from "~/delivery/runtime.server";
import type { Pixel } from "@prisma/client";
import { loadShopPixelsCached, sendingPixels } from "~/pixels/pixels.server";
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

/** What one pixel got from the order: its own delivery, queued or recorded as skipped. */
export interface PixelPurchase {
  pixelCode: string;
  deliveryId: string;
  status: "queued" | "skipped" | "duplicate";
  reason?: string;
}

export type OrderWebhookResult =
  | {
      /** queued: at least one pixel's Purchase is queued; skipped: every new one was skipped. */
      status: "queued" | "skipped";
      /** The TikTok event id (`<orderId>_<event name>`) of the first pixel's Purchase. */
      eventId: string;
      /** One per pixel that sends purchases. */
      pixels: PixelPurchase[];
      reason?: string;
    }
  | { status: "duplicate" | "ignored"; reason: string };

const TRIGGER_TOPIC: Record<string, string> = {
  "orders/create": "ORDERS_CREATE",
  "orders/paid": "ORDERS_PAID",
};

/**
 * Turns a verified order webhook into deliveries, one per pixel that takes Purchases: no network
 * I/O, one transaction, so the webhook can be acknowledged as soon as they are durably queued.
 */
export async function ingestOrderWebhook(
  webhook: OrderWebhook,
): Promise<OrderWebhookResult> {
  // Parsed once here; everything after reads the ShopOrder, never the payload.
  const order = fromWebhookOrder(parseOrder(webhook.rawBody));
  const { shop } = webhook;
  const config = await loadShopPixelsCached(shop);
  const active = sendingPixels(config);
  if (active.length === 0) {
    return {
      status: "ignored",
      reason: "No TikTok pixel is configured for this shop.",
    };
  }
  const trigger = config.settings!.purchaseTrigger;
  if (TRIGGER_TOPIC[trigger] !== webhook.topic) {
    return {
      status: "ignored",
      reason: `The shop sends purchases on ${trigger}.`,
    };
  }
  const pixels = active.filter((p) => p.sendPurchase);
  if (pixels.length === 0)
    return { status: "ignored", reason: "Purchase events are turned off." };
  const receiptId = `${shop}:${webhook.eventId ?? webhook.webhookId}`;
  const deliveries = await purchaseDeliveries(shop, order, pixels, {
    holdSeconds: serverEnv().CHECKOUT_HOLD_SECONDS,
    tokensKnown: true,
  });

  // The receipt and the deliveries (with their outbox rows) commit together or not at all.
  const written = await ingestWriter().submit({
    receipt: { id: receiptId, shop, topic: webhook.topic },
    deliveries,
  });
  if (written.duplicateReceipt)
    return {
      status: "duplicate",
      reason: "This webhook was already processed.",
    };
  const results: PixelPurchase[] = deliveries.map((delivery, i) => {
    const { created, deliveryId } = written.deliveries[i];
    const status = !created
      ? "duplicate"
      : delivery.skippedReason
        ? "skipped"
        : "queued";
    return {
      pixelCode: delivery.pixelCode,
      deliveryId,
      status,
      ...(status === "skipped" ? { reason: delivery.skippedReason } : {}),
    };
  });
  const fresh = results.filter((r) => r.status !== "duplicate");
  if (fresh.length === 0)
    return {
      status: "duplicate",
      reason: "A Purchase for this order is already recorded.",
    };
  const queued = fresh.filter((r) => r.status === "queued");
  if (deliveries.some((d, i) => results[i].status === "queued" && !d.holdUntil))
    notifyDeliveryWorker();
  return {
    status: queued.length > 0 ? "queued" : "skipped",
    eventId: deliveries[0].event.event_id,
    pixels: results,
    ...(queued.length === 0 ? { reason: fresh[0].reason } : {}),
  };
}

/** The Purchase deliveries owed for an order, one per pixel given, from one browser-context read. */
export async function purchaseDeliveries(
  shop: string,
  order: ShopOrder,
  pixels: readonly Pixel[],
  options: { holdSeconds?: number; tokensKnown?: boolean } = {},
): Promise<NewDelivery[]> {
  const context = await findBrowserContext(shop, order);
  return pixels.map((pixel) =>
    purchaseDelivery(shop, order, pixel, context, options),
  );
}

/**
 * The Purchase delivery owed to one pixel for an order, whichever edge carried it (the webhook, or
 * reconciliation's backfill of an order whose webhook never came): the pixel's filters and the
 * shopper's consent decide whether it is sent or recorded as skipped (without identifiers).
 * With `holdSeconds`, an order that finds no browser context yet waits that long: orders/create
 * often beats the thank-you page, so the Purchase waits (bounded) for the checkout pixel's
 * checkout_completed relay, which releases it early (app/checkout/relay.server.ts); otherwise
 * it goes out with the order's own keys. A backfill does not wait: the checkout is long over.
 * `tokensKnown`: the order carries its cart and checkout tokens (the webhook does, the Admin
 * GraphQL order does not), which tell its journey (./journey.ts).
 */
export function purchaseDelivery(
  shop: string,
  order: ShopOrder,
  settings: OrderSettings & { pixelCode: string },
  context: BrowserContext,
  {
    holdSeconds = 0,
    tokensKnown = false,
  }: { holdSeconds?: number; tokensKnown?: boolean } = {},
): NewDelivery {
  const attribution = joinBrowserContext(order, context);
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
      ? rawStatements(prisma).$queryRaw<CheckoutFacts[]>`
            SELECT "sessionKey", "ttclid", "ttp", "ip", "userAgent", "consent", "emailHash", "phoneHash", "pageUrl"
            FROM "CheckoutContext" WHERE "shop" = ${shop} AND "checkoutToken" = ${checkoutToken}`.then(
          (rows) => rows[0] ?? null,
        )
      : null,
  ]);
  return { ...sessions, checkout };
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
  const rows = await rawStatements(prisma).$queryRaw<
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
