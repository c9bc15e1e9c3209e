// The checkout web pixel (extensions/tiktok-web-pixel), driven through the callback it hands to
// `register`, with stand-ins for the api Shopify's strict sandbox provides (analytics, browser,
// init, customerPrivacy, settings) and for the sandbox's fetch, fed with the documented event
// payloads (test/fixtures/checkout-events.ts). The last test runs the bundle as built.
import { runInNewContext } from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
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
        set: async () => "",
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
    consent(allowed) {
      for (const cb of consentSubscribers)
        cb({ customerPrivacy: { ...GRANTED, ...allowed } });
    },
  };
}

let sent: Sent[];
let fetchImpl: (url: string, init: RequestInit) => Promise<Response>;
const realFetch = globalThis.fetch;
let registered: ((api: ExtensionApi) => void) | undefined;

beforeEach(async () => {
  sent = [];
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
  it("subscribes to the five checkout events through register", () => {
    expect(start().subscribed).toEqual([
      "checkout_started",
      "checkout_contact_info_submitted",
      "checkout_shipping_info_submitted",
      "payment_info_submitted",
      "checkout_completed",
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
