// The web pixel's storefront fallback through the real routes: signed app proxy requests to
// /proxy/checkout (the pixel's relay path) and, for the theme app embed's own reports, to
// /proxy/collect, the real ingest and a temporary SQLite database. The process's flood guard is
// replaced by one on a fake clock.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import {
  DEFAULT_LIMITS,
  ProxyLimits,
  type ProxyLimitSettings,
} from "~/storefront/rate-limit";
import { forgetPixels, seedPixel } from "../support/shops";

const SHOP = "fallback-shop.myshopify.com";
const UNKNOWN = "fallback-unknown.myshopify.com";
const PIXEL = "CFALLBACKPIXEL00001";
const SHOPPER = "203.0.113.31";
const UA = "Mozilla/5.0 (Fallback test) Chrome/130";
const SID = "sid_fallback_0123456789abc";
const PRODUCT_URL = `https://${SHOP}/products/shirt?variant=4440000000001`;
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => {
  globalThis.proxyLimits = undefined;
  return app.close();
});

function useLimits(settings: ProxyLimitSettings = DEFAULT_LIMITS) {
  globalThis.proxyLimits = new ProxyLimits(settings, () => 1_800_000_000_000);
}

async function setSwitches(data: {
  sendViewContent?: boolean;
  sendAddToCart?: boolean;
  sendSearch?: boolean;
}) {
  await app.prisma.pixel.updateMany({ where: { shop: SHOP }, data });
  await forgetPixels(SHOP);
}

beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  await app.prisma.attributionSession.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  await seedPixel(app.prisma, SHOP, { pixelCode: PIXEL });
  useLimits();
});

/** A fallback body as the pixel builds it (extensions/tiktok-web-pixel/src/relay.ts). */
function fallback(overrides: Record<string, unknown> = {}) {
  return {
    v: 1,
    event: "product_viewed",
    id: "sh-0b1c2d3e-4F5A-4B6C-8D7E-9F0A1B2C3D4E",
    ts: new Date().toISOString(),
    url: PRODUCT_URL,
    ref: `https://${SHOP}/collections/all`,
    consent: "granted",
    ttclid: "E.C.P.fallbackclick",
    ttp: "ttp_cookie_value_27chars__",
    sid: SID,
    currency: "EUR",
    value: 19.99,
    items: [{ id: "4440000000001", q: 1, p: 19.99, n: "Shirt" }],
    ...overrides,
  };
}

const post = (
  path: "/proxy/checkout" | "/proxy/collect",
  body: unknown,
  options: {
    shop?: string;
    ip?: string;
    headers?: Record<string, string>;
    customerId?: string | string[];
  } = {},
) =>
  app.handle(
    app.appProxyRequest(path, {
      shop: options.shop ?? SHOP,
      customerId: options.customerId,
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: {
        "Content-Type": "text/plain;charset=UTF-8",
        "User-Agent": UA,
        "X-Forwarded-For": `${options.ip ?? SHOPPER}, 10.0.0.1`,
        ...options.headers,
      },
    }),
  );
const relay = (body: unknown, options?: Parameters<typeof post>[2]) =>
  post("/proxy/checkout", body, options);

/** What the theme app embed posts for the same page (extensions/tiktok-pixel/src/storefront.js). */
function embedBody(
  events: { event: string; properties?: Record<string, unknown> }[],
  url = PRODUCT_URL,
) {
  return {
    v: 1,
    session_id: SID,
    consent: "granted",
    ttp: "ttp_cookie_value_27chars__",
    page: { url },
    events: events.map((e, i) => ({
      ...e,
      // 32 random hex digits, as the embed makes them
      event_id: `${i}`.padStart(32, "a").replace(/^a/, "b"),
      event_time: Math.floor(Date.now() / 1000),
    })),
  };
}
const VIEW = {
  event: "ViewContent",
  properties: {
    currency: "EUR",
    content_type: "product",
    contents: [
      {
        content_id: "4440000000001",
        content_name: "Shirt",
        price: 19.99,
        quantity: 1,
      },
    ],
    value: 19.99,
  },
};

const deliveries = () =>
  app.prisma.delivery.findMany({ orderBy: { createdAt: "asc" } });

describe("storefront fallback (/proxy/checkout)", () => {
  it.each([
    [
      "page_viewed",
      { items: undefined, currency: undefined, value: undefined },
      "Pageview",
    ],
    ["product_viewed", {}, "ViewContent"],
    [
      "product_added_to_cart",
      {
        value: 39.98,
        items: [{ id: "4440000000001", q: 2, p: 19.99, n: "Shirt" }],
      },
      "AddToCart",
    ],
    [
      "search_submitted",
      {
        url: `https://${SHOP}/search?q=linen`,
        items: undefined,
        value: undefined,
        currency: undefined,
        query: "linen",
      },
      "Search",
    ],
  ])(
    "%s is accepted and queued once as $2, under Shopify's event id",
    async (event, extra, tiktokName) => {
      const body = fallback({ event, ...extra });
      expect((await relay(body)).status).toBe(204);
      const rows = await deliveries();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        shop: SHOP,
        source: "storefront",
        eventName: tiktokName,
        eventId: body.id,
        sessionKey: SID,
        status: "pending",
      });
      const sent = JSON.parse(rows[0].payload);
      expect(sent.user).toEqual({
        ttclid: "E.C.P.fallbackclick",
        ttp: "ttp_cookie_value_27chars__",
        ip: SHOPPER, // from Shopify's X-Forwarded-For, never from the body
        user_agent: UA,
      });
      expect(sent.page).toEqual({ url: body.url, referrer: body.ref });
      if (tiktokName === "Search")
        expect(sent.properties).toEqual({ query: "linen" });
      if (tiktokName === "AddToCart")
        expect(sent.properties).toEqual({
          currency: "EUR",
          value: 39.98,
          content_type: "product",
          contents: [
            {
              content_id: "4440000000001",
              content_name: "Shirt",
              price: 19.99,
              quantity: 2,
            },
          ],
        });
      if (tiktokName === "Pageview") expect(sent.properties).toBeUndefined();
    },
  );

  it("a logged-in shopper's fallback carries external_id from the signed logged_in_customer_id, hashed as the Purchase's", async () => {
    // printf '%s' '7390123456789' | sha256sum
    const hashed =
      "8ef5d31e692df42691e40c358a07dd201ca4afecea1bf0b41af07ef2ffc940c8";
    expect(
      (await relay(fallback(), { customerId: "7390123456789" })).status,
    ).toBe(204);
    const [row] = await deliveries();
    expect(JSON.parse(row.payload).user.external_id).toEqual([hashed]);
    expect(row.payload).not.toContain("7390123456789");
    expect(row.customerId).toBe("gid://shopify/Customer/7390123456789");
    expect(JSON.parse(row.keySources!)).toEqual({
      ttclid: "checkout_pixel",
      ttp: "checkout_pixel",
      external_id: "app_proxy",
      ip: "app_proxy",
      user_agent: "app_proxy",
    });
    // A guest (Shopify sends the parameter empty): no external_id, no customer.
    const guest = fallback({ id: "sh-guest-0000-0000-0000-000000000001" });
    expect((await relay(guest, { customerId: "" })).status).toBe(204);
    const guestRow = (await deliveries()).find((r) => r.eventId === guest.id)!;
    expect(JSON.parse(guestRow.payload).user.external_id).toBeUndefined();
    expect(guestRow.customerId).toBeNull();
  });

  it("Shopify firing the same event again (same id) is still one delivery", async () => {
    for (let i = 0; i < 3; i++)
      expect((await relay(fallback())).status).toBe(204);
    expect((await deliveries()).map((r) => r.eventName)).toEqual([
      "ViewContent",
    ]);
  });

  it("two different adds to cart on one page (two Shopify ids) are two deliveries", async () => {
    const add = { event: "product_added_to_cart" };
    await relay(fallback({ ...add, id: "sh-add-0001" }));
    await relay(fallback({ ...add, id: "sh-add-0002" }));
    expect((await deliveries()).map((r) => r.eventId)).toEqual([
      "sh-add-0001",
      "sh-add-0002",
    ]);
  });

  it("the embed reported the same view first: the fallback is dropped, one delivery (the embed's)", async () => {
    expect(
      (await post("/proxy/collect", embedBody([{ event: "PageView" }, VIEW])))
        .status,
    ).toBe(204);
    expect((await relay(fallback())).status).toBe(204);
    expect(
      (
        await relay(
          fallback({
            event: "page_viewed",
            items: undefined,
            value: undefined,
            currency: undefined,
            id: "sh-page-1",
          }),
        )
      ).status,
    ).toBe(204);
    const rows = await deliveries();
    expect(rows).toHaveLength(1);
    expect(rows[0].eventName).toBe("ViewContent");
    expect(rows[0].eventId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("the embed reported the same add to cart and search: the fallbacks are dropped", async () => {
    const add = {
      event: "AddToCart",
      properties: {
        currency: "EUR",
        content_type: "product",
        contents: [{ content_id: "4440000000001", price: 19.99, quantity: 2 }],
        value: 39.98,
      },
    };
    const searchUrl = `https://${SHOP}/search?q=Linen`;
    await post("/proxy/collect", embedBody([add]));
    await post(
      "/proxy/collect",
      embedBody(
        [{ event: "Search", properties: { query: "Linen" } }],
        searchUrl,
      ),
    );
    await relay(fallback({ event: "product_added_to_cart", id: "sh-add-1" }));
    await relay(
      fallback({
        event: "search_submitted",
        id: "sh-search-1",
        url: searchUrl,
        query: "linen",
        items: undefined,
        value: undefined,
        currency: undefined,
      }),
    );
    const rows = await deliveries();
    expect(rows.map((r) => r.eventName).sort()).toEqual([
      "AddToCart",
      "Search",
    ]);
    expect(rows.every((r) => /^[0-9a-f]{32}$/.test(r.eventId))).toBe(true);
  });

  it("an embed report of another product, another page or another session does not silence the fallback", async () => {
    await post(
      "/proxy/collect",
      embedBody([VIEW], `https://${SHOP}/products/other`),
    );
    await relay(fallback({ id: "sh-view-other-page" }));
    await relay(
      fallback({
        id: "sh-view-other-product",
        url: `https://${SHOP}/products/other`,
        items: [{ id: "4449999999999", q: 1 }],
      }),
    );
    await relay(
      fallback({
        id: "sh-view-other-session",
        url: `https://${SHOP}/products/other`,
        sid: "sid_someone_else_0123456",
      }),
    );
    expect((await deliveries()).map((r) => r.eventId).sort()).toEqual(
      [
        expect.stringMatching(/^[0-9a-f]{32}$/),
        "sh-view-other-page",
        "sh-view-other-product",
        "sh-view-other-session",
      ].sort(),
    );
  });

  it("an earlier fallback is not taken for the embed's report: a page view after the embed's session went quiet is kept", async () => {
    await post("/proxy/collect", embedBody([{ event: "PageView" }]));
    // The embed's last report is older than the page-view window.
    await app.prisma.attributionSession.updateMany({
      data: { lastSeenAt: new Date(Date.now() - 5 * 60_000) },
    });
    const page = {
      event: "page_viewed",
      items: undefined,
      value: undefined,
      currency: undefined,
    };
    await relay(fallback({ ...page, id: "sh-page-a" }));
    await relay(fallback({ ...page, id: "sh-page-b" }));
    expect((await deliveries()).map((r) => r.eventId)).toEqual([
      "sh-page-a",
      "sh-page-b",
    ]);
  });

  it("the shop's switches: ViewContent, AddToCart and Search off queue nothing; the page view has no switch", async () => {
    await setSwitches({
      sendViewContent: false,
      sendAddToCart: false,
      sendSearch: false,
    });
    await relay(fallback());
    await relay(fallback({ event: "product_added_to_cart", id: "sh-a" }));
    await relay(
      fallback({
        event: "search_submitted",
        id: "sh-s",
        items: undefined,
        query: "x",
      }),
    );
    await relay(
      fallback({ event: "page_viewed", id: "sh-p", items: undefined }),
    );
    expect((await deliveries()).map((r) => r.eventName)).toEqual(["Pageview"]);
  });

  it.each([
    ["not JSON", "{nope", /not valid JSON/],
    ["a missing page", { ...fallback(), url: undefined }, /Invalid url/],
    [
      "a non-http page",
      fallback({ url: "ftp://example.com/x" }),
      /Invalid url/,
    ],
    [
      "an unknown event",
      fallback({ event: "collection_viewed" }),
      /Invalid event/,
    ],
    ["a bad timestamp", fallback({ ts: "yesterday" }), /Invalid ts/],
    ["a malformed session id", fallback({ sid: "bad id;" }), /sid/],
    [
      "products on a page view",
      fallback({ event: "page_viewed" }),
      /no products/,
    ],
    ["a query on a product view", fallback({ query: "x" }), /query/],
    [
      "51 items",
      fallback({ items: Array(51).fill({ id: "1", q: 1 }) }),
      /items/,
    ],
    ["a negative price", fallback({ value: -1 }), /value/],
    ["an id with spaces", fallback({ id: "sh id" }), /Invalid id/],
  ])(
    "malformed (%s): 400 with a short reason, nothing stored",
    async (_name, body, reason) => {
      const res = await relay(body);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(reason);
      expect(await deliveries()).toEqual([]);
    },
  );

  it.each([
    ["an IP address", fallback({ ip: "192.0.2.1" })],
    ["a user agent", fallback({ user_agent: "forged" })],
    ["a shop", fallback({ shop: UNKNOWN })],
    ["a checkout token", fallback({ token: "abcdefgh12345678" })],
    ["an email", fallback({ email: "a@b.co" })],
    ["a denied consent", fallback({ consent: "denied" })],
  ])(
    "forged fields (%s): refused with 400, nothing stored",
    async (_name, body) => {
      expect((await relay(body)).status).toBe(400);
      expect(await deliveries()).toEqual([]);
    },
  );

  it("oversize: a fallback over 16 KB is refused with 413, nothing stored", async () => {
    const big = JSON.stringify(
      fallback({ url: `https://${SHOP}/${"a".repeat(17_000)}` }),
    );
    expect((await relay(big)).status).toBe(413);
    expect(await deliveries()).toEqual([]);
  });

  it("unknown shop: 404, nothing stored", async () => {
    expect((await relay(fallback(), { shop: UNKNOWN })).status).toBe(404);
    expect(await deliveries()).toEqual([]);
  });

  it("rate-limited: over the client's event budget a fallback is 429 and stores nothing; another shopper goes on", async () => {
    useLimits({
      ...DEFAULT_LIMITS,
      eventsPerClient: { perMinute: 2, burst: 2 },
    });
    expect((await relay(fallback({ id: "sh-1" }))).status).toBe(204);
    expect((await relay(fallback({ id: "sh-2" }))).status).toBe(204);
    const refused = await relay(fallback({ id: "sh-3" }));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).not.toBeNull();
    expect((await deliveries()).map((r) => r.eventId)).toEqual([
      "sh-1",
      "sh-2",
    ]);
    expect(
      (await relay(fallback({ id: "sh-4" }), { ip: "198.51.100.8" })).status,
    ).toBe(204);
  });

  it("rate-limited: new session ids from one client stop at the hourly cap", async () => {
    const cap = DEFAULT_LIMITS.newSessionsPerClientPerHour;
    for (let i = 0; i < cap; i++)
      expect(
        (
          await relay(
            fallback({
              id: `sh-${i}`,
              sid: `sid_${String(i).padStart(16, "0")}`,
            }),
          )
        ).status,
      ).toBe(204);
    const refused = await relay(
      fallback({ id: "sh-over", sid: "sid_over_the_cap_000000" }),
    );
    expect(refused.status).toBe(429);
    expect(await deliveries()).toHaveLength(cap);
  });
});

describe("storefront fallback, hostile bodies", () => {
  // A seeded walk over the body's fields: each case replaces one field (or adds one) with a value
  // of the wrong type, shape or size. Properties: never a 5xx, nothing stored unless 204, and a
  // 204 only for a body the schema accepts.
  const rng = (() => {
    let a = 20261202;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  })();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
  const VALUES: readonly unknown[] = [
    null,
    0,
    -1,
    1e308,
    Number.MAX_SAFE_INTEGER,
    true,
    "",
    " ",
    "x".repeat(5000),
    "\u0000",
    "\ud800",
    "<script>alert(1)</script>",
    "https://evil.example/",
    "data:text/html,<b>x</b>",
    [],
    [null],
    {},
    { __proto__: { polluted: true } },
    [{ id: "1", q: -1 }],
    [{ id: "1", q: 1, extra: 1 }],
    "2026-13-45T99:99:99Z",
    "sh-ok-id",
  ];
  const FIELDS = [
    ...Object.keys(fallback()),
    "__proto__",
    "constructor",
    "event_id",
    "properties",
  ];

  it("300 mutated bodies: no 5xx, and nothing stored unless accepted", async () => {
    const { parsePixelBody } = await import("~/checkout/pixel-body");
    // The flood guard has its own tests: lifted so every body reaches the parser.
    const lots = { perMinute: 1e6, burst: 1e6 };
    useLimits({
      ...DEFAULT_LIMITS,
      perClient: lots,
      perShop: lots,
      eventsPerClient: lots,
      newSessionsPerClientPerHour: 1e6,
    });
    const statuses = new Map<number, number>();
    let accepted = 0;
    for (let i = 0; i < 300; i++) {
      const body: Record<string, unknown> = {
        ...fallback({ id: `sh-fuzz-${i}` }),
        event: pick([
          "page_viewed",
          "product_viewed",
          "product_added_to_cart",
          "search_submitted",
        ]),
      };
      const field = pick(FIELDS);
      body[field] = pick(VALUES);
      const text = JSON.stringify(body);
      const before = await app.prisma.delivery.count();
      const res = await relay(text);
      expect(res.status, `case ${i}: ${field}`).toBeLessThan(500);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const after = await app.prisma.delivery.count();
      if (res.status === 204) {
        accepted += 1;
        expect(parsePixelBody(text).ok).toBe(true);
        expect(after - before).toBeLessThanOrEqual(1);
      } else expect(after).toBe(before);
    }
    // Only the schema decided: every answer is a 204 or a 400.
    expect([...statuses.keys()].sort()).toEqual([204, 400]);
    expect(accepted).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
