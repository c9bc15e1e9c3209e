// The app proxy's flood guard, through the real route: signed requests, the real ingest and
// database. The process's limits are replaced (globalThis.proxyLimits) by ones on a fake clock,
// so every bound below is exact.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import {
  DEFAULT_LIMITS,
  ProxyLimits,
  type ProxyLimitSettings,
} from "~/storefront/rate-limit";
import { seedPixel } from "../support/shops";

const SHOP = "flood-shop.myshopify.com";
const OTHER = "flood-other.myshopify.com";
const PIXEL = "CFLOODPIXEL00000001";
const ATTACKER = "198.51.100.66";
const SHOPPER = "203.0.113.10";
let app: TestApp;
let clock = 0;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => {
  globalThis.proxyLimits = undefined;
  return app.close();
});

function useLimits(settings: ProxyLimitSettings = DEFAULT_LIMITS) {
  clock = 1_800_000_000_000;
  globalThis.proxyLimits = new ProxyLimits(settings, () => clock);
}

beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  await app.prisma.attributionSession.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  for (const shop of [SHOP, OTHER]) {
    // Search is off: each body below mirrors exactly two events (ViewContent, AddToCart).
    await seedPixel(app.prisma, shop, { pixelCode: PIXEL, sendSearch: false });
  }
  useLimits();
});

let seq = 0;
function body(sessionId: string) {
  const now = Math.floor(Date.now() / 1000);
  seq += 1;
  return JSON.stringify({
    v: 1,
    session_id: sessionId,
    consent: "granted",
    ttclid: "E.C.P.floodclick",
    page: { url: `https://${SHOP}/products/shirt` },
    events: [
      { event: "PageView", event_id: `pv-${seq}-flood`, event_time: now },
      { event: "ViewContent", event_id: `vc-${seq}-flood`, event_time: now },
      { event: "AddToCart", event_id: `ac-${seq}-flood`, event_time: now },
      { event: "Search", event_id: `se-${seq}-flood`, event_time: now },
    ],
  });
}

/** A body of 50 ViewContent events (the most one body may carry), all mirrored. */
function fullBody(sessionId: string) {
  const now = Math.floor(Date.now() / 1000);
  seq += 1;
  return JSON.stringify({
    v: 1,
    session_id: sessionId,
    consent: "granted",
    page: { url: `https://${SHOP}/products/shirt` },
    events: Array.from({ length: 50 }, (_, i) => ({
      event: "ViewContent",
      event_id: `vc-${seq}-${i}-full`,
      event_time: now,
    })),
  });
}

const sid = (name: string, i: number) =>
  `${name}_${String(i).padStart(12, "0")}`;

const post = (
  sessionId: string,
  options: {
    ip?: string | null;
    shop?: string;
    secret?: string;
    full?: boolean;
  } = {},
) =>
  app.handle(
    app.appProxyRequest("/proxy/collect", {
      shop: options.shop ?? SHOP,
      body: options.full ? fullBody(sessionId) : body(sessionId),
      secret: options.secret,
      headers:
        options.ip === null
          ? {}
          : { "X-Forwarded-For": `${options.ip ?? ATTACKER}, 10.0.0.1` },
    }),
  );

const counts = async (shop = SHOP) => ({
  sessions: await app.prisma.attributionSession.count({ where: { shop } }),
  deliveries: await app.prisma.delivery.count({ where: { shop } }),
});

describe("app proxy flood guard", () => {
  it(
    "10,000 requests with fresh session ids from one address store at most the hourly cap of sessions; another shopper is still served",
    { timeout: 120_000 },
    async () => {
      const cap = DEFAULT_LIMITS.newSessionsPerClientPerHour; // 20
      const burst = DEFAULT_LIMITS.perClient.burst; // 30
      const statuses = new Map<number, number>();
      const retryAfter = new Map<string, number>();
      for (let i = 0; i < 10_000; i++) {
        const res = await post(sid("flood", i));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 429) {
          const key = `${await res.text()} ${res.headers.get("Retry-After")}`;
          retryAfter.set(key, (retryAfter.get(key) ?? 0) + 1);
        } else {
          expect(res.status, `request ${i}`).toBe(204);
          expect(i, "only the first requests are served").toBeLessThan(cap);
        }
        if (i === 5_000) {
          // A real shopper of the same shop, in the middle of the flood.
          expect((await post(sid("shopper", 0), { ip: SHOPPER })).status).toBe(
            204,
          );
        }
      }
      // The first `cap` requests were stored; the rest of the burst met the session cap (its
      // window ends in an hour); everything after met the rate (a token a second).
      expect(Object.fromEntries(statuses)).toEqual({
        204: cap,
        429: 10_000 - cap,
      });
      expect(Object.fromEntries(retryAfter)).toEqual({
        "Too many new sessions from this client. 3600": burst - cap,
        "Too many requests from this client. 1": 10_000 - burst,
      });
      // Exactly the cap's sessions from the flood, two mirrored events each, plus the shopper's.
      expect(await counts()).toEqual({
        sessions: cap + 1,
        deliveries: (cap + 1) * 2,
      });
      expect(
        await app.prisma.attributionSession.findUniqueOrThrow({
          where: {
            shop_sessionKey: { shop: SHOP, sessionKey: sid("shopper", 0) },
          },
        }),
      ).toMatchObject({ ip: SHOPPER, ttclid: "E.C.P.floodclick" });

      // After the flood: the shopper goes on; the flooding address gets a token back each
      // second, usable for a session it already has but not for a new one (until the hour ends).
      expect((await post(sid("shopper", 0), { ip: SHOPPER })).status).toBe(204);
      clock += 1_000;
      const fresh = await post(sid("flood", 10_000));
      expect(fresh.status).toBe(429);
      expect(fresh.headers.get("Retry-After")).toBe("3599");
      clock += 1_000;
      expect((await post(sid("flood", 3))).status).toBe(204);
      expect(await counts()).toEqual({
        sessions: cap + 1,
        deliveries: (cap + 1) * 2 + 2 + 2,
      });
      // An hour after its first session the address may open new ones again.
      clock += 3_600_000;
      expect((await post(sid("flood", 10_001))).status).toBe(204);
      expect((await counts()).sessions).toBe(cap + 2);
    },
  );

  it("over the cap, a session stored before (another process, a restart) is still served", async () => {
    expect((await post(sid("earlier", 0))).status).toBe(204);
    useLimits(); // this process forgets what it admitted
    const cap = DEFAULT_LIMITS.newSessionsPerClientPerHour;
    for (let i = 0; i < cap; i++)
      expect((await post(sid("later", i))).status).toBe(204);
    expect((await post(sid("later", cap))).status).toBe(429);
    expect((await post(sid("earlier", 0))).status).toBe(204);
    expect((await counts()).sessions).toBe(cap + 1);
  });

  it("a session it already has lets a client add events only at its event budget", async () => {
    const { burst, perMinute } = DEFAULT_LIMITS.eventsPerClient; // 150, 300 a minute
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++)
      statuses.push((await post(sid("known", 0), { full: true })).status);
    // 50 events a body: three bodies spend the burst.
    expect(statuses).toEqual([204, 204, 204, ...Array(17).fill(429)]);
    expect(await counts()).toEqual({ sessions: 1, deliveries: burst });
    const refused = await post(sid("known", 0), { full: true });
    expect(await refused.text()).toBe("Too many events from this client.");
    expect(refused.headers.get("Retry-After")).toBe(
      String((50 / perMinute) * 60),
    );
    clock += 10_000;
    expect((await post(sid("known", 0), { full: true })).status).toBe(204);
    expect((await counts()).deliveries).toBe(burst + 50);
  });

  it("the shop's limit answers 429 for that shop only", async () => {
    useLimits({
      ...DEFAULT_LIMITS,
      perShop: { perMinute: 60, burst: 10 },
    });
    // Every request from its own address: only the shop's bucket can refuse.
    for (let i = 0; i < 10; i++) {
      const res = await post(sid("many", i), { ip: `192.0.2.${i + 1}` });
      expect(res.status).toBe(204);
    }
    const refused = await post(sid("many", 10), { ip: "192.0.2.11" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
    expect(await refused.text()).toBe("Too many requests for this shop.");
    // No forwarded address: the shop's bucket still applies.
    expect((await post(sid("many", 11), { ip: null })).status).toBe(429);
    expect(await counts()).toEqual({ sessions: 10, deliveries: 20 });

    expect(
      (await post(sid("other", 0), { shop: OTHER, ip: "192.0.2.11" })).status,
    ).toBe(204);
    expect((await counts(OTHER)).sessions).toBe(1);
    clock += 1_000;
    expect((await post(sid("many", 12), { ip: "192.0.2.12" })).status).toBe(
      204,
    );
  });

  it("forged requests are refused before any limit and spend no budget", async () => {
    useLimits({ ...DEFAULT_LIMITS, perShop: { perMinute: 60, burst: 1 } });
    for (let i = 0; i < 50; i++) {
      const res = await post(sid("forged", i), { secret: "not-the-secret" });
      expect(res.status).toBe(400);
    }
    expect((await post(sid("real", 0))).status).toBe(204);
  });

  it("PROXY_RATE_PER_CLIENT_PER_MIN and PROXY_RATE_PER_SHOP_PER_MIN set the process's limits", async () => {
    globalThis.proxyLimits = undefined;
    process.env.PROXY_RATE_PER_CLIENT_PER_MIN = "4"; // burst 2
    process.env.PROXY_RATE_PER_SHOP_PER_MIN = "6"; // burst 3
    try {
      expect((await post(sid("env", 0))).status).toBe(204);
      expect((await post(sid("env", 0))).status).toBe(204);
      const client = await post(sid("env", 0));
      expect(client.status).toBe(429);
      expect(await client.text()).toBe("Too many requests from this client.");
      expect((await post(sid("env", 1), { ip: SHOPPER })).status).toBe(204);
      const shop = await post(sid("env", 2), { ip: "192.0.2.99" });
      expect(shop.status).toBe(429);
      expect(await shop.text()).toBe("Too many requests for this shop.");
    } finally {
      delete process.env.PROXY_RATE_PER_CLIENT_PER_MIN;
      delete process.env.PROXY_RATE_PER_SHOP_PER_MIN;
      globalThis.proxyLimits = undefined;
    }
  });
});
