// Checkout journeys end to end: the web pixel's relays through the real /proxy/checkout route,
// signed orders/create webhooks through the real /webhooks/orders route, the delivery worker,
// and a real HTTP stand-in for TikTok on 127.0.0.1.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import { configureShop } from "../support/shops";

const SHOP = "journeys-shop.myshopify.com";
const PIXEL = "CJOURNEYPIXEL000001";
const TOKEN = "journeys-access-token-1";
const SHOPPER = "203.0.113.77";
const UA = "Mozilla/5.0 (Journey) Safari/605.1.15";

let app: TestApp;
let tiktok: TikTokStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
});
afterAll(async () => {
  globalThis.proxyLimits = undefined;
  await app.close();
  await tiktok.close();
});

beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  await app.prisma.checkoutContext.deleteMany({});
  await app.prisma.webhookReceipt.deleteMany({});
  globalThis.proxyLimits = undefined;
  tiktok.reset();
  await configureShop(SHOP, { pixelCode: PIXEL, accessToken: TOKEN });
});

/** Runs the delivery worker until nothing is due at `at` (default: now). */
async function drain(at?: () => Date): Promise<number> {
  const { DeliveryWorker } = await import("~/delivery/worker.server");
  const { tiktokClient } = await import("~/delivery/runtime.server");
  const worker = new DeliveryWorker({
    prisma: app.prisma,
    client: tiktokClient(),
    log: () => {},
    now: at,
  });
  let total = 0;
  for (let n = await worker.runOnce(); n > 0; n = await worker.runOnce())
    total += n;
  return total;
}

function relay(checkoutToken: string, overrides: Record<string, unknown>) {
  return app.handle(
    app.appProxyRequest("/proxy/checkout", {
      shop: SHOP,
      body: JSON.stringify({
        v: 1,
        event: "checkout_started",
        id: `sh-${Math.random().toString(36).slice(2)}`,
        ts: new Date().toISOString(),
        token: checkoutToken,
        url: `https://${SHOP}/checkouts/cn/${checkoutToken}`,
        consent: "granted",
        ttclid: "E.C.P.journeyclick",
        ttp: "journey_ttp_cookie_value_01",
        currency: "EUR",
        value: 44.88,
        items: [{ id: "44400000000001", q: 2, p: 19.99, n: "Linen shirt" }],
        ...overrides,
      }),
      headers: {
        "Content-Type": "text/plain;charset=UTF-8",
        "User-Agent": UA,
        "X-Forwarded-For": SHOPPER,
      },
    }),
  );
}

describe("checkout steps to TikTok", () => {
  it("InitiateCheckout and AddPaymentInfo fired three times for one checkout reach TikTok once each", async () => {
    const checkout = "ck-journey-steps-0001";
    for (let i = 0; i < 3; i++) {
      expect((await relay(checkout, {})).status).toBe(204);
      expect(
        (await relay(checkout, { event: "payment_info_submitted" })).status,
      ).toBe(204);
      await drain(); // each re-fire after the previous one went out, too
    }
    expect(tiktok.accepted.map((e) => [e.event, e.event_id]).sort()).toEqual([
      ["AddPaymentInfo", `${checkout}_AddPaymentInfo`],
      ["InitiateCheckout", `${checkout}_InitiateCheckout`],
    ]);
    // Sent once each, not deduplicated by TikTok: two events in all the requests.
    expect(tiktok.duplicatesIgnored).toBe(0);
    expect(tiktok.requests.reduce((n, r) => n + r.eventCount, 0)).toBe(2);
    const initiate = tiktok.accepted.find(
      (e) => e.event === "InitiateCheckout",
    )!;
    expect(initiate.user).toMatchObject({
      ttclid: "E.C.P.journeyclick",
      ttp: "journey_ttp_cookie_value_01",
      ip: SHOPPER,
      user_agent: UA,
    });
    expect(initiate.properties).toMatchObject({
      currency: "EUR",
      value: 44.88,
    });
  });
});
