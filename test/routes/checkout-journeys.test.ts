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
import { orderBody, type FixtureOrder } from "../fixtures/orders";
import { sha256Hex } from "~/tiktok/hashing";
import type { SettingsInput } from "~/settings/settings-form";

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
  await configure();
});

async function configure(overrides: Partial<SettingsInput> = {}) {
  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: TOKEN,
    ...overrides,
  });
}

/** Runs the delivery worker until nothing is due at `at` (default: now). */
async function drain(at?: () => Date): Promise<number> {
  const { DeliveryWorker } = await import("~/delivery/worker.server");
  const { tiktokClient } = await import("~/delivery/runtime.server");
  const worker = new DeliveryWorker({
    prisma: app.prisma,
    client: tiktokClient(),
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

describe("the checkout switches", () => {
  /** Each step three times (Shopify re-fires), draining to TikTok after each round. */
  async function walkCheckout(checkout: string) {
    for (let i = 0; i < 3; i++) {
      for (const [event, extra] of [
        ["checkout_started", {}],
        [
          "checkout_contact_info_submitted",
          { email: "Step.Buyer@Example.com", phone: "+1 415 555 0123" },
        ],
        ["checkout_shipping_info_submitted", {}],
        ["payment_info_submitted", {}],
      ] as const)
        expect((await relay(checkout, { event, ...extra })).status).toBe(204);
      await drain();
    }
  }
  const sent = () => tiktok.accepted.map((e) => [e.event, e.event_id]).sort();

  it("contact and shipping steps off (the default): they update the checkout context, nothing of theirs reaches TikTok", async () => {
    const checkout = "ck-journey-steps-off";
    await walkCheckout(checkout);
    expect(sent()).toEqual([
      ["AddPaymentInfo", `${checkout}_AddPaymentInfo`],
      ["InitiateCheckout", `${checkout}_InitiateCheckout`],
    ]);
    const context = await app.prisma.checkoutContext.findUniqueOrThrow({
      where: { shop_checkoutToken: { shop: SHOP, checkoutToken: checkout } },
    });
    expect(context).toMatchObject({
      emailHash: sha256Hex("step.buyer@example.com"),
      phoneHash: sha256Hex("+14155550123"),
    });
    // What the contact step taught the context rides on the later AddPaymentInfo.
    expect(
      tiktok.accepted.find((e) => e.event === "AddPaymentInfo")!.user,
    ).toMatchObject({ email: [context.emailHash], phone: [context.phoneHash] });
  });

  it("contact and shipping steps on: one CheckoutContactInfo and one CheckoutShippingInfo reach TikTok, though each fired three times", async () => {
    await configure({ sendCheckoutSteps: true });
    const checkout = "ck-journey-steps-on";
    await walkCheckout(checkout);
    expect(sent()).toEqual([
      ["AddPaymentInfo", `${checkout}_AddPaymentInfo`],
      ["CheckoutContactInfo", `${checkout}_CheckoutContactInfo`],
      ["CheckoutShippingInfo", `${checkout}_CheckoutShippingInfo`],
      ["InitiateCheckout", `${checkout}_InitiateCheckout`],
    ]);
    expect(tiktok.duplicatesIgnored).toBe(0);
    expect(tiktok.requests.reduce((n, r) => n + r.eventCount, 0)).toBe(4);
    const contact = tiktok.accepted.find(
      (e) => e.event === "CheckoutContactInfo",
    )!;
    expect(contact.user).toMatchObject({
      email: [sha256Hex("step.buyer@example.com")],
      ttclid: "E.C.P.journeyclick",
      ip: SHOPPER,
      user_agent: UA,
    });
  });

  it("AddPaymentInfo off: InitiateCheckout still reaches TikTok, AddPaymentInfo never does", async () => {
    await configure({ sendAddPaymentInfo: false });
    const checkout = "ck-journey-no-payment-info";
    await walkCheckout(checkout);
    expect(sent()).toEqual([
      ["InitiateCheckout", `${checkout}_InitiateCheckout`],
    ]);
    expect(await app.prisma.delivery.count()).toBe(1);
  });
});

// A Buy-it-now order: a checkout token, and no cart attributes (the cart was skipped).
const ORDER_IP = "198.51.100.200";
const ORDER_UA = "Mozilla/5.0 (Order's own) Firefox/133";
function buyItNowOrder(n: number, checkoutToken: string): FixtureOrder {
  const id = String(6_120_458_731_100 + n);
  return {
    id,
    json: {
      id,
      admin_graphql_api_id: `gid://shopify/Order/${id}`,
      name: `#${3000 + n}`,
      email: "ada.buyer@example.com",
      phone: null,
      created_at: new Date().toISOString(),
      currency: "EUR",
      total_price: "44.88",
      subtotal_price: "39.98",
      test: false,
      source_name: "web",
      checkout_token: checkoutToken,
      cart_token: null,
      landing_site: "/products/linen-shirt",
      browser_ip: ORDER_IP,
      client_details: { user_agent: ORDER_UA, accept_language: "de-DE" },
      note_attributes: [],
      customer: {
        id: "7390000000001",
        admin_graphql_api_id: "gid://shopify/Customer/7390000000001",
        email: "ada.buyer@example.com",
        phone: null,
      },
      billing_address: { country_code: "DE", phone: null },
      shipping_address: { country_code: "DE", phone: null },
      line_items: [
        {
          id: "1440000000001",
          variant_id: "44400000000001",
          product_id: "8800000000001",
          title: "Linen shirt",
          price: "19.99",
          quantity: 2,
          sku: "LS-01",
          vendor: "Example",
        },
      ],
    },
  };
}

const sendOrder = (order: FixtureOrder) =>
  app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(order),
    }),
  );

/** The pixel's relays through checkout: started, contact (email, phone), completed (order id). */
async function checkoutRelays(checkoutToken: string, orderId: string) {
  expect((await relay(checkoutToken, {})).status).toBe(204);
  expect(
    (
      await relay(checkoutToken, {
        event: "checkout_contact_info_submitted",
        email: "Ada.Buyer@Example.com",
        phone: "+49 151 23456789",
        items: undefined,
      })
    ).status,
  ).toBe(204);
  await completed(checkoutToken, orderId);
}

async function completed(checkoutToken: string, orderId: string) {
  expect(
    (
      await relay(checkoutToken, {
        event: "checkout_completed",
        order_id: orderId,
        url: `https://${SHOP}/checkouts/cn/${checkoutToken}/thank-you`,
        items: undefined,
      })
    ).status,
  ).toBe(204);
}

const EMAIL = sha256Hex("ada.buyer@example.com");
const PHONE = sha256Hex("+4915123456789");
const CUSTOMER = sha256Hex("7390000000001");
const purchasesAtTikTok = () =>
  tiktok.accepted.filter((e) => e.event === "Purchase");
const sixtyOneSecondsLater = () => new Date(Date.now() + 61_000);

async function keySourcesOf(orderId: string) {
  const row = await app.prisma.delivery.findFirstOrThrow({
    where: { orderId: `gid://shopify/Order/${orderId}`, eventName: "Purchase" },
  });
  return JSON.parse(row.keySources ?? "null");
}

describe("the Purchase join with the checkout pixel (orders/create with a checkout token, no cart attributes)", () => {
  it("(a) relays before the webhook: the Purchase carries ttclid, _ttp, IP, UA, consent, email, phone and external_id at once", async () => {
    const order = buyItNowOrder(1, "ck-journey-a-000001");
    await checkoutRelays("ck-journey-a-000001", order.id);
    expect((await sendOrder(order)).status).toBe(200);
    await drain();
    const [purchase] = purchasesAtTikTok();
    expect(purchasesAtTikTok()).toHaveLength(1);
    expect(purchase.event_id).toBe(`${order.id}_Purchase`);
    expect(purchase.user).toMatchObject({
      ttclid: "E.C.P.journeyclick",
      ttp: "journey_ttp_cookie_value_01",
      email: [EMAIL],
      phone: [PHONE],
      external_id: [CUSTOMER],
      ip: SHOPPER, // the browser's, from the checkout, over the order's own
      user_agent: UA,
    });
    expect(purchase.limited_data_use).toBe(false); // consent granted in the checkout
    expect(await keySourcesOf(order.id)).toEqual({
      ttclid: "checkout_pixel",
      ttp: "checkout_pixel",
      ip: "checkout_pixel",
      user_agent: "checkout_pixel",
      consent: "checkout_pixel",
      email: "order",
      phone: "checkout_pixel",
      external_id: "order",
      country: "billing_address",
    });
  });

  it("(b) the webhook first, the relay seconds later: the Purchase waits, then goes out with the same keys once the relay arrives", async () => {
    const order = buyItNowOrder(2, "ck-journey-b-000001");
    expect((await sendOrder(order)).status).toBe(200);
    expect(await drain()).toBe(0); // held: nothing due
    expect(purchasesAtTikTok()).toEqual([]);
    await checkoutRelays("ck-journey-b-000001", order.id);
    await drain();
    expect(purchasesAtTikTok()).toHaveLength(1);
    const [purchase] = purchasesAtTikTok();
    expect(purchase.event_id).toBe(`${order.id}_Purchase`);
    expect(purchase.user).toMatchObject({
      ttclid: "E.C.P.journeyclick",
      ttp: "journey_ttp_cookie_value_01",
      email: [EMAIL],
      phone: [PHONE],
      external_id: [CUSTOMER],
      ip: SHOPPER,
      user_agent: UA,
      country: "de", // the order's own address keys survive the rebuild with the checkout's
    });
    expect(purchase.limited_data_use).toBe(false);
    // and after the hold would have ended, nothing more goes
    expect(await drain(sixtyOneSecondsLater)).toBe(0);
    expect(tiktok.duplicatesIgnored).toBe(0);
    expect(purchasesAtTikTok()).toHaveLength(1);
  });

  it("(c) no relay at all: the Purchase goes out after the hold with the order's own keys", async () => {
    const order = buyItNowOrder(3, "ck-journey-c-000001");
    expect((await sendOrder(order)).status).toBe(200);
    expect(await drain()).toBe(0);
    expect(await drain(() => new Date(Date.now() + 59_000))).toBe(0);
    expect(await drain(sixtyOneSecondsLater)).toBe(1);
    const [purchase] = purchasesAtTikTok();
    expect(purchasesAtTikTok()).toHaveLength(1);
    expect(purchase.event_id).toBe(`${order.id}_Purchase`);
    expect(purchase.user).toEqual({
      email: [EMAIL],
      external_id: [CUSTOMER],
      country: "de",
      ip: ORDER_IP,
      user_agent: ORDER_UA,
      locale: "de-DE",
    });
    // consent unknown, the shop's policy is "limited" (the default)
    expect(purchase.limited_data_use).toBe(true);
    expect(await keySourcesOf(order.id)).toEqual({
      email: "order",
      external_id: "order",
      country: "billing_address",
      ip: "order",
      user_agent: "order",
    });
  });

  it('(d) consent denied in the pixel (it relays nothing): limited_data_use under the default policy, not sent under "skip"', async () => {
    // Limited (default): as (c), after the hold.
    const limited = buyItNowOrder(4, "ck-journey-d-000001");
    await sendOrder(limited);
    await drain(sixtyOneSecondsLater);
    expect(purchasesAtTikTok().map((p) => p.limited_data_use)).toEqual([true]);

    // Skip: recorded as skipped at once, never sent, no identifiers stored.
    await configure({ consentPolicy: "skip" });
    const { forgetCachedPixels } = await import("~/pixels/pixels.server");
    forgetCachedPixels(SHOP);
    const skipped = buyItNowOrder(5, "ck-journey-d-000002");
    expect(await (await sendOrder(skipped)).json()).toMatchObject({
      status: "skipped",
    });
    await drain(sixtyOneSecondsLater);
    expect(purchasesAtTikTok()).toHaveLength(1);
    const row = await app.prisma.delivery.findFirstOrThrow({
      where: { orderId: `gid://shopify/Order/${skipped.id}` },
    });
    expect(row.status).toBe("skipped");
    expect(JSON.parse(row.payload).user).toBeUndefined();
  });

  it("a relay after the Purchase went out changes nothing sent, and the delivery log notes it", async () => {
    const order = buyItNowOrder(6, "ck-journey-late-0001");
    await sendOrder(order);
    await drain(sixtyOneSecondsLater);
    const before = await app.prisma.delivery.findFirstOrThrow({
      where: { orderId: `gid://shopify/Order/${order.id}` },
    });
    expect(before.status).toBe("delivered");
    await checkoutRelays("ck-journey-late-0001", order.id);
    await drain(sixtyOneSecondsLater);
    const after = await app.prisma.delivery.findFirstOrThrow({
      where: { id: before.id },
    });
    expect(after.payload).toBe(before.payload);
    expect(after.status).toBe("delivered");
    expect(purchasesAtTikTok()).toHaveLength(1);
    expect(tiktok.duplicatesIgnored).toBe(0);
    const { getDeliveryDetail } =
      await import("~/delivery-log/delivery-log.server");
    const detail = await getDeliveryDetail(SHOP, before.id);
    expect(detail?.lateCheckoutRelayAt).toEqual(expect.any(String));
    expect(detail?.keySources).toMatchObject({ ip: "order" });
  });

  it("one event id per order: the same webhook and the same relays again add nothing", async () => {
    const order = buyItNowOrder(7, "ck-journey-once-0001");
    await sendOrder(order);
    await checkoutRelays("ck-journey-once-0001", order.id);
    await sendOrder(order); // a redelivery under a new webhook id
    await completed("ck-journey-once-0001", order.id);
    await drain(sixtyOneSecondsLater);
    expect(purchasesAtTikTok().map((p) => p.event_id)).toEqual([
      `${order.id}_Purchase`,
    ]);
    expect(tiktok.duplicatesIgnored).toBe(0);
  });
});
