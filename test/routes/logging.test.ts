// What the app writes to its log, read back as JSON lines from the real routes and the real
// worker: ids and outcomes on every line, and none of the shopper's email, phone or address, nor
// the shop's TikTok access token, anywhere in the output.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import { configureShop } from "../support/shops";
import { captureLogs, type LogCapture } from "../support/log-capture";
import {
  canadianOrderWithClick,
  germanGuestOrder,
  orderBody,
  simpleOrder,
  type FixtureOrder,
} from "../fixtures/orders";

const SHOP = "logging-shop.myshopify.com";
const PIXEL = "CLOGGINGPIXEL000001";
const TOKEN = "logging-access-token-0123456789";
const REVOKED = {
  shop: "logging-revoked.myshopify.com",
  pixel: "CLOGREVOKED00000001",
};
const REVOKED_TOKEN = "revoked-access-token-9876543210";

/** What must never reach a log line: the fixtures' raw emails, phones and IPs, and the tokens. */
const NEVER_LOGGED = [
  "jane.doe", // canadianOrderWithClick's email, any case
  "555-0123",
  "5550123",
  "203.0.113.7", // its browser_ip
  "hans@example", // germanGuestOrder
  "151 23456789",
  "15123456789",
  "2001:db8::1",
  "198.51.100.23", // the shopper's address on the app proxy request
  "192.0.2.55",
  "7946 0958",
  TOKEN,
  REVOKED_TOKEN,
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let app: TestApp;
let tiktok: TikTokStandin;
let logs: LogCapture;

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: TOKEN,
    consentPolicy: "send",
  });
  // The stand-in does not know this token: TikTok's answer is 40105, a permanent failure.
  await configureShop(REVOKED.shop, {
    pixelCode: REVOKED.pixel,
    accessToken: REVOKED_TOKEN,
    consentPolicy: "send",
  });
  logs = await captureLogs();
});
afterAll(async () => {
  await logs.stop();
  await app.close();
  await tiktok.close();
});
beforeEach(() => {
  logs.clear();
  tiktok.reset();
});

function expectNothingPersonal() {
  const text = logs.text().toLowerCase();
  expect(text.length).toBeGreaterThan(0);
  for (const value of NEVER_LOGGED)
    expect(text, `log output contains ${value}`).not.toContain(
      value.toLowerCase(),
    );
}

function sendOrder(
  shop: string,
  order: FixtureOrder,
  headers: Record<string, string> = {},
) {
  const request = app.webhookRequest("/webhooks/orders", {
    topic: "orders/create",
    shop,
    body: orderBody(order),
  });
  for (const [k, v] of Object.entries(headers)) request.headers.set(k, v);
  return app.handle(request);
}

async function runWorker() {
  const { createDeliveryWorker } = await import("~/delivery/runtime.server");
  const worker = createDeliveryWorker();
  while ((await worker.runOnce()) > 0) {
    /* until the due rows are settled */
  }
}

describe("order webhook", () => {
  it("logs one line with shop, request id, webhook and event ids, delivery id and outcome; no email, phone or IP", async () => {
    const order = canadianOrderWithClick();
    const res = await sendOrder(SHOP, order, {
      "X-Request-Id": "lb-7f3a.42:edge",
      "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    });
    expect(res.status).toBe(200);
    const delivery = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP, eventId: `${order.id}_Purchase` },
    });
    // The delivery does carry the shopper's data TikTok needs (hashed, and the IP raw)...
    expect(delivery.payload).toContain("203.0.113.7");

    const lines = logs.find({ msg: "order webhook" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: "info",
      route: "webhooks.orders",
      requestId: "lb-7f3a.42:edge",
      shop: SHOP,
      topic: "ORDERS_CREATE",
      outcome: "queued",
      status: 200,
      deliveryId: delivery.id,
      eventId: `${order.id}_Purchase`,
      shopifyEventId: "98880550-7158-44d4-b7cd-2c97c8a091b5",
    });
    expect(lines[0].webhookId).toEqual(expect.any(String));
    // ...and none of it reaches the log.
    expectNothingPersonal();
  });

  it("a duplicate says so; every line of the request carries its request id", async () => {
    const order = simpleOrder({ browser_ip: "192.0.2.55" });
    for (let i = 0; i < 2; i++)
      expect(
        (await sendOrder(SHOP, order, { "X-Request-Id": `dup-${i}` })).status,
      ).toBe(200);
    expect(logs.lines().map((l) => [l.requestId, l.outcome, l.shop])).toEqual([
      ["dup-0", "queued", SHOP],
      ["dup-1", "duplicate", SHOP],
    ]);
    expectNothingPersonal();
  });

  it("makes up a request id when there is none or it is not a sane one", async () => {
    const bad = [
      undefined,
      "x".repeat(129),
      "jane.doe@example.com",
      "two words",
      "",
    ];
    for (const given of bad) {
      logs.clear();
      const headers: Record<string, string> =
        given === undefined ? {} : { "X-Request-Id": given };
      const res = await sendOrder(SHOP, simpleOrder(), headers);
      expect(res.status).toBe(200);
      const [line] = logs.find({ msg: "order webhook" });
      expect(line.requestId).toMatch(UUID);
    }
    // Ids made up per request, not per process.
    logs.clear();
    await sendOrder(SHOP, simpleOrder());
    await sendOrder(SHOP, simpleOrder());
    const ids = logs.lines().map((l) => l.requestId);
    expect(new Set(ids).size).toBe(2);
  });

  it("header-borne ids are cut to 128 characters in the line", async () => {
    const res = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/create",
        shop: SHOP,
        body: orderBody(simpleOrder()),
        webhookId: "w".repeat(5000),
      }),
    );
    expect(res.status).toBe(200);
    const [line] = logs.find({ msg: "order webhook" });
    expect(line.webhookId).toBe("w".repeat(128));
  });

  it("a forged webhook is logged as rejected, without a shop it could not verify", async () => {
    const request = app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(canadianOrderWithClick()),
      secret: "not-the-app-secret",
    });
    request.headers.set("X-Request-Id", "forged-1");
    const res = await app.handle(request);
    expect(res.status).toBe(401);
    expect(logs.find({ requestId: "forged-1" })).toEqual([
      expect.objectContaining({ outcome: "rejected", status: 401 }),
    ]);
    expect(logs.text()).not.toContain(SHOP);
    expectNothingPersonal();
  });
});

describe("app proxy", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const body = {
    v: 1,
    session_id: "sid_logging_0123456789",
    consent: "granted",
    ttclid: "E.C.P.loggingclick",
    page: { url: `https://${SHOP}/products/mug` },
    events: [
      { event: "PageView", event_id: "pv-logging-01", event_time: now() },
      {
        event: "AddToCart",
        event_id: "ac-logging-01",
        event_time: now(),
        properties: { currency: "EUR", value: 8 },
      },
    ],
  };
  const post = (payload: string, secret?: string) =>
    app.handle(
      app.appProxyRequest("/proxy/collect", {
        shop: SHOP,
        body: payload,
        secret,
        headers: {
          "X-Forwarded-For": "198.51.100.23, 10.0.0.1",
          "X-Request-Id": "proxy-req-1",
        },
      }),
    );

  it("logs the shop, request id, outcome and queued event ids, never the shopper's address", async () => {
    expect((await post(JSON.stringify(body))).status).toBe(204);
    const session = await app.prisma.attributionSession.findUniqueOrThrow({
      where: {
        shop_sessionKey: { shop: SHOP, sessionKey: body.session_id },
      },
    });
    expect(session.ip).toBe("198.51.100.23"); // stored for TikTok, not logged
    expect(logs.lines()).toEqual([
      expect.objectContaining({
        msg: "app proxy",
        route: "proxy.collect",
        requestId: "proxy-req-1",
        shop: SHOP,
        outcome: "accepted",
        status: 204,
        events: 2,
        queued: 1, // PageView is never mirrored
        eventIds: ["ac-logging-01"],
      }),
    ]);
    expectNothingPersonal();
  });

  it("rejections are logged with their reason", async () => {
    expect((await post("{not json")).status).toBe(400);
    expect((await post(JSON.stringify(body), "wrong-secret")).status).toBe(400);
    expect(logs.lines().map((l) => [l.outcome, l.reason, l.status])).toEqual([
      ["rejected", "body", 400],
      ["rejected", "signature", 400],
    ]);
    expectNothingPersonal();
  });
});

describe("delivery worker", () => {
  it("a delivery TikTok refuses: the request's code and the failed delivery, with its ids; no token", async () => {
    const order = germanGuestOrder();
    // The earlier tests' orders are delivered first, so only this one is left.
    await runWorker();
    expect((await sendOrder(REVOKED.shop, order)).status).toBe(200);
    logs.clear();
    await runWorker();
    const delivery = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: REVOKED.shop, eventId: `${order.id}_Purchase` },
      include: { attempts: true },
    });
    expect(delivery.status).toBe("failed");
    expect(delivery.attempts).toHaveLength(1);
    expect(delivery.attempts[0].tiktokCode).toBe(40105);

    expect(logs.find({ msg: "tiktok request" })).toEqual([
      expect.objectContaining({
        level: "warn",
        component: "delivery",
        workerId: expect.any(String),
        shop: REVOKED.shop,
        pixelCode: REVOKED.pixel,
        outcome: "permanent",
        code: 40105,
        events: 1,
        tiktokRequestId: delivery.attempts[0].requestId,
      }),
    ]);
    expect(logs.find({ msg: "delivery settled" })).toEqual([
      expect.objectContaining({
        level: "warn",
        shop: REVOKED.shop,
        deliveryId: delivery.id,
        eventId: `${order.id}_Purchase`,
        outcome: "failed",
        code: 40105,
        reason: "auth",
        tries: 1,
      }),
    ]);
    expectNothingPersonal();
  });

  it("a retryable failure is logged as rescheduled, then as delivered on the next try", async () => {
    const order = simpleOrder({
      browser_ip: "192.0.2.55",
      phone: "+44 20 7946 0958",
    });
    expect((await sendOrder(SHOP, order)).status).toBe(200);
    const delivery = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP, eventId: `${order.id}_Purchase` },
    });
    logs.clear();
    tiktok.setBehaviour({ forced: { kind: "http500" } });
    await runWorker();
    expect(logs.find({ msg: "delivery settled" })).toEqual([
      expect.objectContaining({
        deliveryId: delivery.id,
        eventId: `${order.id}_Purchase`,
        shop: SHOP,
        outcome: "rescheduled",
        code: 50000, // the stand-in's HTTP 500 body
        reason: "server_error",
        attempts: 1,
        retryAt: expect.any(String),
      }),
    ]);
    expect(logs.find({ msg: "tiktok request" })[0]).toMatchObject({
      outcome: "retryable",
      httpStatus: 500,
    });

    logs.clear();
    tiktok.setBehaviour({ forced: null });
    await app.prisma.outboxEntry.updateMany({
      where: { deliveryId: delivery.id },
      data: { nextAttemptAt: new Date(0) },
    });
    await runWorker();
    expect(logs.find({ msg: "delivery settled" })).toEqual([
      expect.objectContaining({
        deliveryId: delivery.id,
        outcome: "delivered",
        code: 0,
        level: "info",
      }),
    ]);
    expectNothingPersonal();
  });
});
