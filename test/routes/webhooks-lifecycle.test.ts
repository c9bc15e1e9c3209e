import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import { seedPixel } from "../support/shops";

const SHOP = "lifecycle.myshopify.com";
const OTHER = "bystander.myshopify.com";
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

async function seed(shop: string) {
  await app.prisma.delivery.deleteMany({ where: { shop } });
  await app.prisma.attributionSession.deleteMany({ where: { shop } });
  await app.prisma.checkoutContext.deleteMany({ where: { shop } });
  await app.prisma.shopSettings.deleteMany({ where: { shop } });
  await app.installShop(shop);
  await seedPixel(app.prisma, shop, {
    pixelCode: "CPIXEL000000000001",
    accessTokenCiphertext: "v1.x.y.z",
    accessTokenLast4: "1234",
  });
  const delivery = await app.prisma.delivery.create({
    data: {
      shop,
      source: "order",
      eventName: "Purchase",
      eventId: `${shop}-1001`,
      pixelCode: "CPIXEL000000000001",
      orderId: "gid://shopify/Order/1001",
      orderName: "#1001",
      customerId: "gid://shopify/Customer/77",
      sessionKey: "sess-1",
      payload: "{}",
      eventTime: new Date(),
      outbox: { create: { shop } },
    },
  });
  await app.prisma.deliveryAttempt.create({
    data: {
      deliveryId: delivery.id,
      startedAt: new Date(),
      durationMs: 5,
      outcome: "retryable",
    },
  });
  await app.prisma.attributionSession.create({
    data: { shop, sessionKey: "sess-1", ttclid: "E.C.P.abc" },
  });
  // Checkout contexts: one of the customer's session, one of their order, one of someone else.
  await app.prisma.checkoutContext.createMany({
    data: [
      { shop, checkoutToken: "tok-session", sessionKey: "sess-1" },
      { shop, checkoutToken: "tok-order", orderId: "1001" },
      { shop, checkoutToken: "tok-other", sessionKey: "sess-2" },
    ],
  });
}

async function counts(shop: string) {
  return {
    sessions: await app.prisma.session.count({ where: { shop } }),
    settings: await app.prisma.shopSettings.count({ where: { shop } }),
    deliveries: await app.prisma.delivery.count({ where: { shop } }),
    outbox: await app.prisma.outboxEntry.count({ where: { shop } }),
    attempts: await app.prisma.deliveryAttempt.count({
      where: { delivery: { shop } },
    }),
    attribution: await app.prisma.attributionSession.count({ where: { shop } }),
    checkouts: await app.prisma.checkoutContext.count({ where: { shop } }),
  };
}

const full = {
  sessions: 1,
  settings: 1,
  deliveries: 1,
  outbox: 1,
  attempts: 1,
  attribution: 1,
  checkouts: 3,
};

beforeEach(async () => {
  await seed(SHOP);
  await seed(OTHER);
});

describe("app lifecycle and compliance webhooks", () => {
  it("app/uninstalled removes the shop's sessions and stops sending, keeping the log", async () => {
    const body = JSON.stringify({ id: 1, domain: SHOP });
    const res = await app.handle(
      app.webhookRequest("/webhooks/app/uninstalled", {
        topic: "app/uninstalled",
        shop: SHOP,
        body,
      }),
    );
    expect(res.status).toBe(200);
    expect(await counts(SHOP)).toEqual({ ...full, sessions: 0, outbox: 0 });
    const delivery = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP },
    });
    expect(delivery.status).toBe("skipped");
    expect(
      (
        await app.prisma.shopSettings.findUniqueOrThrow({
          where: { shop: SHOP },
        })
      ).uninstalledAt,
    ).not.toBeNull();
    expect(await counts(OTHER)).toEqual(full);
  });

  it("shop/redact deletes all of the shop's data and nothing of other shops", async () => {
    const body = JSON.stringify({ shop_id: 1, shop_domain: SHOP });
    const res = await app.handle(
      app.webhookRequest("/webhooks/compliance", {
        topic: "shop/redact",
        shop: SHOP,
        body,
      }),
    );
    expect(res.status).toBe(200);
    expect(await counts(SHOP)).toEqual({
      sessions: 0,
      settings: 0,
      deliveries: 0,
      outbox: 0,
      attempts: 0,
      attribution: 0,
      checkouts: 0,
    });
    expect(await counts(OTHER)).toEqual(full);
  });

  it("customers/redact deletes that customer's log entries and storefront sessions only", async () => {
    const body = JSON.stringify({
      shop_domain: SHOP,
      customer: { id: 77, email: "x@example.com" },
      orders_to_redact: [1001],
    });
    const res = await app.handle(
      app.webhookRequest("/webhooks/compliance", {
        topic: "customers/redact",
        shop: SHOP,
        body,
      }),
    );
    expect(res.status).toBe(200);
    expect(await counts(SHOP)).toEqual({
      ...full,
      deliveries: 0,
      outbox: 0,
      attempts: 0,
      attribution: 0,
      checkouts: 1, // another shopper's checkout stays
    });
    expect(
      (
        await app.prisma.checkoutContext.findMany({ where: { shop: SHOP } })
      ).map((c) => c.checkoutToken),
    ).toEqual(["tok-other"]);
    expect(await counts(OTHER)).toEqual(full);
  });

  it("customers/redact with thousands of orders is handled in chunks; a malformed one is a 400", async () => {
    const orders = Array.from({ length: 2500 }, (_, i) => 100_000 + i).concat([
      1001,
    ]);
    const body = JSON.stringify({
      shop_domain: SHOP,
      customer: { id: 999 },
      orders_to_redact: orders,
    });
    const res = await app.handle(
      app.webhookRequest("/webhooks/compliance", {
        topic: "customers/redact",
        shop: SHOP,
        body,
      }),
    );
    expect(res.status).toBe(200);
    expect(await counts(SHOP)).toMatchObject({ deliveries: 0, attribution: 0 });
    const bad = JSON.stringify({
      shop_domain: SHOP,
      customer: { id: { x: 1 } },
      orders_to_redact: "all",
    });
    const rejected = await app.handle(
      app.webhookRequest("/webhooks/compliance", {
        topic: "customers/redact",
        shop: SHOP,
        body: bad,
      }),
    );
    expect(rejected.status).toBe(400);
    expect(await counts(OTHER)).toEqual(full);
  });

  it("customers/data_request is acknowledged with what we hold", async () => {
    const body = JSON.stringify({
      shop_domain: SHOP,
      customer: { id: 77 },
      orders_requested: [1001],
    });
    const res = await app.handle(
      app.webhookRequest("/webhooks/compliance", {
        topic: "customers/data_request",
        shop: SHOP,
        body,
      }),
    );
    expect(res.status).toBe(200);
    const report = await res.json();
    expect(report.deliveries).toHaveLength(1);
    expect(report.deliveries[0]).toMatchObject({
      eventName: "Purchase",
      orderName: "#1001",
    });
    expect(report.attributionSessions).toBe(1);
  });

  describe("18-digit ids, as in Shopify's sample payloads (bare JSON numbers above 2^53)", () => {
    const customerId = "820982911946154508";
    const orderId = "450789469000000001";
    // Serialised as Shopify does: the ids are bare numbers, which JSON.parse would round.
    const bigBody = (orderKey: string) =>
      `{"shop_domain":"${SHOP}","customer":{"id":${customerId},"email":"x@example.com"},"${orderKey}":[${orderId}]}`;

    beforeEach(async () => {
      for (const [eventId, data] of [
        [
          "big-customer",
          { customerId: `gid://shopify/Customer/${customerId}` },
        ],
        [
          "big-order",
          { orderId: `gid://shopify/Order/${orderId}`, orderName: "#9001" },
        ],
        // One digit off: a rounded id would match neither of these, an exact one must not touch them.
        [
          "near-customer",
          { customerId: "gid://shopify/Customer/820982911946154500" },
        ],
        ["near-order", { orderId: "gid://shopify/Order/450789469000000000" }],
      ] as const) {
        await app.prisma.delivery.create({
          data: {
            shop: SHOP,
            source: "order",
            eventName: "Purchase",
            eventId,
            pixelCode: "CPIXEL000000000001",
            payload: "{}",
            eventTime: new Date(),
            ...data,
          },
        });
      }
    });

    it("customers/redact removes exactly that customer's and those orders' deliveries", async () => {
      const res = await app.handle(
        app.webhookRequest("/webhooks/compliance", {
          topic: "customers/redact",
          shop: SHOP,
          body: bigBody("orders_to_redact"),
        }),
      );
      expect(res.status).toBe(200);
      const left = await app.prisma.delivery.findMany({
        where: { shop: SHOP },
        select: { eventId: true },
      });
      expect(left.map((d) => d.eventId).sort()).toEqual([
        `${SHOP}-1001`,
        "near-customer",
        "near-order",
      ]);
    });

    it("customers/data_request reports them", async () => {
      const res = await app.handle(
        app.webhookRequest("/webhooks/compliance", {
          topic: "customers/data_request",
          shop: SHOP,
          body: bigBody("orders_requested"),
        }),
      );
      expect(res.status).toBe(200);
      const report = await res.json();
      expect(
        report.deliveries.map((d: { eventId: string }) => d.eventId).sort(),
      ).toEqual(["big-customer", "big-order"]);
    });
  });

  it("a bad HMAC gets 401 and deletes nothing", async () => {
    for (const [path, topic] of [
      ["/webhooks/app/uninstalled", "app/uninstalled"],
      ["/webhooks/compliance", "shop/redact"],
      ["/webhooks/compliance", "customers/redact"],
    ]) {
      const body = JSON.stringify({ shop_domain: SHOP, customer: { id: 77 } });
      const res = await app.handle(
        app.webhookRequest(path, {
          topic,
          shop: SHOP,
          body,
          secret: "not-the-secret",
        }),
      );
      expect(res.status).toBe(401);
    }
    expect(await counts(SHOP)).toEqual(full);
  });

  it("a tampered body with the original HMAC gets 401", async () => {
    const req = app.webhookRequest("/webhooks/compliance", {
      topic: "shop/redact",
      shop: SHOP,
      body: JSON.stringify({ shop_domain: SHOP }),
    });
    const tampered = new Request(req.url, {
      method: "POST",
      headers: req.headers,
      body: JSON.stringify({ shop_domain: OTHER }),
    });
    expect((await app.handle(tampered)).status).toBe(401);
    expect(await counts(SHOP)).toEqual(full);
  });
});
