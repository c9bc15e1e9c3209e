// Pure mapping from a Shopify order (plus what the storefront told us) to a TikTok Purchase.
import { hashUserIdentifiers } from "~/tiktok/hashing";
import { buildEvent, type TikTokEvent } from "~/tiktok/payload";
import { customerNumericId, noteAttribute, type OrderPayload } from "./order";

/** Cart attributes written by the storefront script (extensions/tiktok-pixel). */
export const CART_ATTRIBUTES = { sessionId: "_tt_sid", ttclid: "_tt_ttclid", ttp: "_ttp" } as const;

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
}

/**
 * One id per order and event name. Shopify order ids are unique across all shops, so the
 * shop adds nothing to uniqueness; keeping the `<orderId>_Purchase` form lets a checkout
 * pixel that uses the same convention deduplicate against us.
 */
export function purchaseEventId(_shop: string, orderId: string, eventName = "Purchase"): string {
  return `${orderId}_${eventName}`;
}

/** Why an order is not a conversion under the shop's filters, or null when it is. */
export function orderFilterReason(order: OrderPayload, settings: OrderSettings): string | null {
  const source = (order.source_name ?? "").toLowerCase();
  const tags = (order.tags ?? "").toLowerCase().split(",").map((t) => t.trim());
  if (settings.skipTestOrders && order.test === true) return "Skipped: test order.";
  if (settings.skipPosOrders && source === "pos") return "Skipped: point of sale order.";
  if (settings.skipDraftOrders && source === "shopify_draft_order") return "Skipped: created from a draft order.";
  if (
    settings.skipSubscriptionRecurringOrders &&
    (source === "subscription_contract" ||
      source === "subscription_contract_checkout_one" ||
      tags.includes("subscription recurring order"))
  ) {
    return "Skipped: recurring subscription order.";
  }
  return null;
}

/** ttclid from the order's landing page (`landing_site` is a path with query). */
export function ttclidFromLandingSite(landingSite: string | null | undefined): string | null {
  if (!landingSite) return null;
  try {
    return new URL(landingSite, "https://shop.invalid").searchParams.get("ttclid")?.trim() || null;
  } catch {
    return null;
  }
}

export type ConsentDecision = { send: true; limitedDataUse: boolean } | { send: false; reason: string };

export function consentDecision(consent: Consent, policy: OrderSettings["consentPolicy"]): ConsentDecision {
  if (consent === "granted") return { send: true, limitedDataUse: false };
  if (consent === "denied") return { send: false, reason: "Not sent: the shopper declined marketing consent." };
  if (policy === "send") return { send: true, limitedDataUse: false };
  if (policy === "limited") return { send: true, limitedDataUse: true };
  return { send: false, reason: "Not sent: the shopper's consent is unknown and the shop's policy is not to send." };
}

function firstLocale(acceptLanguage: string | null | undefined): string | undefined {
  const tag = acceptLanguage?.split(",")[0]?.split(";")[0]?.trim();
  return tag && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag) ? tag : undefined;
}

export interface PurchaseMapping {
  event: TikTokEvent;
  decision: ConsentDecision;
  sessionKey: string | null;
  customerId: string | null;
}

/**
 * Builds the Purchase. Raw email and phone enter here and leave only as SHA-256 hashes;
 * the caller stores the returned event, never the order payload.
 */
export function mapPurchase(
  shop: string,
  order: OrderPayload,
  attribution: Attribution | null,
  settings: OrderSettings,
): PurchaseMapping {
  const eventName = settings.purchaseEventName || "Purchase";
  const consent: Consent = attribution?.consent ?? "unknown";
  const decision = consentDecision(consent, settings.consentPolicy);
  const customerId = customerNumericId(order);
  const defaultCountry = order.billing_address?.country_code ?? order.shipping_address?.country_code ?? null;
  const identifiers = hashUserIdentifiers({
    emails: [order.email, order.contact_email, order.customer?.email],
    phones: [order.phone, order.customer?.phone, order.billing_address?.phone, order.shipping_address?.phone],
    externalIds: [customerId],
    defaultCountry,
  });

  const ttclid =
    noteAttribute(order, CART_ATTRIBUTES.ttclid) ?? attribution?.ttclid ?? ttclidFromLandingSite(order.landing_site);
  const ttp = noteAttribute(order, CART_ATTRIBUTES.ttp) ?? attribution?.ttp ?? null;
  const ip = attribution?.ip ?? order.browser_ip ?? null;
  const userAgent = attribution?.userAgent ?? order.client_details?.user_agent ?? null;

  const lineItems = order.line_items ?? [];
  const value = settings.valueSource === "subtotal" ? order.subtotal_price : order.total_price;
  const landingUrl =
    attribution?.landingUrl ?? (order.landing_site ? safeUrl(order.landing_site, `https://${shop}`) : null);

  const event = buildEvent({
    eventName,
    eventId: purchaseEventId(shop, order.id, eventName),
    eventTime: order.created_at ? new Date(order.created_at) : new Date(),
    user: {
      ...identifiers,
      ttclid,
      ttp,
      ip,
      userAgent,
      locale: firstLocale(order.client_details?.accept_language),
    },
    properties: {
      currency: order.currency,
      value: value ?? order.total_price,
      contentType: "product",
      contents: lineItems.map((item) => ({
        contentId: item.variant_id ?? item.product_id ?? item.sku ?? null,
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
  return { event, decision, sessionKey: attribution?.sessionKey ?? noteAttribute(order, CART_ATTRIBUTES.sessionId), customerId };
}

function safeUrl(path: string, base: string): string | null {
  try {
    const url = new URL(path, base);
    return url.protocol === "https:" || url.protocol === "http:" ? url.toString() : null;
  } catch {
    return null;
  }
}

/** The event as stored for a skipped delivery: no identifiers at all. */
export function withoutUserData(event: TikTokEvent): TikTokEvent {
  const { user: _user, page: _page, ...rest } = event;
  return rest;
}
