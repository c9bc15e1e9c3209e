import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import { configureShop } from "../support/shops";
import { checkAttributionLookup } from "../support/attribution-lookup";
import type { SettingsInput } from "~/settings/settings-form";
import {
  canadianOrderWithClick,
  germanGuestOrder,
  orderBody,
  simpleOrder,
  type FixtureOrder,
} from "../fixtures/orders";

const SHOP = "shop-orders.myshopify.com";
const PIXEL = "CORDERSPIXEL0000001";
const TOKEN = "orders-access-token-1";

// Independently computed: printf %s 'value' | sha256sum
const H = {
  jane: "86e0b9e56c17cc4d12387e1949b85053fbe73bc3ce5a1188713a9d300cc6133d",
  janePhone: "46ac548dd992569b64c464ab66a47e8bdf72e8a19c65a4885fd1b97c794a462e", // +16135550123
  janeCustomer:
    "8ef5d31e692df42691e40c358a07dd201ca4afecea1bf0b41af07ef2ffc940c8", // 7390123456789
  hans: "50bc8cfc57b25d48301cbb08771db101fbfaf93f8c26dc19e6cfbfadafdbb677",
  hansPhone: "663a4322addcdcc2be9435bfd2505066dc1048b89d33e48f363119f18bdd71e8", // +4915123456789
  janeFirst: "81f8f6dde88365f3928796ec7aa53f72820b06db8664f5fe76a7eb13e24546a2", // jane
  doeLast: "799ef92a11af918e3fb741df42934f3b568ed2d93ac1df74f1b8d41a27932a6f", // doe
  k1a0b1: "3e8d74314dc02166b1ea8c7bd8c2357fb3f9898074395b8c57f8799848b4daa1", // k1a0b1
};

let app: TestApp;
let tiktok: TikTokStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
});
afterAll(async () => {
  await app.close();
  await tiktok.close();
});

function configure(overrides: Partial<SettingsInput> = {}) {
  return configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: TOKEN,
    ...overrides,
  });
}

const drain = () => app.drainDeliveries();

function sendOrder(
  order: FixtureOrder,
  topic = "orders/create",
  headers: { webhookId?: string; eventId?: string } = {},
) {
  return app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic,
      shop: SHOP,
      body: orderBody(order),
      ...headers,
    }),
  );
}

beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  await app.prisma.webhookReceipt.deleteMany({});
  await app.prisma.attributionSession.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  tiktok.reset();
  await configure();
});

describe("orders/create → Purchase", () => {
  it("sends the exact enriched Purchase JSON, ids exact and identifiers hashed", async () => {
    await app.prisma.attributionSession.create({
      data: {
        shop: SHOP,
        sessionKey: "sess_abcdefghijklmnop",
        ttclid: "E.C.P.olderclick",
        ttp: "2abcDEFghiJKLmnoPQRstuVWXyz",
        ip: "198.51.100.20",
        userAgent: "Mozilla/5.0 (session)",
        consent: "granted",
        landingUrl: `https://${SHOP}/products/shirt?ttclid=E.C.P.clickid123`,
      },
    });
    const res = await sendOrder(canadianOrderWithClick());
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "queued" });
    expect(tiktok.requests).toHaveLength(0); // no network I/O before answering

    await drain();
    expect(tiktok.accepted).toHaveLength(1);
    const sent = tiktok.accepted[0];
    expect(sent.pixelCode).toBe(PIXEL);
    expect({
      event: sent.event,
      event_id: sent.event_id,
      event_time: sent.event_time,
      user: sent.user,
      properties: sent.properties,
      page: sent.page,
    }).toEqual({
      event: "Purchase",
      event_id: "820982911946154508_Purchase",
      event_time: 1795187730,
      user: {
        // cart attribute beats the older click stored on the session
        ttclid: "E.C.P.clickid123",
        ttp: "2abcDEFghiJKLmnoPQRstuVWXyz",
        email: [H.jane],
        phone: [H.janePhone],
        external_id: [H.janeCustomer],
        // the billing address: "Jane", "Doe", "K1A 0B1", country CA (no city or province)
        first_name: H.janeFirst,
        last_name: H.doeLast,
        country: "ca",
        zip_code: H.k1a0b1,
        ip: "198.51.100.20",
        user_agent: "Mozilla/5.0 (session)",
        locale: "en-US",
      },
      properties: {
        currency: "USD",
        value: 49.98,
        content_type: "product",
        contents: [
          {
            content_id: "808950810123456",
            content_name: "Organic Cotton Shirt",
            price: 19.99,
            quantity: 2,
            brand: "Acme",
          },
          {
            content_id: "808950810999999",
            content_name: "Sticker",
            price: 5,
            quantity: 1,
            brand: "Acme",
          },
        ],
        order_id: "820982911946154508",
        num_items: 3,
      },
      page: { url: `https://${SHOP}/products/shirt?ttclid=E.C.P.clickid123` },
    });
    expect(sent.limited_data_use).toBe(false);

    const delivery = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP },
      include: { attempts: true },
    });
    expect(delivery).toMatchObject({
      status: "delivered",
      orderId: "gid://shopify/Order/820982911946154508",
      orderName: "#1001",
      customerId: "gid://shopify/Customer/7390123456789",
      attemptCount: 1,
    });
    expect(delivery.matchKeys.split(",").sort()).toEqual([
      "country",
      "email",
      "external_id",
      "first_name",
      "ip_ua",
      "last_name",
      "phone",
      "ttclid",
      "ttp",
      "zip_code",
    ]);
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0]).toMatchObject({
      httpStatus: 200,
      tiktokCode: 0,
      outcome: "accepted",
    });
    expect(delivery.attempts[0].requestId).toBe(sent.requestId);
  });

  it("enriches a guest order from landing_site, order IP/UA, 00-prefixed phone; unknown consent follows the shop policy", async () => {
    await configure({ valueSource: "subtotal" });
    expect((await sendOrder(germanGuestOrder())).status).toBe(200);
    await drain();
    expect(tiktok.accepted).toHaveLength(1);
    const sent = tiktok.accepted[0];
    expect(sent.user).toEqual({
      ttclid: "E.C.P.landing999",
      email: [H.hans],
      phone: [H.hansPhone],
      country: "de",
      ip: "2001:db8::1",
      user_agent: "Mozilla/5.0 (de)",
      locale: "de-DE",
    });
    expect(sent.properties).toMatchObject({
      currency: "EUR",
      value: 100,
      order_id: "5550001112223334",
      num_items: 1,
    });
    expect(sent.limited_data_use).toBe(true); // consent unknown + policy "limited"
  });

  it("finds the storefront session by cart token when the cart attributes are missing", async () => {
    await app.prisma.attributionSession.create({
      data: {
        shop: SHOP,
        sessionKey: "sess_cartlookup000001",
        cartToken: "c1-7f3c2a",
        ttclid: "E.C.P.viacart",
        ttp: "ttp-via-cart",
        consent: "granted",
      },
    });
    await sendOrder(
      canadianOrderWithClick({ note_attributes: [], landing_site: null }),
    );
    await drain();
    expect(tiktok.accepted[0].user).toMatchObject({
      ttclid: "E.C.P.viacart",
      ttp: "ttp-via-cart",
    });
    expect(tiktok.accepted[0].limited_data_use).toBe(false);
  });

  it("attribution lookup: the named session first, else the cart token's latest, only in the shop", async () => {
    const { ingestWriter } = await import("~/delivery/runtime.server");
    await checkAttributionLookup(
      SHOP,
      "other-orders.myshopify.com",
      (session) => ingestWriter().submit({ session, deliveries: [] }),
    );
  });

  it("one Purchase per order: the same webhook 3 times plus orders/paid give one outbox row and one event id", async () => {
    const order = canadianOrderWithClick();
    const first = await sendOrder(order, "orders/create", {
      webhookId: "wh-1",
      eventId: "ev-1",
    });
    expect(await first.json()).toMatchObject({ status: "queued" });
    for (let i = 0; i < 2; i++) {
      const again = await sendOrder(order, "orders/create", {
        webhookId: "wh-1",
        eventId: "ev-1",
      });
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ status: "duplicate" });
    }
    // A redelivery under a new event id is still the same order.
    expect(
      await (
        await sendOrder(order, "orders/create", { eventId: "ev-2" })
      ).json(),
    ).toMatchObject({ status: "duplicate" });
    expect((await sendOrder(order, "orders/paid")).status).toBe(200);
    expect(await app.prisma.outboxEntry.count()).toBe(1);
    expect(await app.prisma.delivery.count()).toBe(1);

    // With the paid trigger the same order still maps to the same event id and row.
    await configure({ purchaseTrigger: "orders/paid" });
    expect(await (await sendOrder(order, "orders/paid")).json()).toMatchObject({
      status: "duplicate",
    });
    await drain();
    expect(tiktok.accepted.map((e) => e.event_id)).toEqual([
      "820982911946154508_Purchase",
    ]);
    expect(tiktok.requests).toHaveLength(1);
  });

  it("an empty X-Shopify-Event-Id is no id: two orders that each carry one are both queued", async () => {
    for (const order of [simpleOrder(), simpleOrder()]) {
      const res = await sendOrder(order, "orders/create", { eventId: "" });
      expect(await res.json()).toMatchObject({ status: "queued" });
    }
    expect(await app.prisma.delivery.count()).toBe(2);
  });

  it("orders/paid is the trigger when the shop says so", async () => {
    await configure({ purchaseTrigger: "orders/paid" });
    const order = simpleOrder();
    expect(
      await (await sendOrder(order, "orders/create")).json(),
    ).toMatchObject({ status: "ignored" });
    expect(await (await sendOrder(order, "orders/paid")).json()).toMatchObject({
      status: "queued",
    });
  });

  it("applies the order filters and consent: skipped deliveries are logged, never queued or sent", async () => {
    await app.prisma.attributionSession.create({
      data: {
        shop: SHOP,
        sessionKey: "sess_denied0000000001",
        consent: "denied",
      },
    });
    const cases: [FixtureOrder, RegExp][] = [
      [simpleOrder({ source_name: "pos" }), /point of sale/],
      [simpleOrder({ source_name: "shopify_draft_order" }), /draft/],
      [simpleOrder({ test: true }), /test order/],
      [simpleOrder({ source_name: "subscription_contract" }), /subscription/],
      [
        simpleOrder({ tags: "VIP, Subscription Recurring Order" }),
        /subscription/,
      ],
      [
        simpleOrder({
          note_attributes: [
            { name: "_tt_sid", value: "sess_denied0000000001" },
          ],
        }),
        /declined/,
      ],
    ];
    for (const [order, reason] of cases) {
      const res = await sendOrder(order);
      const body = await res.json();
      expect(body.status).toBe("skipped");
      expect(body.reason).toMatch(reason);
    }
    expect(await app.prisma.outboxEntry.count()).toBe(0);
    const skipped = await app.prisma.delivery.findMany();
    expect(skipped).toHaveLength(cases.length);
    for (const d of skipped) {
      expect(d.status).toBe("skipped");
      expect(JSON.parse(d.payload).user).toBeUndefined();
    }
    await drain();
    expect(tiktok.requests).toHaveLength(0);

    await configure({ consentPolicy: "skip" });
    expect(await (await sendOrder(simpleOrder())).json()).toMatchObject({
      status: "skipped",
      reason: expect.stringMatching(/unknown/),
    });
    await configure({ skipPosOrders: false });
    expect(
      await (await sendOrder(simpleOrder({ source_name: "pos" }))).json(),
    ).toMatchObject({ status: "queued" });
  });

  it("reports an unsupported currency as a clear validation failure, without sending it", async () => {
    await sendOrder(simpleOrder({ currency: "XOF" }));
    await drain();
    expect(tiktok.requests).toHaveLength(0);
    const d = await app.prisma.delivery.findFirstOrThrow();
    expect(d.status).toBe("failed");
    expect(d.lastError).toMatch(/currency/i);
    expect(d.lastError).toMatch(/XOF/);
  });

  it("a permanent TikTok rejection fails the delivery with TikTok's message and is not retried", async () => {
    await configure({ accessToken: "revoked-token" });
    await sendOrder(simpleOrder());
    await drain();
    await drain();
    expect(tiktok.requests).toHaveLength(1);
    const d = await app.prisma.delivery.findFirstOrThrow({
      include: { attempts: true },
    });
    expect(d.status).toBe("failed");
    expect(d.lastError).toMatch(/access token was rejected/);
    expect(d.attempts[0]).toMatchObject({
      tiktokCode: 40105,
      outcome: "permanent",
    });
    expect(await app.prisma.outboxEntry.count()).toBe(0);
  });
});

describe("order webhook edges", () => {
  it("bad HMAC: 401 and nothing stored", async () => {
    const req = app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(simpleOrder()),
      secret: "wrong",
    });
    expect((await app.handle(req)).status).toBe(401);
    expect(await app.prisma.delivery.count()).toBe(0);
    expect(await app.prisma.webhookReceipt.count()).toBe(0);
  });

  it("malformed JSON and missing headers are rejected and store nothing", async () => {
    const bad = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/create",
        shop: SHOP,
        body: "{not json",
      }),
    );
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    const noId = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/create",
        shop: SHOP,
        body: JSON.stringify({ name: "#1" }),
      }),
    );
    expect(noId.status).toBe(400);

    const body = orderBody(simpleOrder());
    const req = app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body,
    });
    const headers = new Headers(req.headers);
    headers.delete("X-Shopify-Topic");
    const missing = await app.handle(
      new Request(req.url, { method: "POST", headers, body }),
    );
    expect(missing.status).toBe(400);
    expect(await app.prisma.delivery.count()).toBe(0);
  });

  it("the signature check reads Shopify's headers among many others; other methods, an empty body and a missing HMAC are refused", async () => {
    const body = orderBody(simpleOrder());
    const signed = app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body,
    });
    // What proxies and load balancers add in front of the app: none of it is signed or read.
    const crowded = new Headers(signed.headers);
    for (let i = 0; i < 30; i++) crowded.set(`X-Forwarded-Extra-${i}`, `v${i}`);
    crowded.set("User-Agent", "Shopify-Captain-Hook");
    crowded.set("Accept-Encoding", "gzip");
    const ok = await app.handle(
      new Request(signed.url, { method: "POST", headers: crowded, body }),
    );
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: "queued" });

    const put = await app.handle(
      new Request(signed.url, { method: "PUT", headers: crowded, body }),
    );
    expect(put.status).toBe(405);
    const empty = app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: "",
    });
    expect((await app.handle(empty)).status).toBe(400);
    const noHmac = new Headers(signed.headers);
    noHmac.delete("X-Shopify-Hmac-Sha256");
    const unsigned = await app.handle(
      new Request(signed.url, { method: "POST", headers: noHmac, body }),
    );
    expect(unsigned.status).toBe(400);
    expect(await app.prisma.delivery.count()).toBe(1);

    // Shopify's newer header spelling (no X-) is what the library reads when it is there: a
    // valid X-Shopify-Shop-Domain beside a Shopify-Shop-Domain that is no shop is refused.
    const twoSpellings = new Headers(signed.headers);
    for (const [name, value] of signed.headers)
      if (name.startsWith("x-shopify-")) twoSpellings.set(name.slice(2), value);
    twoSpellings.set("Shopify-Shop-Domain", "not-a-shop.example.com");
    const mixed = await app.handle(
      new Request(signed.url, { method: "POST", headers: twoSpellings, body }),
    );
    expect(mixed.status).toBe(400);
    expect(await app.prisma.delivery.count()).toBe(1);
  });

  it("odd optional fields are dropped, not fatal: the order still counts (cases found by fuzzing)", async () => {
    const variants = [
      { note_attributes: { not: "an array" } },
      { created_at: "yesterday-ish" },
      {
        line_items: [
          null,
          {
            variant_id: { x: 1 },
            sku: "KEPT-1",
            title: "Kept",
            price: "1.00",
            quantity: 1,
          },
        ],
      },
      { tags: ["a"] },
      { customer: { id: { toString: null }, email: 42 } },
      {
        cart_token: "c1-\ud800",
        note_attributes: [{ name: "_tt_sid", value: "sess_unknown_000000" }],
      },
      {
        client_details: { user_agent: "x".repeat(5000) },
        billing_address: { country_code: "ZZZ" },
      },
    ];
    for (const overrides of variants) {
      const order = simpleOrder(overrides);
      const res = await sendOrder(order);
      expect(res.status, JSON.stringify(overrides).slice(0, 80)).toBe(200);
      expect(await res.json()).toMatchObject({ status: "queued" });
    }
    await drain();
    expect(tiktok.accepted).toHaveLength(variants.length);
    const kept = tiktok.accepted.find((e) =>
      JSON.stringify(e.properties).includes("Kept"),
    );
    expect(kept?.properties).toMatchObject({
      contents: [
        { content_id: "KEPT-1", content_name: "Kept", price: 1, quantity: 1 },
      ],
    });
    const longUa = tiktok.accepted.find(
      (e) =>
        typeof e.user.user_agent === "string" &&
        e.user.user_agent.startsWith("xxx"),
    );
    expect((longUa?.user.user_agent as string).length).toBe(2048);
  });

  it("an order without a usable id, or from an invalid shop domain, gets 400 and stores nothing", async () => {
    for (const body of [
      JSON.stringify({ name: "#1" }),
      JSON.stringify({ id: "abc" }),
      JSON.stringify({ id: { $gt: 1 } }),
      "[]",
      "null",
    ]) {
      const res = await app.handle(
        app.webhookRequest("/webhooks/orders", {
          topic: "orders/create",
          shop: SHOP,
          body,
        }),
      );
      expect(res.status, body).toBe(400);
    }
    const hostileShop = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/create",
        shop: "' OR 1=1 --.myshopify.com",
        body: orderBody(simpleOrder()),
      }),
    );
    expect(hostileShop.status).toBe(400);
    expect(await app.prisma.delivery.count()).toBe(0);
    expect(await app.prisma.webhookReceipt.count()).toBe(0);
  });

  it("a shop with no settings is acknowledged and nothing is stored or sent", async () => {
    const body = orderBody(simpleOrder());
    const res = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/create",
        shop: "no-settings.myshopify.com",
        body,
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ignored" });
    expect(await app.prisma.delivery.count()).toBe(0);
    await drain();
    expect(tiktok.requests).toHaveLength(0);
  });

  it("after all of the above, the database file holds none of the raw emails or phones", async () => {
    await sendOrder(canadianOrderWithClick());
    await sendOrder(germanGuestOrder());
    await drain();
    await app.prisma.$disconnect();
    const bytes =
      readFileSync(app.dbFile).toString("latin1") + readWal(app.dbFile);
    for (const raw of [
      "Jane.Doe@Example.com",
      "jane.doe@example.com",
      "(613) 555-0123",
      "613-555-0123",
      "613 555 0123",
      "+16135550123",
      "6135550123",
      "HANS@example.de",
      "hans@example.de",
      "0049 151 23456789",
      "+4915123456789",
      "15123456789",
      "buyer1@example.org",
      "020 7946 0958",
      "Jane",
      "Doe",
    ]) {
      expect(bytes.includes(raw), raw).toBe(false);
    }
    expect(bytes.includes(H.jane)).toBe(true); // the hashes are what we keep
  });
});

function readWal(dbFile: string): string {
  try {
    return readFileSync(`${dbFile}-wal`).toString("latin1");
  } catch {
    return "";
  }
}
