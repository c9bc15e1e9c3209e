import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import { seedPixel } from "../support/shops";

const SHOP = "proxy-shop.myshopify.com";
const OTHER = "proxy-other.myshopify.com";
const PIXEL = "CPROXYPIXEL00000001";
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  await app.prisma.attributionSession.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  for (const shop of [SHOP, OTHER]) {
    await seedPixel(app.prisma, shop, { pixelCode: PIXEL, sendSearch: false });
  }
});

const now = () => Math.floor(Date.now() / 1000);

function body(overrides: Record<string, unknown> = {}) {
  return {
    v: 1,
    session_id: "sid_0123456789abcdefXYZ",
    consent: "granted",
    ttclid: "E.C.P.proxyclick",
    ttp: "ttp_cookie_value_27chars__",
    page: {
      url: `https://${SHOP}/products/shirt?ttclid=E.C.P.proxyclick`,
      referrer: "https://www.tiktok.com/",
    },
    events: [
      { event: "PageView", event_id: "pv-0000000001", event_time: now() },
      {
        event: "ViewContent",
        event_id: "vc-0000000001",
        event_time: now(),
        properties: {
          currency: "EUR",
          value: 19.99,
          content_type: "product",
          contents: [
            {
              content_id: "4440000000001",
              content_name: "Shirt",
              price: 19.99,
              quantity: 1,
            },
          ],
        },
      },
      {
        event: "AddToCart",
        event_id: "ac-0000000001",
        event_time: now(),
        properties: { currency: "EUR", value: 19.99 },
      },
      {
        event: "Search",
        event_id: "se-0000000001",
        event_time: now(),
        properties: { query: "shirt" },
      },
    ],
    ...overrides,
  };
}

const post = (
  payload: unknown,
  options: {
    shop?: string;
    timestamp?: number;
    secret?: string;
    raw?: string;
  } = {},
) =>
  app.handle(
    app.appProxyRequest("/proxy/collect", {
      shop: options.shop ?? SHOP,
      body: options.raw ?? JSON.stringify(payload),
      timestamp: options.timestamp,
      secret: options.secret,
      headers: {
        "X-Forwarded-For": "203.0.113.9, 10.0.0.1",
        "User-Agent": "Mozilla/5.0 (shopper)",
      },
    }),
  );

describe("app proxy /collect", () => {
  it("stores the attribution session and queues the enabled events with the browser's event ids", async () => {
    const res = await post(body());
    expect(res.status).toBe(204);
    const session = await app.prisma.attributionSession.findUniqueOrThrow({
      where: {
        shop_sessionKey: { shop: SHOP, sessionKey: "sid_0123456789abcdefXYZ" },
      },
    });
    expect(session).toMatchObject({
      ttclid: "E.C.P.proxyclick",
      ttp: "ttp_cookie_value_27chars__",
      ip: "203.0.113.9",
      userAgent: "Mozilla/5.0 (shopper)",
      consent: "granted",
      landingUrl: `https://${SHOP}/products/shirt?ttclid=E.C.P.proxyclick`,
    });
    expect(session.ttclidFirstSeenAt).not.toBeNull();

    const deliveries = await app.prisma.delivery.findMany({
      include: { outbox: true },
      orderBy: { eventName: "asc" },
    });
    // PageView is not mirrored; Search is turned off for this shop.
    expect(
      deliveries.map((d) => [
        d.eventName,
        d.eventId,
        d.source,
        Boolean(d.outbox),
      ]),
    ).toEqual([
      ["AddToCart", "ac-0000000001", "storefront", true],
      ["ViewContent", "vc-0000000001", "storefront", true],
    ]);
    const vc = JSON.parse(deliveries[1].payload);
    expect(vc).toMatchObject({
      event: "ViewContent",
      event_id: "vc-0000000001",
      user: {
        ttclid: "E.C.P.proxyclick",
        ttp: "ttp_cookie_value_27chars__",
        ip: "203.0.113.9",
        user_agent: "Mozilla/5.0 (shopper)",
      },
      properties: {
        currency: "EUR",
        value: 19.99,
        contents: [{ content_id: "4440000000001", price: 19.99, quantity: 1 }],
      },
      page: {
        url: `https://${SHOP}/products/shirt?ttclid=E.C.P.proxyclick`,
        referrer: "https://www.tiktok.com/",
      },
    });
    expect(Number.isInteger(vc.event_time)).toBe(true);
  });

  it("updates the session on later requests and never queues the same event id twice", async () => {
    await post(body());
    await post(
      body({
        ttclid: "E.C.P.newerclick",
        cart_token: "c1-abc?key=zzz",
        events: [],
      }),
    );
    await post(body());
    const session = await app.prisma.attributionSession.findFirstOrThrow({
      where: { shop: SHOP },
    });
    expect(session.ttclid).toBe("E.C.P.proxyclick");
    expect(session.cartToken).toBe("c1-abc");
    expect(await app.prisma.attributionSession.count()).toBe(1);
    expect(await app.prisma.delivery.count()).toBe(2);
    expect(await app.prisma.outboxEntry.count()).toBe(2);
  });

  it("a withdrawn consent forgets the click data and queues nothing", async () => {
    await post(body());
    const res = await post(body({ consent: "denied", events: [] }));
    expect(res.status).toBe(204);
    const session = await app.prisma.attributionSession.findFirstOrThrow({
      where: { shop: SHOP },
    });
    expect(session).toMatchObject({
      consent: "denied",
      ttclid: null,
      ttp: null,
      ip: null,
      userAgent: null,
    });
    expect(session).toMatchObject({
      landingUrl: null,
      ttclidFirstSeenAt: null,
      ttclidLastSeenAt: null,
    });
  });

  it("consent given again after a withdrawal starts the click data afresh", async () => {
    await post(body());
    await post(body({ consent: "denied", events: [] }));
    await post(body({ ttclid: "E.C.P.afterwithdrawal", events: [] }));
    const session = await app.prisma.attributionSession.findFirstOrThrow({
      where: { shop: SHOP },
    });
    expect(session).toMatchObject({
      consent: "granted",
      ttclid: "E.C.P.afterwithdrawal",
    });
    expect(session.landingUrl).not.toBeNull();
    expect(session.ttclidFirstSeenAt).not.toBeNull();
    expect(await app.prisma.attributionSession.count()).toBe(1);
  });

  it("rejects a bad signature and a stale timestamp, storing nothing", async () => {
    expect((await post(body(), { secret: "not-the-secret" })).status).toBe(400);
    expect((await post(body(), { timestamp: now() - 600 })).status).toBe(400);
    expect((await post(body(), { timestamp: now() + 600 })).status).toBe(400);
    expect(await app.prisma.attributionSession.count()).toBe(0);
    expect(await app.prisma.delivery.count()).toBe(0);
  });

  it("a repeated signature or shop parameter is refused, storing nothing", async () => {
    for (const param of ["signature", "shop"]) {
      const signed = app.appProxyRequest("/proxy/collect", {
        shop: SHOP,
        body: JSON.stringify(body()),
      });
      const url = new URL(signed.url);
      url.searchParams.append(param, url.searchParams.get(param)!);
      const res = await app.handle(
        new Request(url, {
          method: "POST",
          headers: signed.headers,
          body: JSON.stringify(body()),
        }),
      );
      expect(res.status, param).toBe(400);
    }
    expect(await app.prisma.attributionSession.count()).toBe(0);
    expect(await app.prisma.delivery.count()).toBe(0);
  });

  it("answers 400 with a short reason for malformed or invalid bodies, storing nothing", async () => {
    const cases: [string, RegExp][] = [
      ["{not json", /not valid JSON/],
      [
        JSON.stringify(
          body({
            events: [
              { event: "Hack", event_id: "x0000000001", event_time: now() },
            ],
          }),
        ),
        /events/,
      ],
      [JSON.stringify(body({ email: "jane@example.com" })), /Invalid/],
      [
        JSON.stringify(body({ page: { url: "javascript:alert(1)" } })),
        /page\.url/,
      ],
      [JSON.stringify(body({ session_id: "short" })), /session_id/],
      [
        JSON.stringify(
          body({
            events: [
              { event: "AddToCart", event_id: 12345678, event_time: now() },
            ],
          }),
        ),
        /event_id/,
      ],
      [
        JSON.stringify({
          ...body(),
          __proto__: { polluted: true },
          constructor: { prototype: { x: 1 } },
        }),
        /Invalid/,
      ],
    ];
    for (const [raw, reason] of cases) {
      const res = await post(null, { raw });
      expect(res.status, raw).toBe(400);
      const text = await res.text();
      expect(text).toMatch(reason);
      expect(text.length).toBeLessThan(250);
      expect(text).not.toContain("at ");
    }
    expect(await app.prisma.attributionSession.count()).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("stores lone UTF-16 surrogates as U+FFFD, so the row can be read back (found by fuzzing: it aborted libSQL)", async () => {
    const raw = JSON.stringify(body({ events: [] })).replace(
      "E.C.P.proxyclick",
      "E.C.P.\\ud800x",
    );
    expect(raw).toContain("\\ud800");
    expect((await post(null, { raw })).status).toBe(204);
    const session = await app.prisma.attributionSession.findFirstOrThrow({
      where: { shop: SHOP },
    });
    expect(session.ttclid).toBe("E.C.P.\ufffdx");
  });

  it("rejects bodies over 64 KB with 413", async () => {
    const big = JSON.stringify(body({ ttclid: "x".repeat(70 * 1024) }));
    expect((await post(null, { raw: big })).status).toBe(413);
    expect(await app.prisma.attributionSession.count()).toBe(0);
  });

  it("a shop without a pixel gets 204 and nothing is stored", async () => {
    const res = await post(body(), { shop: "unknown-shop.myshopify.com" });
    expect(res.status).toBe(204);
    expect(await app.prisma.attributionSession.count()).toBe(0);
    expect(await app.prisma.delivery.count()).toBe(0);
  });

  it("two shops never see each other's sessions", async () => {
    await post(body(), { shop: SHOP });
    await post(body({ ttclid: "E.C.P.othershop" }), { shop: OTHER });
    const mine = await app.prisma.attributionSession.findMany({
      where: { shop: SHOP },
    });
    const theirs = await app.prisma.attributionSession.findMany({
      where: { shop: OTHER },
    });
    expect(mine).toHaveLength(1);
    expect(theirs).toHaveLength(1);
    expect(mine[0].ttclid).toBe("E.C.P.proxyclick");
    expect(theirs[0].ttclid).toBe("E.C.P.othershop");
    // Same browser event ids under another shop are that shop's own deliveries.
    expect(await app.prisma.delivery.count({ where: { shop: OTHER } })).toBe(2);
  });

  it("GET is not allowed", async () => {
    const req = app.appProxyRequest("/proxy/collect", { shop: SHOP });
    const res = await app.handle(new Request(req.url, { method: "GET" }));
    expect(res.status).toBe(405);
  });
});
