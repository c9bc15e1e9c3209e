// Pure: what a storefront event the web pixel relays as a fallback becomes (README, "Storefront
// fallback"), and when an event the theme app embed reported is the same shopper action.
import { relayEventTime } from "~/checkout/checkout-context";
import { buildEvent } from "~/tiktok/event-builder";
import type { KeySources } from "~/orders/browser-context";
import type { TikTokEvent } from "~/tiktok/wire-types";
import type { FallbackBody, FallbackEventName } from "./fallback-schema";

/**
 * The TikTok event each fallback becomes: the embed's events, sent server-side only. The page
 * view is spelled `Pageview` as TikTok's own plugins send it; TikTok lists no standard page-view
 * event for the Events API (https://ads.tiktok.com/help/article/supported-standard-events).
 */
export const FALLBACK_TIKTOK_EVENTS = {
  page_viewed: "Pageview",
  product_viewed: "ViewContent",
  product_added_to_cart: "AddToCart",
  search_submitted: "Search",
} as const satisfies Record<FallbackEventName, string>;

export type FallbackTikTokEvent =
  (typeof FALLBACK_TIKTOK_EVENTS)[FallbackEventName];

/** The shop's switches for the storefront events (ShopSettings). */
export interface StorefrontEventSwitches {
  sendViewContent: boolean;
  sendAddToCart: boolean;
  sendSearch: boolean;
}

/**
 * The TikTok event a fallback becomes for this shop, or null when the shop turned it off. The
 * page view has no switch: with the embed, the browser pixel always sends it.
 */
export function fallbackEventName(
  event: FallbackEventName,
  switches: StorefrontEventSwitches,
): FallbackTikTokEvent | null {
  switch (event) {
    case "page_viewed":
      return "Pageview";
    case "product_viewed":
      return switches.sendViewContent ? "ViewContent" : null;
    case "product_added_to_cart":
      return switches.sendAddToCart ? "AddToCart" : null;
    case "search_submitted":
      return switches.sendSearch ? "Search" : null;
  }
}

export interface FallbackRequest {
  body: FallbackBody;
  ip: string | null;
  userAgent: string | null;
  /** SHA-256 of the signed app proxy's logged_in_customer_id, as the Purchase's external_id. */
  externalId?: string[];
  now: Date;
}

/**
 * The TikTok event for a fallback. Its event_id is Shopify's event id, which stays the same when
 * Shopify fires the event again, so the outbox's unique (shop, event, event_id) keeps one.
 */
export function fallbackEvent(
  eventName: FallbackTikTokEvent,
  request: FallbackRequest,
): TikTokEvent {
  const { body } = request;
  return buildEvent({
    eventName,
    eventId: body.id,
    eventTime: relayEventTime(body.ts, request.now),
    user: {
      external_id: request.externalId,
      ttclid: body.ttclid,
      ttp: body.ttp,
      ip: request.ip,
      userAgent: request.userAgent,
    },
    properties: {
      currency: body.currency,
      value: body.value,
      contentType: body.items?.length ? "product" : undefined,
      contents: body.items?.map((i) => ({
        contentId: i.id,
        contentName: i.n,
        price: i.p,
        quantity: i.q,
      })),
      query: body.query,
    },
    page: { url: body.url, referrer: body.ref },
  });
}

/**
 * The embed's event ids: 32 random hex digits (randomId in extensions/tiktok-pixel/src/storefront.js).
 * Shopify's event ids, which the fallbacks carry, look otherwise, so a stored fallback is never
 * taken for the embed's report.
 */
export const EMBED_EVENT_ID = /^[0-9a-f]{32}$/;

const pathOf = (url: string | undefined): string | null => {
  try {
    return url ? new URL(url).pathname : null;
  } catch {
    return null;
  }
};
const contentIds = (event: TikTokEvent): Set<string> =>
  new Set(event.properties?.contents?.map((c) => c.content_id) ?? []);

/**
 * Whether the embed's stored event reports the same shopper action as the fallback: the same
 * TikTok event on the same page path, about the same product (a shared content id) or the same
 * search terms.
 */
export function sameAction(embed: TikTokEvent, fallback: TikTokEvent): boolean {
  if (embed.event !== fallback.event) return false;
  const path = pathOf(fallback.page?.url);
  if (path === null || pathOf(embed.page?.url) !== path) return false;
  if (fallback.event === "Search")
    return (
      embed.properties?.query?.trim().toLowerCase() ===
      fallback.properties?.query?.trim().toLowerCase()
    );
  const ours = contentIds(fallback);
  if (ours.size === 0) return true;
  return [...contentIds(embed)].some((id) => ours.has(id));
}

/** Where a fallback's keys came from: the web pixel's cookies, or Shopify's app proxy. */
export function fallbackKeySources(event: TikTokEvent): KeySources {
  const user = event.user;
  const sources: KeySources = {};
  if (user?.ttclid) sources.ttclid = "checkout_pixel";
  if (user?.ttp) sources.ttp = "checkout_pixel";
  if (user?.external_id?.length) sources.external_id = "app_proxy";
  if (user?.ip) sources.ip = "app_proxy";
  if (user?.user_agent) sources.user_agent = "app_proxy";
  return sources;
}
