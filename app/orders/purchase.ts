// Pure mapping from a Shopify order (plus what the storefront told us) to a TikTok Purchase.
import {
  hashNameAndAddress,
  hashUserIdentifiers,
  NAME_AND_ADDRESS_KEYS,
} from "~/tiktok/hashing";
import { buildEvent } from "~/tiktok/event-builder";
import { type TikTokEvent } from "~/tiktok/wire-types";
import { cartAttribute, type ShopOrder } from "./shop-order";
import type { KeySources } from "./browser-context";

/** Cart attributes written by the storefront script (extensions/tiktok-pixel). */
export const CART_ATTRIBUTES = {
  sessionId: "_tt_sid",
  ttclid: "_tt_ttclid",
  ttp: "_ttp",
} as const;

export type Consent = "granted" | "denied" | "unknown";
export type ConsentPolicy = "send" | "limited" | "skip";

export interface OrderSettings {
  purchaseEventName: string;
  valueSource: "total" | "subtotal" | string;
  consentPolicy: ConsentPolicy | string;
  skipTestOrders: boolean;
  skipPosOrders: boolean;
  skipDraftOrders: boolean;
  skipSubscriptionRecurringOrders: boolean;
}

/** What we stored about the shopper's visit (AttributionSession), when we found it. */
export interface Attribution {
  sessionKey: string | null;
  ttclid: string | null;
  ttp: string | null;
  ip: string | null;
  userAgent: string | null;
  consent: Consent;
  landingUrl: string | null;
  /** SHA-256 of the contact details the checkout pixel relayed (never raw). */
  emailHashes?: string[];
  phoneHashes?: string[];
  /** Where the keys above came from (browser-context.ts). */
  sources?: KeySources;
}

/**
 * One id per order and event name. Shopify order ids are unique across all shops, so the
 * shop adds nothing to uniqueness; keeping the `<orderId>_Purchase` form lets a checkout
 * pixel that uses the same convention deduplicate against us.
 */
export function purchaseEventId(
  _shop: string,
  orderId: string,
  eventName = "Purchase",
): string {
  return `${orderId}_${eventName}`;
}

/** Why an order is not a conversion under the shop's filters, or null when it is. */
export function orderFilterReason(
  order: Pick<ShopOrder, "flags">,
  settings: OrderSettings,
): string | null {
  const { flags } = order;
  if (settings.skipTestOrders && flags.test) return "Skipped: test order.";
  if (settings.skipPosOrders && flags.pointOfSale)
    return "Skipped: point of sale order.";
  if (settings.skipDraftOrders && flags.fromDraftOrder)
    return "Skipped: created from a draft order.";
  if (settings.skipSubscriptionRecurringOrders && flags.subscriptionRenewal)
    return "Skipped: recurring subscription order.";
  return null;
}

/** What our storefront script left in the cart attributes; anything not shaped like ours is ignored. */
export interface StorefrontKeys {
  sessionKey: string | null;
  ttclid: string | null;
  ttp: string | null;
}

export function storefrontKeys(
  order: Pick<ShopOrder, "hints">,
): StorefrontKeys {
  const ours = (key: string) => {
    const value = cartAttribute(order, key);
    return value && /^[\x21-\x7e]{1,512}$/.test(value) ? value : null;
  };
  return {
    sessionKey: ours(CART_ATTRIBUTES.sessionId),
    ttclid: ours(CART_ATTRIBUTES.ttclid),
    ttp: ours(CART_ATTRIBUTES.ttp),
  };
}

export type ConsentDecision =
  { send: true; limitedDataUse: boolean } | { send: false; reason: string };

export function consentDecision(
  consent: Consent,
  policy: OrderSettings["consentPolicy"],
): ConsentDecision {
  if (consent === "granted") return { send: true, limitedDataUse: false };
  if (consent === "denied")
    return {
      send: false,
      reason: "Not sent: the shopper declined marketing consent.",
    };
  if (policy === "send") return { send: true, limitedDataUse: false };
  if (policy === "limited") return { send: true, limitedDataUse: true };
  return {
    send: false,
    reason:
      "Not sent: the shopper's consent is unknown and the shop's policy is not to send.",
  };
}

function firstLocale(
  acceptLanguage: string | null | undefined,
): string | undefined {
  const tag = acceptLanguage?.split(",")[0]?.split(";")[0]?.trim();
  return tag && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag)
    ? tag
    : undefined;
}

export interface PurchaseMapping {
  event: TikTokEvent;
  decision: ConsentDecision;
  sessionKey: string | null;
  customerId: string | null;
  /** Where each match key of the event came from. */
  keySources: KeySources;
}

/**
 * Builds the Purchase. Raw email, phone, names and postal code enter here and leave only as
 * SHA-256 hashes (city, state and country leave normalised, as TikTok wants them plain); the
 * caller stores the returned event, never the order.
 */
export function mapPurchase(
  shop: string,
  order: ShopOrder,
  attribution: Attribution | null,
  settings: OrderSettings,
): PurchaseMapping {
  const eventName = settings.purchaseEventName || "Purchase";
  const consent: Consent = attribution?.consent ?? "unknown";
  const decision = consentDecision(consent, settings.consentPolicy);
  const { customer, hints, amounts, lineItems } = order;
  // Hashes from the checkout pixel pass through hashUserIdentifiers as already hashed.
  const identifiers = hashUserIdentifiers({
    emails: [...customer.emails, ...(attribution?.emailHashes ?? [])],
    phones: [...customer.phones, ...(attribution?.phoneHashes ?? [])],
    externalIds: [customer.id],
    defaultCountry: customer.countryCode,
  });
  const place = hashNameAndAddress(customer.address);

  // The cart attribute is the click the storefront saw last before checkout; the stored session
  // may hold an older one; the order's landing page is the fallback.
  const keys = storefrontKeys(order);
  const landingUrl =
    attribution?.landingUrl ??
    (hints.landingSite ? safeUrl(hints.landingSite, `https://${shop}`) : null);
  const value =
    (settings.valueSource === "subtotal" ? amounts.subtotal : amounts.total) ??
    amounts.total;

  const sources: KeySources = { ...attribution?.sources };
  const ttclid = keys.ttclid ?? attribution?.ttclid ?? hints.landingSiteTtclid;
  if (keys.ttclid) sources.ttclid = "cart_attributes";
  else if (!attribution?.ttclid && ttclid) sources.ttclid = "landing_site";
  const ttp = keys.ttp ?? attribution?.ttp ?? null;
  if (keys.ttp) sources.ttp = "cart_attributes";
  if (!attribution?.ip && hints.clientIp) sources.ip = "order";
  if (!attribution?.userAgent && hints.userAgent) sources.user_agent = "order";
  if (customer.emails.length > 0) sources.email = "order";
  else if (identifiers.email) sources.email = "checkout_pixel";
  if (customer.phones.length > 0 && identifiers.phone) sources.phone = "order";
  else if (identifiers.phone) sources.phone = "checkout_pixel";
  if (identifiers.external_id) sources.external_id = "order";
  if (customer.address)
    for (const key of NAME_AND_ADDRESS_KEYS)
      if (place[key]) sources[key] = customer.address.source;

  const event = buildEvent({
    eventName,
    eventId: purchaseEventId(shop, order.id, eventName),
    eventTime: order.createdAt ?? new Date(),
    user: {
      ...identifiers,
      ...place,
      ttclid,
      ttp,
      ip: attribution?.ip ?? hints.clientIp,
      userAgent: attribution?.userAgent ?? hints.userAgent,
      locale: firstLocale(hints.acceptLanguage),
    },
    properties: {
      currency: order.currency,
      value,
      contentType: "product",
      contents: lineItems.map((item) => ({
        contentId: item.variantId ?? item.productId ?? item.sku,
        contentName: item.title,
        price: item.price,
        quantity: item.quantity,
        brand: item.vendor,
      })),
      orderId: order.id,
      numItems: lineItems.reduce((sum, item) => sum + (item.quantity ?? 0), 0),
    },
    page: landingUrl ? { url: landingUrl } : undefined,
    limitedDataUse: decision.send ? decision.limitedDataUse : undefined,
  });
  return {
    event,
    decision,
    sessionKey: attribution?.sessionKey ?? keys.sessionKey,
    customerId: customer.id,
    keySources: presentSources(sources, event),
  };
}

/** The sources of the keys the event actually carries. */
function presentSources(sources: KeySources, event: TikTokEvent): KeySources {
  const user = event.user ?? {};
  const present: Record<keyof KeySources, boolean> = {
    ttclid: !!user.ttclid,
    ttp: !!user.ttp,
    email: !!user.email?.length,
    phone: !!user.phone?.length,
    external_id: !!user.external_id?.length,
    first_name: !!user.first_name,
    last_name: !!user.last_name,
    city: !!user.city,
    state: !!user.state,
    country: !!user.country,
    zip_code: !!user.zip_code,
    ip: !!user.ip,
    user_agent: !!user.user_agent,
    consent: true,
  };
  const out: KeySources = {};
  for (const key of Object.keys(sources) as (keyof KeySources)[])
    if (present[key]) out[key] = sources[key];
  return out;
}

function safeUrl(path: string, base: string): string | null {
  try {
    const url = new URL(path, base);
    return url.protocol === "https:" || url.protocol === "http:"
      ? url.toString()
      : null;
  } catch {
    return null;
  }
}

/** The event as stored for a skipped delivery: no identifiers at all. */
export function withoutUserData(event: TikTokEvent): TikTokEvent {
  const { user: _user, page: _page, ...rest } = event;
  return rest;
}
