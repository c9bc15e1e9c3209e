import { buildEvent } from "~/tiktok/event-builder";
import { hashUserIdentifiers } from "~/tiktok/hashing";
import type { TikTokUser } from "~/tiktok/wire-types";
import type { KeySources } from "~/orders/browser-context";
import { customerGid } from "~/orders/shop-order";
import { ingestWriter, notifyDeliveryWorker } from "~/delivery/runtime.server";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";
import { loadShopPixelsCached, sendingPixels } from "~/pixels/pixels.server";
import type { CollectBody, StorefrontEventName } from "./collect-schema";

type SettingsFlag = "sendViewContent" | "sendAddToCart" | "sendSearch";

/**
 * Storefront events mirrored server-side, and the setting that turns each on. PageView is not
 * mirrored, nor is InitiateCheckout any more: the checkout web pixel reports it once per checkout
 * (app/checkout/), and a storefront script still cached with the old click guess would count it twice.
 */
const MIRRORED: Partial<Record<StorefrontEventName, SettingsFlag>> = {
  ViewContent: "sendViewContent",
  AddToCart: "sendAddToCart",
  Search: "sendSearch",
};

export interface CollectContext {
  shop: string;
  body: CollectBody;
  /** First X-Forwarded-For hop (the shopper, as Shopify's proxy saw them). */
  ip: string | null;
  userAgent: string | null;
  /**
   * Every `logged_in_customer_id` value of the signed app proxy query (Shopify sends one, empty
   * when the shopper is not logged in). Never taken from the JSON body, which anyone can write.
   */
  loggedInCustomerIds?: readonly string[];
  now?: Date;
}

/**
 * The customer's id digits, or null for a guest or anything not shaped like a Shopify id. A
 * repeated parameter is not trusted: a storefront URL can carry its own `logged_in_customer_id`
 * next to Shopify's, and the signature covers both (joined with ",").
 */
export function loggedInCustomer(
  values: readonly string[] | undefined,
): string | null {
  if (values?.length !== 1) return null;
  const id = values[0].trim();
  return /^\d{1,20}$/.test(id) ? id : null;
}

/** Where each key of a storefront event came from: the script's body, or Shopify's app proxy. */
function storefrontKeySources(user: TikTokUser | undefined): KeySources {
  const sources: KeySources = {};
  if (user?.ttclid) sources.ttclid = "storefront_script";
  if (user?.ttp) sources.ttp = "storefront_script";
  if (user?.external_id) sources.external_id = "app_proxy";
  if (user?.ip) sources.ip = "app_proxy";
  if (user?.user_agent) sources.user_agent = "app_proxy";
  return sources;
}

export interface CollectResult {
  stored: boolean;
  /** Deliveries queued: one per event and pixel. */
  queued: number;
  /** The event ids this request queued (for the log line; never anything about the shopper). */
  eventIds: string[];
}

/** Client events may not claim to be from the future, nor older than a day. */
function clampEventTime(seconds: number, now: Date): number {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  return Math.min(Math.max(seconds, nowSeconds - 86_400), nowSeconds);
}

export async function ingestStorefront(
  ctx: CollectContext,
): Promise<CollectResult> {
  const { shop, body } = ctx;
  const now = ctx.now ?? new Date();
  const pixels = sendingPixels(await loadShopPixelsCached(shop));
  if (pixels.length === 0) return { stored: false, queued: 0, eventIds: [] };

  if (body.consent !== "granted") {
    // The shopper withdrew (or never gave) consent: remember only that, and forget the rest,
    // so a later order from this session is not sent.
    await ingestWriter().submit({
      session: {
        shop,
        sessionKey: body.session_id,
        consent: "denied",
        seenAt: now,
        landingUrl: null,
        ttclid: null,
        ttp: null,
        ip: null,
        userAgent: null,
        cartToken: null,
      },
      deliveries: [],
    });
    return { stored: true, queued: 0, eventIds: [] };
  }

  // Hashed exactly as the Purchase hashes the order's customer id (mapPurchase), so TikTok can
  // join this shopper's storefront events to their orders.
  const customerId = loggedInCustomer(ctx.loggedInCustomerIds);
  const { external_id } = hashUserIdentifiers({ externalIds: [customerId] });
  // Each event goes to every pixel whose switch takes it, with the event id the storefront
  // script fired that pixel's browser event with, so each pixel deduplicates its own pair.
  const deliveries: NewDelivery[] = [];
  for (const e of body.events) {
    const flag = MIRRORED[e.event];
    if (flag === undefined) continue;
    const targets = pixels.filter((p) => p[flag]);
    if (targets.length === 0) continue;
    const event = buildEvent({
      eventName: e.event,
      eventId: e.event_id,
      eventTime: clampEventTime(e.event_time, now),
      user: {
        external_id,
        ttclid: body.ttclid,
        ttp: body.ttp,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
      },
      properties: {
        currency: e.properties?.currency,
        value: e.properties?.value,
        contentType: e.properties?.content_type,
        contents: e.properties?.contents?.map((c) => ({
          contentId: c.content_id,
          contentName: c.content_name,
          contentCategory: c.content_category,
          price: c.price,
          quantity: c.quantity,
          brand: c.brand,
        })),
        query: e.properties?.query,
      },
      page: { url: body.page.url, referrer: body.page.referrer },
    });
    for (const pixel of targets)
      deliveries.push({
        shop,
        source: "storefront",
        pixelCode: pixel.pixelCode,
        sessionKey: body.session_id,
        // Lets a customers/redact or data request find these rows too.
        customerId: customerId ? customerGid(customerId) : null,
        event,
      });
  }
  // Every event of a request carries the same user, so the same sources.
  const keySources =
    deliveries.length > 0
      ? JSON.stringify(storefrontKeySources(deliveries[0].event.user))
      : null;
  for (const delivery of deliveries) delivery.keySources = keySources;

  const written = await ingestWriter().submit({
    session: {
      shop,
      sessionKey: body.session_id,
      consent: "granted",
      seenAt: now,
      landingUrl: body.page.url,
      ttclid: body.ttclid ?? null,
      ttp: body.ttp ?? null,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      cartToken: body.cart_token ? body.cart_token.split("?")[0] : null,
    },
    deliveries,
  });
  const eventIds = [
    ...new Set(
      deliveries
        .filter((_, i) => written.deliveries[i].created)
        .map((d) => d.event.event_id),
    ),
  ];
  if (eventIds.length > 0) notifyDeliveryWorker();
  const queued = written.deliveries.filter((d) => d.created).length;
  return { stored: true, queued, eventIds };
}

/** First hop of X-Forwarded-For: the shopper's address as Shopify's proxy received it. */
export function clientIp(headers: Headers): string | null {
  const first = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  if (!first) return null;
  return /^[0-9a-fA-F:.]{3,45}$/.test(first) ? first : null;
}
