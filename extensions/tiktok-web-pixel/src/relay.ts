// The checkout web pixel: relays Shopify's checkout events, with our first-party cookies, to
// the app (app/routes/proxy.checkout.tsx, whose schema app/checkout/relay-schema.ts is the
// contract for the body built here). On storefront pages where the theme app embed did not run,
// it also relays page views, product views, adds to cart and searches (the fallback, whose
// contract is app/storefront/fallback-schema.ts; README, "Storefront fallback"). Runs in
// Shopify's strict sandbox, a web worker
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
  PixelEventsPageViewed,
  PixelEventsProductAddedToCart,
  PixelEventsProductViewed,
  PixelEventsSearchSubmitted,
} from "@shopify/web-pixels-extension";

/** The standard checkout events (https://shopify.dev/docs/api/web-pixels-api/standard-events). */
export const CHECKOUT_EVENTS = [
  "checkout_started",
  "checkout_contact_info_submitted",
  "checkout_shipping_info_submitted",
  "payment_info_submitted",
  "checkout_completed",
] as const;

/**
 * The storefront events relayed as a fallback, only where the embed did not run
 * (https://shopify.dev/docs/api/web-pixels-api/standard-events).
 */
export const STOREFRONT_EVENTS = [
  "page_viewed",
  "product_viewed",
  "product_added_to_cart",
  "search_submitted",
] as const;

export type StorefrontEvent =
  | PixelEventsPageViewed
  | PixelEventsProductViewed
  | PixelEventsProductAddedToCart
  | PixelEventsSearchSubmitted;

/**
 * The embed's cookie: the path of the page it reports (extensions/tiktok-pixel/src/storefront.js
 * writes it when it starts on a page and again with each event).
 */
export const EMBED_COOKIE = "_tt_pg";
/**
 * How long the pixel looks for the embed's cookie before relaying: the embed's script is
 * deferred and waits for Shopify's consent API, while the pixel may get the event first.
 */
export const EMBED_WAIT_STEPS = 8;
export const EMBED_WAIT_STEP_MS = 500;

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

const httpUrl = (value: unknown): string | undefined => {
  const url = text(value, 2048);
  return url && /^https?:\/\//i.test(url) ? url : undefined;
};
const pathOf = (href: string): string | undefined => {
  try {
    return new URL(href).pathname;
  } catch {
    return undefined;
  }
};

/**
 * The fallback body for a storefront event, or null when it has no theme page to report. The
 * click id comes from the page's URL (a landing page's) or our cookie. Values that would not pass
 * the schema are left out.
 */
export function fallbackBody(event: StorefrontEvent, cookies: Cookies) {
  const url = httpUrl(event.context?.document?.location?.href);
  // Checkout, thank-you and order status pages are no theme pages: the embed never runs there,
  // and the checkout events above report what happens on them.
  if (!url || /\/(checkouts|orders)\//.test(pathOf(url) || "")) return null;
  const name = event.name;
  const line =
    name == "product_added_to_cart" ? event.data?.cartLine : undefined;
  const variant =
    name == "product_viewed" ? event.data?.productVariant : line?.merchandise;
  const id = variant && lastSegment(variant.id);
  let ttclid = cookies.ttclid;
  try {
    // a newer click replaces the older one, as in the embed
    ttclid = new URL(url).searchParams.get("ttclid") || ttclid;
  } catch {
    // no click id in the URL
  }
  return {
    v: 1,
    event: name,
    id: event.id,
    ts: event.timestamp,
    url,
    ref: httpUrl(event.context?.document?.referrer),
    consent: "granted",
    ttclid: text(ttclid, 512),
    ttp: text(cookies.ttp, 128),
    sid: /^[\w-]{16,64}$/.test(cookies.sid || "") ? cookies.sid : undefined,
    currency: text(variant?.price?.currencyCode, 3),
    value: amount(
      line ? line.cost?.totalAmount?.amount : variant?.price?.amount,
    ),
    items: id
      ? [
          {
            id,
            q: line ? line.quantity : 1,
            p: amount(variant.price?.amount),
            n: text(variant.product?.title, 255),
          },
        ]
      : undefined,
    query:
      name == "search_submitted"
        ? text(event.data?.searchResult?.query, 500)
        : undefined,
  };
}

/** What `register` calls: subscribes to the checkout events and relays each, contained. */
export function startRelay(api: ExtensionApi): void {
  try {
    const { analytics, browser, init, settings, customerPrivacy } = api;
    const url: string = settings.relayUrl;
    let privacy: Privacy | undefined = init.customerPrivacy;
    // Our click-id cookie, written like the embed writes it (30 days, first-party); the
    // checkout events carry it to the order.
    const keepClick = (value: string, maxAge: number) => {
      try {
        browser.cookie
          .set(
            `_tt_ttclid=${encodeURIComponent(value)};path=/;max-age=${maxAge};SameSite=Lax;Secure`,
          )
          .catch(() => {});
      } catch {
        // contained
      }
    };
    customerPrivacy.subscribe("visitorConsentCollected", (event) => {
      privacy = event.customerPrivacy;
      // Withdrawn: the click id is forgotten, as the embed forgets it.
      if (!allowed(privacy)) keepClick("", 0);
    });
    // A cookie that cannot be read is a missing cookie.
    const cookie = async (name: string) => {
      try {
        return (await browser.cookie.get(name)) || undefined;
      } catch {
        return undefined;
      }
    };
    const cookies = async () => {
      const found: Cookies = {};
      for (const [key, name] of COOKIES) found[key] = await cookie(name);
      return found;
    };
    const post = async (body: object | null) => {
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
    const relay = async (event: CheckoutEvent) => {
      if (allowed(privacy)) await post(relayBody(event, await cookies()));
    };
    // Whether the embed reports this page: its cookie names the page's path, now or within the
    // wait (it may start after the event reached us).
    const embedRan = async (href: unknown) => {
      const path = typeof href == "string" && pathOf(href);
      if (!path) return false;
      for (let step = 0; ; step++) {
        let value = await cookie(EMBED_COOKIE);
        try {
          value = value && decodeURIComponent(value);
        } catch {
          // not ours
        }
        if (value == path) return true;
        if (step == EMBED_WAIT_STEPS) return false;
        await new Promise((resolve) => setTimeout(resolve, EMBED_WAIT_STEP_MS));
      }
    };
    const fallback = async (event: StorefrontEvent) => {
      const page = fallbackBody(event, {}); // null: not a theme page
      if (
        !page ||
        !allowed(privacy) ||
        (await embedRan(event.context?.document?.location?.href))
      )
        return;
      const found = await cookies();
      // The embed keeps a landing page's click id for the later pages; without it, we do.
      const click = new URL(page.url).searchParams.get("ttclid");
      if (
        click &&
        click.length < 500 &&
        click != found.ttclid &&
        allowed(privacy)
      )
        keepClick(click, 2592e3);
      await post(fallbackBody(event, found));
    };
    // Each event's handler (typed by the event names it is given), contained.
    const on = (
      names: readonly string[],
      handle: (event: never) => Promise<void>,
    ) =>
      names.map((name) =>
        analytics.subscribe(name, (event: unknown) => {
          try {
            handle(event as never).catch(() => {});
          } catch {
            // contained: the page must never see our errors
          }
        }),
      );
    on(CHECKOUT_EVENTS, relay);
    on(STOREFRONT_EVENTS, fallback);
  } catch {
    // contained
  }
}
