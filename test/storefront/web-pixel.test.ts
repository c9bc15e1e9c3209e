// The checkout web pixel (extensions/tiktok-web-pixel), driven through the callback it hands to
// `register`, with stand-ins for the api Shopify's strict sandbox provides (analytics, browser,
// init, customerPrivacy, settings) and for the sandbox's fetch, fed with the documented event
// payloads (test/fixtures/checkout-events.ts). The last test runs the bundle as built.
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ExtensionApi } from "@shopify/web-pixels-extension";
import {
  buildWebPixel,
  GZIP_GOAL_BYTES,
  measureWebPixel,
} from "../../extensions/tiktok-web-pixel/build.mjs";
import {
  CHECKOUT_TOKEN,
  SHOP,
  checkoutEvent,
  type CheckoutPixelEvent,
} from "../fixtures/checkout-events";
import { parseRelayBody } from "~/checkout/relay-schema";
import { parsePixelBody } from "~/checkout/pixel-body";
import {
  EMBED_WAIT_STEP_MS,
  EMBED_WAIT_STEPS,
} from "../../extensions/tiktok-web-pixel/src/relay";
import {
  VARIANT_ID,
  pageViewed,
  productAddedToCart,
  productViewed,
  searchSubmitted,
  type StorefrontPixelEvent,
} from "../fixtures/storefront-events";

const RELAY = `https://${SHOP}/apps/tiktok-events/checkout`;
const GRANTED = {
  analyticsProcessingAllowed: true,
  marketingAllowed: true,
  preferencesProcessingAllowed: false,
  saleOfDataAllowed: true,
};
const COOKIES: Record<string, string> = {
  _tt_ttclid: "E.C.P.pixelclick",
  _ttp: "2Xv_ttp_cookie_27chars_abcd",
  _tt_sid: "sid_0123456789abcdefXYZ",
};

type Sent = { url: string; init: RequestInit };

interface StandIn {
  api: ExtensionApi;
  subscribed: string[];
  fire(event: CheckoutPixelEvent): Promise<void>;
  /** Hands the event to the pixel's subscriber and returns at once (fake-timer tests). */
  emit(event: { name: string }): void;
  consent(allowed: Partial<typeof GRANTED>): void;
}

/** Lets the pixel's awaits (cookie reads, fetch) run to the end. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

function standIn(
  options: {
    privacy?: Partial<typeof GRANTED>;
    cookies?: Record<string, string>;
    cookieGet?: (name: string) => Promise<string>;
  } = {},
): StandIn {
  const subscribers = new Map<string, (event: unknown) => void>();
  const consentSubscribers: ((payload: {
    customerPrivacy: typeof GRANTED;
  }) => void)[] = [];
  const cookies = options.cookies ?? COOKIES;
  const api = {
    settings: { relayUrl: RELAY },
    analytics: {
      subscribe: (name: string, callback: (event: unknown) => void) => {
        subscribers.set(name, callback);
        return () => true;
      },
    },
    browser: {
      cookie: {
        // Shopify's cookie.get resolves to "" for a missing cookie.
        get: options.cookieGet ?? (async (name: string) => cookies[name] ?? ""),
        set: async (cookie: string) => {
          cookieSets.push(cookie);
          return "";
        },
      },
      localStorage: {},
      sessionStorage: {},
      sendBeacon: async () => true,
    },
    init: {
      context: {},
      data: { customer: null, cart: null, shop: {}, purchasingCompany: null },
      customerPrivacy: { ...GRANTED, ...options.privacy },
    },
    customerPrivacy: {
      subscribe: (
        _name: string,
        callback: (payload: { customerPrivacy: typeof GRANTED }) => void,
      ) => {
        consentSubscribers.push(callback);
        return () => true;
      },
    },
    _pixelInfo: {},
  } as unknown as ExtensionApi;
  return {
    api,
    get subscribed() {
      return [...subscribers.keys()];
    },
    async fire(event) {
      subscribers.get(event.name)!(event);
      await settle();
    },
    emit(event) {
      subscribers.get(event.name)!(event);
    },
    consent(allowed) {
      for (const cb of consentSubscribers)
        cb({ customerPrivacy: { ...GRANTED, ...allowed } });
    },
  };
}

let sent: Sent[];
/** What the pixel wrote through browser.cookie.set, in order. */
let cookieSets: string[];
let fetchImpl: (url: string, init: RequestInit) => Promise<Response>;
const realFetch = globalThis.fetch;
let registered: ((api: ExtensionApi) => void) | undefined;

beforeEach(async () => {
  sent = [];
  cookieSets = [];
  fetchImpl = async () => new Response(null, { status: 204 });
  // The sandbox's fetch; the pixel's only way out.
  globalThis.fetch = ((url: string, init: RequestInit) => {
    sent.push({ url, init });
    return fetchImpl(url, init);
  }) as typeof fetch;
  if (!registered) {
    // `register` hands the callback to Shopify's global, as in the sandbox.
    (globalThis as { shopify?: unknown }).shopify = {
      extend: (point: string, callback: (api: ExtensionApi) => void) => {
        expect(point).toBe("WebPixel::Render");
        registered = callback;
      },
    };
    await import("../../extensions/tiktok-web-pixel/src/index");
  }
});
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Registers the pixel on a fresh stand-in. */
function start(options?: Parameters<typeof standIn>[0]): StandIn {
  const pixel = standIn(options);
  registered!(pixel.api);
  return pixel;
}

const bodies = () => sent.map((s) => JSON.parse(String(s.init.body)));

const COMMON = {
  v: 1,
  token: CHECKOUT_TOKEN,
  consent: "granted",
  ttclid: "E.C.P.pixelclick",
  ttp: "2Xv_ttp_cookie_27chars_abcd",
  sid: "sid_0123456789abcdefXYZ",
};
const PRICED = {
  currency: "EUR",
  value: 44.88,
  items: [{ id: "44400000000001", q: 2, p: 19.99, n: "Linen shirt" }],
};
const CHECKOUT_URL = `https://${SHOP}/checkouts/cn/${CHECKOUT_TOKEN}`;

describe("checkout web pixel", () => {
  it("subscribes to the five checkout events and the four storefront events through register", () => {
    expect(start().subscribed).toEqual([
      "checkout_started",
      "checkout_contact_info_submitted",
      "checkout_shipping_info_submitted",
      "payment_info_submitted",
      "checkout_completed",
      "page_viewed",
      "product_viewed",
      "product_added_to_cart",
      "search_submitted",
    ]);
  });

  it("relays each documented event with exactly the expected body, by fetch with keepalive", async () => {
    const pixel = start();
    const events = [
      checkoutEvent("checkout_started"),
      checkoutEvent("checkout_contact_info_submitted"),
      checkoutEvent("checkout_shipping_info_submitted"),
      checkoutEvent("payment_info_submitted"),
      checkoutEvent("checkout_completed"),
    ];
    for (const event of events) await pixel.fire(event);
    const ts = "2026-12-02T07:30:00.000Z";
    // The billing address, raw here; hashed by the relay before anything is stored or sent.
    const addr = {
      fn: "Ada",
      ln: "Buyer",
      city: "Berlin",
      cc: "DE",
      zip: "10115",
    };
    expect(bodies()).toEqual([
      {
        ...COMMON,
        event: "checkout_started",
        id: events[0].id,
        ts,
        url: CHECKOUT_URL,
        ...PRICED,
      },
      {
        ...COMMON,
        event: "checkout_contact_info_submitted",
        id: events[1].id,
        ts,
        url: CHECKOUT_URL,
        email: "Ada.Buyer@Example.com", // raw here; hashed by the relay before storage
        phone: "+49 151 23456789",
        addr,
      },
      {
        ...COMMON,
        event: "checkout_shipping_info_submitted",
        id: events[2].id,
        ts,
        url: CHECKOUT_URL,
        addr,
      },
      {
        ...COMMON,
        event: "payment_info_submitted",
        id: events[3].id,
        ts,
        url: CHECKOUT_URL,
        ...PRICED,
        addr,
      },
      {
        ...COMMON,
        event: "checkout_completed",
        id: events[4].id,
        ts,
        url: `${CHECKOUT_URL}/thank-you`,
        email: "Ada.Buyer@Example.com",
        phone: "+49 151 23456789",
        order_id: "6120458731077",
      },
    ]);
    for (const { url, init } of sent) {
      expect(url).toBe(RELAY);
      expect(init).toMatchObject({
        method: "POST",
        keepalive: true,
        mode: "no-cors",
      });
      expect(init.headers).toBeUndefined(); // a string body: text/plain, no preflight
    }
    // Every body passes the relay's own schema.
    for (const body of bodies())
      expect(parseRelayBody(JSON.stringify(body))).toMatchObject({ ok: true });
  });

  it("consent denied at load: nothing is relayed", async () => {
    const pixel = start({ privacy: { marketingAllowed: false } });
    await pixel.fire(checkoutEvent("checkout_started"));
    await pixel.fire(checkoutEvent("checkout_completed"));
    expect(sent).toEqual([]);
  });

  it("a sale-of-data opt-out is a refusal too", async () => {
    const pixel = start({ privacy: { saleOfDataAllowed: false } });
    await pixel.fire(checkoutEvent("checkout_started"));
    expect(sent).toEqual([]);
  });

  it("consent withdrawn on the page stops the relay; given again, it resumes", async () => {
    const pixel = start();
    await pixel.fire(checkoutEvent("checkout_started"));
    pixel.consent({ marketingAllowed: false });
    await pixel.fire(checkoutEvent("checkout_contact_info_submitted"));
    expect(bodies().map((b) => b.event)).toEqual(["checkout_started"]);
    pixel.consent({});
    await pixel.fire(checkoutEvent("payment_info_submitted"));
    expect(bodies().map((b) => b.event)).toEqual([
      "checkout_started",
      "payment_info_submitted",
    ]);
  });

  it("cookies missing: still relays what it has", async () => {
    const pixel = start({ cookies: { _ttp: "only_ttp_cookie_value_1234" } });
    await pixel.fire(checkoutEvent("checkout_started"));
    const [body] = bodies();
    expect(body).toMatchObject({ ttp: "only_ttp_cookie_value_1234" });
    expect(body).not.toHaveProperty("ttclid");
    expect(body).not.toHaveProperty("sid");
    expect(parseRelayBody(JSON.stringify(body))).toMatchObject({ ok: true });
  });

  it("a malformed session cookie is left out rather than spoiling the relay", async () => {
    const pixel = start({ cookies: { ...COOKIES, _tt_sid: "bad id;" } });
    await pixel.fire(checkoutEvent("checkout_started"));
    expect(bodies()[0]).not.toHaveProperty("sid");
  });

  it("a throwing cookie API, a failing fetch and a throwing subscribe are contained", async () => {
    const pixel = start({
      cookieGet: () => {
        throw new Error("cookie API broke");
      },
    });
    // cookie.get throws synchronously: the relay goes on without cookies
    await expect(
      pixel.fire(checkoutEvent("checkout_started")),
    ).resolves.toBeUndefined();
    expect(bodies()[0]).not.toHaveProperty("ttp");

    fetchImpl = async () => {
      throw new TypeError("network down");
    };
    const rejected: unknown[] = [];
    const onRejection = (reason: unknown) => rejected.push(reason);
    process.on("unhandledRejection", onRejection);
    await pixel.fire(checkoutEvent("payment_info_submitted"));
    await settle();
    process.off("unhandledRejection", onRejection);
    expect(rejected).toEqual([]);

    const broken = standIn();
    (broken.api.analytics as { subscribe: unknown }).subscribe = () => {
      throw new Error("analytics broke");
    };
    expect(() => registered!(broken.api)).not.toThrow();
  });

  it("an event without a checkout token is not relayed", async () => {
    const pixel = start();
    const event = checkoutEvent("checkout_started");
    event.data.checkout.token = null;
    await pixel.fire(event);
    expect(sent).toEqual([]);
  });

  it("the built bundle registers and relays in a fresh context, and stays under 4 KB gzipped", async () => {
    const code = await buildWebPixel();
    let callback: ((api: ExtensionApi) => void) | undefined;
    const posted: Sent[] = [];
    runInNewContext(code, {
      shopify: {
        extend: (_point: string, cb: (api: ExtensionApi) => void) =>
          (callback = cb),
      },
      fetch: async (url: string, init: RequestInit) => {
        posted.push({ url, init });
        return new Response(null, { status: 204 });
      },
    });
    const pixel = standIn();
    callback!(pixel.api);
    await pixel.fire(checkoutEvent("checkout_started"));
    expect(posted).toHaveLength(1);
    expect(JSON.parse(String(posted[0].init.body))).toMatchObject({
      event: "checkout_started",
      token: CHECKOUT_TOKEN,
    });
    const { gzip } = await measureWebPixel();
    expect(gzip).toBeLessThanOrEqual(GZIP_GOAL_BYTES);
  });
});

// The storefront fallback: on pages where the theme app embed did not run (no _tt_pg cookie
// naming the page), the pixel relays the four storefront events itself, after looking for the
// cookie for a while. Fake timers stand in for that wait.
describe("storefront fallback", () => {
  const WAIT = EMBED_WAIT_STEPS * EMBED_WAIT_STEP_MS;
  const PRODUCT_PAGE = `https://${SHOP}/products/linen-shirt`;
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Hands Shopify's event to the pixel and lets `ms` pass. */
  async function emit(
    pixel: StandIn,
    event: StorefrontPixelEvent,
    ms = WAIT + EMBED_WAIT_STEP_MS,
  ) {
    pixel.emit(event);
    await vi.advanceTimersByTimeAsync(ms);
  }
  const WITHOUT_EMBED = { ...COOKIES }; // the embed never ran on this page

  it("without the embed's cookie, relays each documented event once the wait is over, with exactly the expected body", async () => {
    const pixel = start({ cookies: { ...WITHOUT_EMBED } });
    const events = [
      pageViewed(`https://${SHOP}/`),
      productViewed(),
      productAddedToCart(),
      searchSubmitted("linen shirt"),
    ];
    pixel.emit(events[0]);
    await vi.advanceTimersByTimeAsync(WAIT - EMBED_WAIT_STEP_MS);
    expect(sent).toEqual([]); // still looking for the embed
    await vi.advanceTimersByTimeAsync(2 * EMBED_WAIT_STEP_MS);
    expect(sent).toHaveLength(1);
    for (const event of events.slice(1)) await emit(pixel, event);
    const common = {
      v: 1,
      consent: "granted",
      ttclid: "E.C.P.pixelclick",
      ttp: "2Xv_ttp_cookie_27chars_abcd",
      sid: "sid_0123456789abcdefXYZ",
      ts: "2026-12-02T07:30:00.000Z",
      ref: `https://${SHOP}/`,
    };
    const item = { id: VARIANT_ID, p: 19.99, n: "Linen shirt" };
    expect(bodies()).toEqual([
      {
        ...common,
        event: "page_viewed",
        id: events[0].id,
        url: `https://${SHOP}/`,
      },
      {
        ...common,
        event: "product_viewed",
        id: events[1].id,
        url: PRODUCT_PAGE,
        currency: "EUR",
        value: 19.99,
        items: [{ ...item, q: 1 }],
      },
      {
        ...common,
        event: "product_added_to_cart",
        id: events[2].id,
        url: PRODUCT_PAGE,
        currency: "EUR",
        value: 39.98,
        items: [{ ...item, q: 2 }],
      },
      {
        ...common,
        event: "search_submitted",
        id: events[3].id,
        url: `https://${SHOP}/search?q=linen%20shirt`,
        query: "linen shirt",
      },
    ]);
    for (const { url, init } of sent) {
      expect(url).toBe(RELAY);
      expect(init).toMatchObject({ method: "POST", keepalive: true });
    }
    // Every body passes the relay's schema, as a fallback.
    for (const body of bodies())
      expect(parsePixelBody(JSON.stringify(body))).toMatchObject({ ok: true });
  });

  it("with the embed's cookie naming the page, relays nothing", async () => {
    const pixel = start({
      cookies: {
        ...COOKIES,
        _tt_pg: encodeURIComponent("/products/linen-shirt"),
      },
    });
    await emit(pixel, pageViewed(PRODUCT_PAGE));
    await emit(pixel, productViewed());
    await emit(pixel, productAddedToCart());
    expect(sent).toEqual([]);
  });

  it("the embed's cookie showing up during the wait (its deferred script ran late) silences the fallback", async () => {
    const jar: Record<string, string> = { ...COOKIES };
    const pixel = start({ cookies: jar });
    pixel.emit(productViewed());
    await vi.advanceTimersByTimeAsync(2 * EMBED_WAIT_STEP_MS);
    jar._tt_pg = encodeURIComponent("/products/linen-shirt");
    await vi.advanceTimersByTimeAsync(WAIT);
    expect(sent).toEqual([]);
  });

  it("the embed's cookie for another page (the previous one, or another tab) does not silence it", async () => {
    const pixel = start({
      cookies: { ...COOKIES, _tt_pg: encodeURIComponent("/collections/all") },
    });
    await emit(pixel, productViewed());
    expect(bodies().map((b) => b.event)).toEqual(["product_viewed"]);
  });

  it("without our cookies at all (a shop without the embed), it still relays, takes the click id from the landing page's URL and keeps it in our cookie", async () => {
    const pixel = start({ cookies: {} });
    await emit(
      pixel,
      pageViewed(`https://${SHOP}/products/linen-shirt?ttclid=E.C.P.landing`),
    );
    const [body] = bodies();
    expect(body.ttclid).toBe("E.C.P.landing");
    expect(body).not.toHaveProperty("sid");
    expect(body).not.toHaveProperty("ttp");
    expect(parsePixelBody(JSON.stringify(body))).toMatchObject({ ok: true });
    // Kept as the embed keeps it, for the next pages and the checkout events.
    expect(cookieSets).toEqual([
      "_tt_ttclid=E.C.P.landing;path=/;max-age=2592000;SameSite=Lax;Secure",
    ]);
  });

  it("a newer click id in the URL replaces the one in our cookie; the same one is not written again", async () => {
    const pixel = start({ cookies: { ...WITHOUT_EMBED } });
    await emit(pixel, pageViewed(`https://${SHOP}/?ttclid=E.C.P.newer`));
    await emit(pixel, pageViewed(`https://${SHOP}/?ttclid=E.C.P.pixelclick`));
    expect(bodies().map((b) => b.ttclid)).toEqual([
      "E.C.P.newer",
      "E.C.P.pixelclick",
    ]);
    expect(cookieSets).toEqual([
      "_tt_ttclid=E.C.P.newer;path=/;max-age=2592000;SameSite=Lax;Secure",
    ]);
  });

  it("a cookie API that throws on write is contained", async () => {
    const pixel = start({ cookies: {} });
    (
      pixel.api.browser.cookie as { set: (cookie: string) => Promise<string> }
    ).set = () => {
      throw new Error("cookie API broke");
    };
    await emit(pixel, pageViewed(`https://${SHOP}/?ttclid=E.C.P.broken`));
    expect(bodies().map((b) => b.ttclid)).toEqual(["E.C.P.broken"]);
    expect(() => pixel.consent({ marketingAllowed: false })).not.toThrow();
  });

  it("where the embed runs, the pixel writes no cookie; consent withdrawn, it deletes the click id", async () => {
    const pixel = start({
      cookies: { ...COOKIES, _tt_pg: encodeURIComponent("/") },
    });
    await emit(
      pixel,
      pageViewed(`https://${SHOP}/?ttclid=E.C.P.embed-keeps-it`),
    );
    expect(cookieSets).toEqual([]);
    pixel.consent({ marketingAllowed: false });
    await vi.advanceTimersByTimeAsync(1);
    expect(cookieSets).toEqual([
      "_tt_ttclid=;path=/;max-age=0;SameSite=Lax;Secure",
    ]);
  });

  it("consent denied: nothing is relayed; withdrawn during the wait: nothing either", async () => {
    const denied = start({
      cookies: { ...WITHOUT_EMBED },
      privacy: { marketingAllowed: false },
    });
    await emit(denied, pageViewed());
    await emit(denied, productViewed());
    expect(sent).toEqual([]);

    const pixel = start({ cookies: { ...WITHOUT_EMBED } });
    pixel.emit(productAddedToCart());
    await vi.advanceTimersByTimeAsync(EMBED_WAIT_STEP_MS);
    pixel.consent({ saleOfDataAllowed: false });
    await vi.advanceTimersByTimeAsync(WAIT);
    expect(sent).toEqual([]);
  });

  it("checkout, thank-you and order status pages are left to the checkout events", async () => {
    const pixel = start({ cookies: { ...WITHOUT_EMBED } });
    await emit(pixel, pageViewed(`https://${SHOP}/checkouts/cn/abc123`));
    await emit(pixel, pageViewed(`https://${SHOP}/12345/orders/abc123`));
    expect(sent).toEqual([]);
  });

  it("odd payloads: a product id as a GID, no variant, a referrer that is no web page", async () => {
    const pixel = start({ cookies: { ...WITHOUT_EMBED } });
    const gid = productViewed();
    gid.data.productVariant!.id = `gid://shopify/ProductVariant/${VARIANT_ID}`;
    gid.context.document.referrer = "android-app://com.example/";
    const none = productViewed();
    (none.data as { productVariant: unknown }).productVariant = null; // defensive: typed non-null
    await emit(pixel, gid);
    await emit(pixel, none);
    const [first, second] = bodies();
    expect(first.items[0].id).toBe(VARIANT_ID);
    expect(first).not.toHaveProperty("ref");
    expect(second).not.toHaveProperty("items");
    for (const body of bodies())
      expect(parsePixelBody(JSON.stringify(body))).toMatchObject({ ok: true });
  });

  it("the built bundle relays a fallback in a fresh context", async () => {
    const code = await buildWebPixel();
    let callback: ((api: ExtensionApi) => void) | undefined;
    const posted: Sent[] = [];
    runInNewContext(code, {
      shopify: {
        extend: (_point: string, cb: (api: ExtensionApi) => void) =>
          (callback = cb),
      },
      setTimeout,
      URL,
      fetch: async (url: string, init: RequestInit) => {
        posted.push({ url, init });
        return new Response(null, { status: 204 });
      },
    });
    const pixel = standIn({ cookies: { ...WITHOUT_EMBED } });
    callback!(pixel.api);
    await emit(pixel, searchSubmitted());
    expect(posted).toHaveLength(1);
    expect(JSON.parse(String(posted[0].init.body))).toMatchObject({
      event: "search_submitted",
      query: "linen",
    });
  });
});
