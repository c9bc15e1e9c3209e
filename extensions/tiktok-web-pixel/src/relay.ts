// The checkout web pixel: relays Shopify's checkout events, with our first-party cookies, to
// the app (app/routes/proxy.checkout.tsx, whose schema app/checkout/relay-schema.ts is the
// contract for the body built here). Runs in Shopify's strict sandbox, a web worker
// (https://shopify.dev/docs/api/web-pixels-api), so it touches no DOM; everything it needs
// comes through the api `register` hands it. Kept small: the goal is 4 KB gzipped.
//
// Rules:
// - nothing is relayed without marketing and sale-of-data consent, read from
//   init.customerPrivacy and kept current through customerPrivacy's visitorConsentCollected
//   (https://shopify.dev/docs/api/web-pixels-api/pixel-privacy);
// - nothing we do may throw into the page: every callback is contained;
// - a missing cookie is left out, the rest still goes;
// - fetch with keepalive, so the request outlives a page that is navigating away
//   (sendBeacon is deprecated in pixels: https://shopify.dev/docs/api/web-pixels-api/standard-api/browser).
import type {
  ExtensionApi,
  PixelEventsCheckoutStarted,
} from "@shopify/web-pixels-extension";

/** The standard checkout events (https://shopify.dev/docs/api/web-pixels-api/standard-events). */
export const CHECKOUT_EVENTS = [
  "checkout_started",
  "checkout_contact_info_submitted",
  "checkout_shipping_info_submitted",
  "payment_info_submitted",
  "checkout_completed",
] as const;

/** What each of the five events carries: the same `data.checkout` shape. */
export type CheckoutEvent = Omit<PixelEventsCheckoutStarted, "name"> & {
  name: string;
};

export interface Cookies {
  ttclid?: string;
  ttp?: string;
  sid?: string;
}

export interface Privacy {
  marketingAllowed: boolean;
  saleOfDataAllowed: boolean;
}

/** Our cookie names: TikTok's _ttp, and the theme script's click id and session id. */
const COOKIES: [keyof Cookies, string][] = [
  ["ttclid", "_tt_ttclid"],
  ["ttp", "_ttp"],
  ["sid", "_tt_sid"],
];

const text = (value: unknown, max: number): string | undefined =>
  typeof value == "string" && value.trim() && value.length <= max
    ? value.trim()
    : undefined;
const amount = (value: unknown): number | undefined =>
  typeof value == "number" && value >= 0 ? value : undefined;
/** The digits after the last "/" of an id that may be a GID. */
const lastSegment = (id: unknown): string | undefined =>
  id == null ? undefined : text(String(id).split("/").pop(), 64);

type Address = {
  firstName?: unknown;
  lastName?: unknown;
  city?: unknown;
  provinceCode?: unknown;
  countryCode?: unknown;
  zip?: unknown;
} | null;

/** Name and place of one address, raw (the relay hashes them); undefined when it has none. */
const place = (a: Address | undefined) => {
  const out = a && {
    fn: text(a.firstName, 255),
    ln: text(a.lastName, 255),
    city: text(a.city, 255),
    prov: text(a.provinceCode, 16),
    cc: /^[A-Za-z]{2}$/.test(String(a.countryCode)) ? a.countryCode : undefined,
    zip: text(a.zip, 32),
  };
  return out && Object.values(out).some((v) => v) ? out : undefined;
};

export const allowed = (p: Privacy | undefined): boolean =>
  !!p && p.marketingAllowed && p.saleOfDataAllowed;

/**
 * The relay body for one event, or null when it has no checkout token (nothing to join on).
 * Values that would not pass the relay's schema are left out rather than sent.
 */
export function relayBody(event: CheckoutEvent, cookies: Cookies) {
  const checkout = event.data?.checkout;
  const token = checkout?.token;
  if (!token) return null;
  const name = event.name;
  const contact =
    name == "checkout_contact_info_submitted" || name == "checkout_completed";
  const priced = name == "checkout_started" || name == "payment_info_submitted";
  const total = checkout.totalPrice;
  return {
    v: 1,
    event: name,
    id: event.id,
    ts: event.timestamp,
    token,
    url: text(event.context?.document?.location?.href, 2048),
    consent: "granted",
    ttclid: text(cookies.ttclid, 512),
    ttp: text(cookies.ttp, 128),
    sid: /^[\w-]{16,64}$/.test(cookies.sid || "") ? cookies.sid : undefined,
    email: contact ? text(checkout.email, 320) : undefined,
    phone: contact
      ? text(
          checkout.phone ||
            checkout.shippingAddress?.phone ||
            checkout.billingAddress?.phone,
          64,
        )
      : undefined,
    // Billing, else shipping, as the order's Purchase picks (the completed checkout needs none).
    addr:
      name == "checkout_completed"
        ? undefined
        : place(checkout.billingAddress) || place(checkout.shippingAddress),
    order_id:
      name == "checkout_completed"
        ? lastSegment(checkout.order?.id)
        : undefined,
    currency: priced
      ? text(total?.currencyCode || checkout.currencyCode, 3)
      : undefined,
    value: priced ? amount(total?.amount) : undefined,
    items: priced
      ? checkout.lineItems
          ?.slice(0, 50)
          .map((line) => ({
            id: lastSegment(line.variant?.id) as string,
            q: line.quantity,
            p: amount(line.variant?.price?.amount),
            n: text(line.title, 255),
          }))
          .filter((item) => item.id && item.q >= 0)
      : undefined,
  };
}

/** What `register` calls: subscribes to the checkout events and relays each, contained. */
export function startRelay(api: ExtensionApi): void {
  try {
    const { analytics, browser, init, settings, customerPrivacy } = api;
    const url: string = settings.relayUrl;
    let privacy: Privacy | undefined = init.customerPrivacy;
    customerPrivacy.subscribe("visitorConsentCollected", (event) => {
      privacy = event.customerPrivacy;
    });
    // A cookie that cannot be read is a missing cookie.
    const cookie = async (name: string) => {
      try {
        return (await browser.cookie.get(name)) || undefined;
      } catch {
        return undefined;
      }
    };
    const relay = async (event: CheckoutEvent) => {
      if (!allowed(privacy)) return;
      const cookies: Cookies = {};
      for (const [key, name] of COOKIES) cookies[key] = await cookie(name);
      const body = relayBody(event, cookies);
      // Checked again: consent may have been withdrawn while the cookies were read.
      if (!body || !allowed(privacy)) return;
      // A CORS-safelisted text/plain body: no preflight; the answer is not read.
      await fetch(url, {
        method: "POST",
        body: JSON.stringify(body),
        keepalive: true,
        mode: "no-cors",
      });
    };
    for (const name of CHECKOUT_EVENTS)
      analytics.subscribe(name, (event: CheckoutEvent) => {
        try {
          relay(event).catch(() => {});
        } catch {
          // contained: the checkout must never see our errors
        }
      });
  } catch {
    // contained
  }
}
