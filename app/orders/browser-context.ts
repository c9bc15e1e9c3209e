// Pure: what the browser told us about an order's visit, joined from the places it may be, most
// trusted first: the order's cart attributes (and the storefront session they name), the
// checkout web pixel's context (by checkout_token), the storefront session of the cart token,
// the order's landing_site, and last the order's own IP and user agent. Each key records where
// it came from, for the delivery log.
import type { TikTokEvent } from "~/tiktok/wire-types";
import { formatUser } from "~/tiktok/event-builder";
import type { Attribution, Consent } from "./purchase";
import { storefrontKeys } from "./purchase";
import type { ShopOrder } from "./shop-order";

export type KeySource =
  | "cart_attributes"
  | "checkout_pixel"
  | "storefront_session"
  | "landing_site"
  | "order"
  /** The order's billing address (names, city, state, country, postal code). */
  | "billing_address"
  /** The order's shipping address, when it has no billing address. */
  | "shipping_address"
  /** A storefront event's body, as the theme script sent it (ttclid, ttp). */
  | "storefront_script"
  /** What Shopify's app proxy added to a storefront request: the signed logged_in_customer_id, the shopper's IP and user agent. */
  | "app_proxy";

export type SourcedKey =
  | "ttclid"
  | "ttp"
  | "email"
  | "phone"
  | "external_id"
  | "first_name"
  | "last_name"
  | "city"
  | "state"
  | "country"
  | "zip_code"
  | "ip"
  | "user_agent"
  | "consent";

export type KeySources = Partial<Record<SourcedKey, KeySource>>;

/** An AttributionSession row, as the join reads it. */
export interface SessionFacts {
  sessionKey: string | null;
  ttclid: string | null;
  ttp: string | null;
  ip: string | null;
  userAgent: string | null;
  consent: Consent;
  landingUrl: string | null;
}

/** A CheckoutContext row, as the join reads it. */
export interface CheckoutFacts {
  sessionKey: string | null;
  ttclid: string | null;
  ttp: string | null;
  ip: string | null;
  userAgent: string | null;
  consent: Consent;
  emailHash: string | null;
  phoneHash: string | null;
  pageUrl: string | null;
}

export interface BrowserContext {
  /** The storefront session named by the cart attribute `_tt_sid`. */
  cartSession: SessionFacts | null;
  /** The checkout pixel's context for the order's checkout_token. */
  checkout: CheckoutFacts | null;
  /** The latest storefront session that reported the order's cart token. */
  tokenSession: SessionFacts | null;
}

/** True when the order carries any trace of the shopper's browser beyond its own fields. */
export function hasBrowserContext(
  order: Pick<ShopOrder, "hints">,
  context: BrowserContext,
): boolean {
  const keys = storefrontKeys(order);
  return Boolean(
    keys.sessionKey ||
    keys.ttclid ||
    keys.ttp ||
    context.cartSession ||
    context.checkout ||
    context.tokenSession,
  );
}

type Candidate<T> = [T | null | undefined, KeySource];

/** The first present value, and where it came from. */
function first<T>(
  ...candidates: Candidate<T>[]
): [T, KeySource] | [null, undefined] {
  for (const [value, source] of candidates)
    if (value !== null && value !== undefined && value !== "")
      return [value, source];
  return [null, undefined];
}

/**
 * A refusal anywhere wins (the shopper said no somewhere on the way); otherwise a grant
 * anywhere; otherwise unknown.
 */
function joinConsent(
  sources: [Consent | undefined, KeySource][],
): [Consent, KeySource | undefined] {
  const denied = sources.find(([c]) => c === "denied");
  if (denied) return ["denied", denied[1]];
  const granted = sources.find(([c]) => c === "granted");
  if (granted) return ["granted", granted[1]];
  return ["unknown", undefined];
}

/**
 * The Attribution the Purchase mapping reads, in the order above. The order's own IP, user
 * agent and landing_site ttclid are left to the mapping (it falls back to them), which also
 * records those sources.
 */
export function joinBrowserContext(
  order: Pick<ShopOrder, "hints">,
  context: BrowserContext,
): Attribution | null {
  if (!hasBrowserContext(order, context)) return null;
  const keys = storefrontKeys(order);
  const { cartSession: cs, checkout: co, tokenSession: ts } = context;
  const sources: KeySources = {};
  const pick = <T>(key: SourcedKey, ...c: Candidate<T>[]): T | null => {
    const [value, source] = first(...c);
    if (source) sources[key] = source;
    return value;
  };
  const ttclid = pick(
    "ttclid",
    [keys.ttclid, "cart_attributes"],
    [cs?.ttclid, "storefront_session"],
    [co?.ttclid, "checkout_pixel"],
    [ts?.ttclid, "storefront_session"],
  );
  const ttp = pick(
    "ttp",
    [keys.ttp, "cart_attributes"],
    [cs?.ttp, "storefront_session"],
    [co?.ttp, "checkout_pixel"],
    [ts?.ttp, "storefront_session"],
  );
  const ip = pick(
    "ip",
    [cs?.ip, "storefront_session"],
    [co?.ip, "checkout_pixel"],
    [ts?.ip, "storefront_session"],
  );
  const userAgent = pick(
    "user_agent",
    [cs?.userAgent, "storefront_session"],
    [co?.userAgent, "checkout_pixel"],
    [ts?.userAgent, "storefront_session"],
  );
  const [consent, consentSource] = joinConsent([
    [cs?.consent, "storefront_session"],
    [co?.consent, "checkout_pixel"],
    [ts?.consent, "storefront_session"],
  ]);
  if (consentSource) sources.consent = consentSource;
  return {
    sessionKey:
      cs?.sessionKey ??
      keys.sessionKey ??
      co?.sessionKey ??
      ts?.sessionKey ??
      null,
    ttclid,
    ttp,
    ip,
    userAgent,
    consent,
    landingUrl: cs?.landingUrl ?? co?.pageUrl ?? ts?.landingUrl ?? null,
    emailHashes: co?.emailHash ? [co.emailHash] : [],
    phoneHashes: co?.phoneHash ? [co.phoneHash] : [],
    sources,
  };
}

/**
 * A held Purchase (its order found no browser context) rebuilt with the checkout context the
 * pixel relayed afterwards: the context outranks what the order alone gave (landing_site ttclid,
 * the order's IP and user agent), the contact hashes are added, and a granted consent lifts the
 * Limited Data Use the unknown consent had set. Same event id, time, properties and page.
 */
export function withCheckoutContext(
  event: TikTokEvent,
  sources: KeySources,
  context: CheckoutFacts,
): { event: TikTokEvent; sources: KeySources } {
  const user = event.user ?? {};
  const next: KeySources = { ...sources };
  const take = (
    key: SourcedKey,
    fromContext: string | null,
    current: string | undefined,
  ): string | undefined => {
    if (fromContext) {
      next[key] = "checkout_pixel";
      return fromContext;
    }
    return current;
  };
  const merge = (
    key: SourcedKey,
    current: string[] | undefined,
    hash: string | null,
  ) => {
    if (!hash || current?.includes(hash)) return current;
    if (!current?.length) next[key] = "checkout_pixel";
    return [...(current ?? []), hash];
  };
  const rebuilt = formatUser({
    ttclid: take("ttclid", context.ttclid, user.ttclid),
    ttp: take("ttp", context.ttp, user.ttp),
    email: merge("email", user.email, context.emailHash),
    phone: merge("phone", user.phone, context.phoneHash),
    external_id: user.external_id,
    first_name: user.first_name,
    last_name: user.last_name,
    city: user.city,
    state: user.state,
    country: user.country,
    zip_code: user.zip_code,
    ip: take("ip", context.ip, user.ip),
    userAgent: take("user_agent", context.userAgent, user.user_agent),
    locale: user.locale,
  });
  const { limited_data_use: _ldu, user: _user, ...rest } = event;
  const out: TikTokEvent = { ...rest };
  if (rebuilt) out.user = rebuilt;
  if (context.consent === "granted") next.consent = "checkout_pixel";
  else if (event.limited_data_use) out.limited_data_use = true;
  // Key order as built (event, time, id, user, properties, page, limited_data_use).
  return {
    event: {
      event: out.event,
      event_time: out.event_time,
      event_id: out.event_id,
      ...(out.user ? { user: out.user } : {}),
      ...(out.properties ? { properties: out.properties } : {}),
      ...(out.page ? { page: out.page } : {}),
      ...(out.limited_data_use ? { limited_data_use: true } : {}),
    },
    sources: next,
  };
}
