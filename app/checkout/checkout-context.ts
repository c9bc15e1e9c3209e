// Pure: what one relayed checkout event adds to what we know of the checkout, and the TikTok
// events the checkout steps become. Raw email/phone enter only `hashContact` and leave as hashes.
import { buildEvent } from "~/tiktok/event-builder";
import { hashNameAndAddress, hashUserIdentifiers } from "~/tiktok/hashing";
import type { TikTokEvent } from "~/tiktok/wire-types";
import { matchKeysOf } from "~/tiktok/match-keys";
import type { KeySources } from "~/orders/browser-context";
import type { RelayBody, RelayEventName } from "./relay-schema";
import { orderDigits } from "./relay-schema";

/** The stored checkout context (CheckoutContext row) without its keys and bookkeeping. */
export interface CheckoutContextState {
  ttclid: string | null;
  ttp: string | null;
  sessionKey: string | null;
  consent: "granted" | "denied" | "unknown";
  ip: string | null;
  userAgent: string | null;
  emailHash: string | null;
  phoneHash: string | null;
  pageUrl: string | null;
  orderId: string | null;
  startedAt: Date | null;
  completedAt: Date | null;
}

/** The request around a relayed body: the address and browser Shopify's proxy saw. */
export interface RelayRequest {
  body: RelayBody;
  ip: string | null;
  userAgent: string | null;
  now: Date;
}

/** SHA-256 of the normalised email and E.164 phone (TikTok's rules, app/tiktok/hashing.ts). */
export function hashContact(body: Pick<RelayBody, "email" | "phone">): {
  emailHash: string | null;
  phoneHash: string | null;
} {
  const hashed = hashUserIdentifiers({
    emails: [body.email],
    phones: [body.phone],
  });
  return {
    emailHash: hashed.email?.[0] ?? null,
    phoneHash: hashed.phone?.[0] ?? null,
  };
}

/** Client clocks may not claim the future, nor more than a day ago. */
export function relayEventTime(ts: string, now: Date): Date {
  const at = Date.parse(ts);
  return new Date(
    Math.min(Math.max(at, now.getTime() - 86_400_000), now.getTime()),
  );
}

/**
 * The context after one relayed event: values it carries win, values it lacks keep what we
 * had (a later step never forgets the click id an earlier one brought).
 */
export function mergeContext(
  previous: CheckoutContextState | null,
  request: RelayRequest,
): CheckoutContextState {
  const { body, now } = request;
  const contact = hashContact(body);
  const at = relayEventTime(body.ts, now);
  return {
    ttclid: body.ttclid ?? previous?.ttclid ?? null,
    ttp: body.ttp ?? previous?.ttp ?? null,
    sessionKey: body.sid ?? previous?.sessionKey ?? null,
    consent: "granted",
    ip: request.ip ?? previous?.ip ?? null,
    userAgent: request.userAgent ?? previous?.userAgent ?? null,
    emailHash: contact.emailHash ?? previous?.emailHash ?? null,
    phoneHash: contact.phoneHash ?? previous?.phoneHash ?? null,
    pageUrl: body.url ?? previous?.pageUrl ?? null,
    orderId:
      (body.order_id ? orderDigits(body.order_id) : null) ??
      previous?.orderId ??
      null,
    startedAt: previous?.startedAt ?? at,
    completedAt:
      body.event === "checkout_completed"
        ? (previous?.completedAt ?? at)
        : (previous?.completedAt ?? null),
  };
}

/**
 * The TikTok event each checkout step may become. The completed checkout has none: it is the
 * order's Purchase, sent from the order webhook. The contact and shipping steps have no TikTok
 * standard event (https://ads.tiktok.com/help/article/supported-standard-events), so they go
 * as custom events, and only when the shop turns them on. A custom event name is at most 50
 * letters, digits, `_` or `-`, starts with a letter and is neither a standard nor a reserved
 * name (https://ads.tiktok.com/help/article/custom-events); custom events count in reports and
 * audiences, not in optimisation.
 */
export const CHECKOUT_EVENTS = {
  checkout_started: "InitiateCheckout",
  checkout_contact_info_submitted: "CheckoutContactInfo",
  checkout_shipping_info_submitted: "CheckoutShippingInfo",
  payment_info_submitted: "AddPaymentInfo",
} as const satisfies Partial<Record<RelayEventName, string>>;

export type CheckoutEventName =
  (typeof CHECKOUT_EVENTS)[keyof typeof CHECKOUT_EVENTS];

/** The shop's switches for the checkout steps (ShopSettings). */
export interface CheckoutEventSwitches {
  sendInitiateCheckout: boolean;
  sendAddPaymentInfo: boolean;
  sendCheckoutSteps: boolean;
}

/** The TikTok event a relayed step becomes for this shop, or null (not a step we send, or off). */
export function checkoutEventName(
  step: RelayEventName,
  switches: CheckoutEventSwitches,
): CheckoutEventName | null {
  switch (step) {
    case "checkout_started":
      return switches.sendInitiateCheckout ? CHECKOUT_EVENTS[step] : null;
    case "payment_info_submitted":
      return switches.sendAddPaymentInfo ? CHECKOUT_EVENTS[step] : null;
    case "checkout_contact_info_submitted":
    case "checkout_shipping_info_submitted":
      return switches.sendCheckoutSteps ? CHECKOUT_EVENTS[step] : null;
    case "checkout_completed":
      return null;
  }
}

/**
 * One id per checkout and event: Shopify fires checkout_started again on every entry to the
 * checkout and on reloads (https://shopify.dev/docs/api/web-pixels-api/standard-events/checkout_started),
 * and TikTok deduplicates an event name + event_id
 * (https://business-api.tiktok.com/portal/docs?id=1771100865818625), so each counts once.
 */
export function checkoutEventId(token: string, eventName: string): string {
  return `${token}_${eventName}`;
}

/** The step's own address, hashed / normalised (never stored raw, nor in the context). */
export function hashCheckoutAddress(addr: RelayBody["addr"]) {
  return hashNameAndAddress(
    addr && {
      firstName: addr.fn,
      lastName: addr.ln,
      city: addr.city,
      provinceCode: addr.prov,
      countryCode: addr.cc,
      zip: addr.zip,
    },
  );
}

/** The TikTok event for a checkout step, with what the context knows by now. */
export function checkoutEvent(
  eventName: string,
  body: RelayBody,
  context: CheckoutContextState,
  now: Date,
): TikTokEvent {
  return buildEvent({
    eventName,
    eventId: checkoutEventId(body.token, eventName),
    eventTime: relayEventTime(body.ts, now),
    user: {
      email: context.emailHash ? [context.emailHash] : undefined,
      phone: context.phoneHash ? [context.phoneHash] : undefined,
      ...hashCheckoutAddress(body.addr),
      ttclid: context.ttclid,
      ttp: context.ttp,
      ip: context.ip,
      userAgent: context.userAgent,
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
    },
    page: context.pageUrl ? { url: context.pageUrl } : undefined,
  });
}

/**
 * Where each key of a checkout event came from: all of them from the checkout pixel's relays
 * (this step or an earlier one; the IP and user agent are those of its requests), as the
 * Purchase's join labels them.
 */
export function checkoutKeySources(event: TikTokEvent): KeySources {
  const sources: KeySources = {};
  for (const key of matchKeysOf(event))
    if (key !== "ip_ua") sources[key] = "checkout_pixel";
  if (event.user?.ip) sources.ip = "checkout_pixel";
  if (event.user?.user_agent) sources.user_agent = "checkout_pixel";
  return sources;
}
