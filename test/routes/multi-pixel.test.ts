// Several TikTok pixels per shop (issue 16), end to end: signed webhooks and app proxy requests
// through the real routes, the real outbox and worker, and the TikTok stand-in on loopback. Each
// stand-in token may operate one pixel only, so an accepted event proves it went with its own
// pixel's token.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  maskToken,
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import { forgetPixels } from "../support/shops";
import { orderBody, simpleOrder, type FixtureOrder } from "../fixtures/orders";
import type { PixelInput } from "~/settings/settings-form";
import type { RetryPolicyOptions } from "~/delivery/outbox/retry-policy";

const SHOP = "multi-pixel.myshopify.com";
const OTHER = "multi-pixel-other.myshopify.com";
const A = { code: "CMULTIPIXELA0000001", token: "tokA-access-token-01" };
const B = { code: "CMULTIPIXELB0000002", token: "tokB-access-token-02" };
const C = { code: "CMULTIPIXELC0000003", token: "tokC-access-token-03" };
const O = { code: "CMULTIPIXELO0000004", token: "tokO-access-token-04" };
/** Not known to the stand-in: TikTok answers 40105, as for a revoked token. */
const REVOKED = "tokR-revoked-token-99";
const SESSION = "sess_multipixel_granted_01";

let app: TestApp;
let tiktok: TikTokStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({
    accessTokens: {
      [A.token]: [A.code],
      [B.token]: [B.code],
      [C.token]: [C.code],
      [O.token]: [O.code],
    },
  });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
});
afterAll(async () => {
  await app.close();
  await tiktok.close();
  globalThis.proxyLimits = undefined;
});

beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  await app.prisma.webhookReceipt.deleteMany({});
  await app.prisma.attributionSession.deleteMany({});
  await app.prisma.checkoutContext.deleteMany({});
  await app.prisma.session.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  for (const shop of [SHOP, OTHER]) await forgetPixels(shop);
  tiktok.reset();
});

/** Adds a pixel the way the settings page does (token encrypted by the app), defaults filled in. */
async function addPixel(
  pixel: { code: string; token: string },
  overrides: Partial<PixelInput> = {},
  shop = SHOP,
) {
  const { createPixel } = await import("~/pixels/pixels.server");
  const { DEFAULT_SETTINGS } = await import("~/settings/settings-form");
  const { purchaseTrigger: _trigger, ...defaults } = DEFAULT_SETTINGS;
  const result = await createPixel(shop, {
    ...defaults,
    name: pixel.code,
    pixelCode: pixel.code,
    accessToken: pixel.token,
    ...overrides,
  });
  if (!result.ok) throw new Error(result.message);
  return result.pixel;
}

async function newWorker(
  options: { baseUrl?: string; retryPolicy?: RetryPolicyOptions } = {},
) {
  const { DeliveryWorker } = await import("~/delivery/worker.server");
  const { createTikTokClient } = await import("~/tiktok/client.server");
  return new DeliveryWorker({
    prisma: app.prisma,
    client: createTikTokClient({ baseUrl: options.baseUrl ?? tiktok.url }),
    retryPolicy: options.retryPolicy,
  });
}

async function drain() {
  const worker = await newWorker();
  while ((await worker.runOnce()) > 0) {
    /* until the due rows are settled */
  }
}

async function sendOrder(order: FixtureOrder, shop = SHOP) {
  const res = await app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop,
      body: orderBody(order),
    }),
  );
  expect(res.status).toBe(200);
  return res.json() as Promise<{
    status: string;
    eventId?: string;
    reason?: string;
    pixels?: {
      pixelCode: string;
      deliveryId: string;
      status: string;
      reason?: string;
    }[];
  }>;
}

/** A shopper who accepted tracking, and an order from their session. */
async function grantedOrder(overrides: Record<string, unknown> = {}) {
  await app.prisma.attributionSession.upsert({
    where: { shop_sessionKey: { shop: SHOP, sessionKey: SESSION } },
    create: {
      shop: SHOP,
      sessionKey: SESSION,
      ttclid: "E.C.P.multipixel",
      consent: "granted",
    },
    update: {},
  });
  return simpleOrder({
    note_attributes: [{ name: "_tt_sid", value: SESSION }],
    ...overrides,
  });
}

const at = (code: string) =>
  tiktok.accepted.filter((e) => e.pixelCode === code);

async function deliveriesAt(code: string, shop = SHOP) {
  return app.prisma.delivery.findMany({
    where: { shop, pixelCode: code },
    include: { attempts: true, outbox: true },
    orderBy: [{ eventName: "asc" }, { createdAt: "asc" }],
  });
}

describe("orders fan out to each pixel that takes them", () => {
  it("one orders/create → the Purchase each pixel asked for, with its own code, token, name, value and event id", async () => {
    // A: Purchase, order total, POS skipped, unknown consent skipped.
    // B: CompletePayment, subtotal, POS sent, unknown consent sent as limited data use.
    // C: Purchase turned off.
    await addPixel(A, { consentPolicy: "skip" });
    await addPixel(B, {
      purchaseEventName: "CompletePayment",
      valueSource: "subtotal",
      skipPosOrders: false,
      consentPolicy: "limited",
    });
    await addPixel(C, { sendPurchase: false });

    const order = await grantedOrder(); // total 10.00, subtotal 8.00
    const answer = await sendOrder(order);
    expect(answer).toMatchObject({
      status: "queued",
      eventId: `${order.id}_Purchase`,
    });
    expect(
      answer.pixels!.map((p) => [p.pixelCode, p.status, p.reason]),
    ).toEqual([
      [A.code, "queued", undefined],
      [B.code, "queued", undefined],
    ]);
    expect(tiktok.requests).toHaveLength(0); // answered before any send

    await drain();
    expect(
      tiktok.accepted
        .map((e) => [
          e.pixelCode,
          e.event,
          e.event_id,
          e.properties.value,
          e.properties.order_id,
          e.limited_data_use,
        ])
        .sort(),
    ).toEqual([
      [A.code, "Purchase", `${order.id}_Purchase`, 10, order.id, false],
      [
        B.code,
        "CompletePayment",
        `${order.id}_CompletePayment`,
        8,
        order.id,
        false,
      ],
    ]);
    // One request per pixel, each with that pixel's own token (the stand-in's tokens each
    // operate one pixel only: a token mix-up would have been refused with 40001).
    expect(tiktok.requests.map((r) => [r.token, r.code]).sort()).toEqual(
      [
        [maskToken(A.token), 0],
        [maskToken(B.token), 0],
      ].sort(),
    );
    expect(await deliveriesAt(C.code)).toHaveLength(0);
    for (const code of [A.code, B.code]) {
      const [d] = await deliveriesAt(code);
      expect(d).toMatchObject({ status: "delivered", attemptCount: 1 });
      expect(d.id).toBe(
        answer.pixels!.find((p) => p.pixelCode === code)!.deliveryId,
      );
    }
  });

  it("a POS order reaches only the pixel that accepts POS; unknown consent is skipped at one pixel and sent limited at the other", async () => {
    await addPixel(A, { consentPolicy: "skip" });
    await addPixel(B, { skipPosOrders: false, consentPolicy: "limited" });

    const pos = await grantedOrder({ source_name: "pos" });
    const posAnswer = await sendOrder(pos);
    expect(posAnswer.status).toBe("queued");
    expect(
      posAnswer.pixels!.map((p) => [p.pixelCode, p.status, p.reason]),
    ).toEqual([
      [A.code, "skipped", expect.stringMatching(/point of sale/)],
      [B.code, "queued", undefined],
    ]);

    // No storefront session: the shopper's consent is unknown.
    const unknown = simpleOrder();
    const unknownAnswer = await sendOrder(unknown);
    expect(
      unknownAnswer.pixels!.map((p) => [p.pixelCode, p.status, p.reason]),
    ).toEqual([
      [A.code, "skipped", expect.stringMatching(/unknown/)],
      [B.code, "queued", undefined],
    ]);

    await drain();
    expect(at(A.code)).toHaveLength(0);
    // Sorted: the two go in one request, in no promised order (pos has the smaller id).
    expect(
      at(B.code)
        .map((e) => [e.event_id, e.limited_data_use])
        .sort(),
    ).toEqual([
      [`${pos.id}_Purchase`, false],
      [`${unknown.id}_Purchase`, true],
    ]);
    // The skipped rows are in the log, without identifiers, never queued.
    const skipped = await deliveriesAt(A.code);
    expect(skipped.map((d) => [d.eventId, d.status]).sort()).toEqual([
      [`${pos.id}_Purchase`, "skipped"],
      [`${unknown.id}_Purchase`, "skipped"],
    ]);
    for (const d of skipped) {
      expect(d.outbox).toBeNull();
      expect(d.attempts).toHaveLength(0);
      expect(JSON.parse(d.payload).user).toBeUndefined();
    }
    expect((await deliveriesAt(B.code)).map((d) => d.status)).toEqual([
      "delivered",
      "delivered",
    ]);
  });

  it("a second copy of the webhook adds nothing at any pixel", async () => {
    await addPixel(A);
    await addPixel(B);
    const order = await grantedOrder();
    await sendOrder(order);
    // A different webhook id for the same order (orders/create retried as a new delivery).
    expect(await sendOrder(order)).toMatchObject({ status: "duplicate" });
    await drain();
    expect(tiktok.accepted).toHaveLength(2);
    expect(await app.prisma.delivery.count({ where: { shop: SHOP } })).toBe(2);
  });
});

// The storefront script's body, as test/routes/proxy-collect.test.ts sends it.
const now = () => Math.floor(Date.now() / 1000);
function collectBody() {
  return {
    v: 1,
    session_id: "sid_multipixel_0123456789",
    consent: "granted",
    ttclid: "E.C.P.storefront",
    ttp: "ttp_cookie_value_27chars__",
    page: { url: `https://${SHOP}/products/shirt` },
    events: [
      {
        event: "ViewContent",
        event_id: "vc-multi-0000001",
        event_time: now(),
        properties: { currency: "EUR", value: 19.99 },
      },
      {
        event: "AddToCart",
        event_id: "ac-multi-0000001",
        event_time: now(),
        properties: { currency: "EUR", value: 19.99 },
      },
    ],
  };
}

const proxyHeaders = {
  "X-Forwarded-For": "203.0.113.9, 10.0.0.1",
  "User-Agent": "Mozilla/5.0 (shopper)",
};

describe("storefront and checkout events fan out with the browser's event id", () => {
  it("/proxy/collect: ViewContent only where it is on, AddToCart at both, nothing at a pixel turned off", async () => {
    await addPixel(A, { sendViewContent: false });
    await addPixel(B);
    const off = await addPixel(C);
    const { setPixelEnabled } = await import("~/pixels/pixels.server");
    expect(await setPixelEnabled(SHOP, off.id, false)).toBe(true);

    const res = await app.handle(
      app.appProxyRequest("/proxy/collect", {
        shop: SHOP,
        body: JSON.stringify(collectBody()),
        headers: proxyHeaders,
      }),
    );
    expect(res.status).toBe(204);
    await drain();
    expect(
      tiktok.accepted.map((e) => [e.pixelCode, e.event, e.event_id]).sort(),
    ).toEqual(
      [
        [A.code, "AddToCart", "ac-multi-0000001"],
        [B.code, "AddToCart", "ac-multi-0000001"],
        [B.code, "ViewContent", "vc-multi-0000001"],
      ].sort(),
    );
    expect(await deliveriesAt(C.code)).toHaveLength(0);
    expect(tiktok.requests.every((r) => r.token !== maskToken(C.token))).toBe(
      true,
    );
  });

  it("/proxy/checkout: InitiateCheckout at both pixels under one event id, none at a pixel turned off", async () => {
    const { DEFAULT_LIMITS, ProxyLimits } =
      await import("~/storefront/rate-limit");
    globalThis.proxyLimits = new ProxyLimits(DEFAULT_LIMITS, () => Date.now());
    await addPixel(A);
    await addPixel(B);
    const off = await addPixel(C);
    const { setPixelEnabled } = await import("~/pixels/pixels.server");
    await setPixelEnabled(SHOP, off.id, false);

    const token = "c0ffee00c0ffee00c0ffee00c0ffee00";
    const res = await app.handle(
      app.appProxyRequest("/proxy/checkout", {
        shop: SHOP,
        body: JSON.stringify({
          v: 1,
          event: "checkout_started",
          id: "sh-evt-multi-0001",
          ts: new Date().toISOString(),
          token,
          url: `https://${SHOP}/checkouts/cn/${token}`,
          consent: "granted",
          ttclid: "E.C.P.checkoutclick",
          currency: "EUR",
          value: 39.98,
          items: [{ id: "4440000000001", q: 2, p: 19.99, n: "Shirt" }],
        }),
        headers: {
          "Content-Type": "text/plain;charset=UTF-8",
          ...proxyHeaders,
        },
      }),
    );
    expect(res.status).toBe(204);
    await drain();
    expect(
      tiktok.accepted.map((e) => [e.pixelCode, e.event, e.event_id]).sort(),
    ).toEqual([
      [A.code, "InitiateCheckout", `${token}_InitiateCheckout`],
      [B.code, "InitiateCheckout", `${token}_InitiateCheckout`],
    ]);
    expect(await deliveriesAt(C.code)).toHaveLength(0);
  });
});

describe("held Purchases and the web pixel's fallback fan out too", () => {
  async function relay(body: Record<string, unknown>) {
    const { DEFAULT_LIMITS, ProxyLimits } =
      await import("~/storefront/rate-limit");
    globalThis.proxyLimits ??= new ProxyLimits(DEFAULT_LIMITS, () =>
      Date.now(),
    );
    const res = await app.handle(
      app.appProxyRequest("/proxy/checkout", {
        shop: SHOP,
        body: JSON.stringify({
          v: 1,
          ts: new Date().toISOString(),
          consent: "granted",
          ttclid: "E.C.P.relayclick",
          ttp: "ttp_cookie_value_27chars__",
          ...body,
        }),
        headers: {
          "Content-Type": "text/plain;charset=UTF-8",
          ...proxyHeaders,
        },
      }),
    );
    expect(res.status).toBe(204);
  }

  it("an order waiting for the checkout pixel is held at every pixel, and one checkout_completed releases each with the checkout's keys", async () => {
    await addPixel(A, { consentPolicy: "limited" });
    await addPixel(B, {
      consentPolicy: "send",
      purchaseEventName: "CompletePayment",
    });
    const checkout = "ck-multi-hold-000001";
    const order = simpleOrder({ checkout_token: checkout });
    expect(
      (await sendOrder(order)).pixels!.map((p) => [p.pixelCode, p.status]),
    ).toEqual([
      [A.code, "queued"],
      [B.code, "queued"],
    ]);
    await drain();
    expect(tiktok.accepted).toHaveLength(0); // both held

    await relay({
      event: "checkout_completed",
      id: "sh-evt-multi-done-01",
      token: checkout,
      url: `https://${SHOP}/checkouts/cn/${checkout}/thank-you`,
      order_id: order.id,
    });
    await drain();
    expect(
      tiktok.accepted
        .map((e) => [
          e.pixelCode,
          e.event,
          e.event_id,
          e.user.ttclid,
          e.limited_data_use,
        ])
        .sort(),
    ).toEqual([
      [A.code, "Purchase", `${order.id}_Purchase`, "E.C.P.relayclick", false],
      [
        B.code,
        "CompletePayment",
        `${order.id}_CompletePayment`,
        "E.C.P.relayclick",
        false,
      ],
    ]);
  });

  it("the fallback's event reaches each pixel whose switch takes it, under Shopify's event id", async () => {
    await addPixel(A, { sendViewContent: false });
    await addPixel(B);
    const off = await addPixel(C);
    const { setPixelEnabled } = await import("~/pixels/pixels.server");
    await setPixelEnabled(SHOP, off.id, false);
    const item = { id: "4440000000001", q: 1, p: 19.99, n: "Shirt" };
    const common = {
      url: `https://${SHOP}/products/shirt`,
      sid: "sid_multipixel_fallback01",
      currency: "EUR",
      value: 19.99,
      items: [item],
    };
    const viewed = "sh-0b1c2d3e-4F5A-4B6C-8D7E-9F0A1B2C3D01";
    const added = "sh-0b1c2d3e-4F5A-4B6C-8D7E-9F0A1B2C3D02";
    await relay({ event: "product_viewed", id: viewed, ...common });
    await relay({ event: "product_added_to_cart", id: added, ...common });
    await drain();
    expect(
      tiktok.accepted.map((e) => [e.pixelCode, e.event, e.event_id]).sort(),
    ).toEqual(
      [
        [B.code, "ViewContent", viewed],
        [A.code, "AddToCart", added],
        [B.code, "AddToCart", added],
      ].sort(),
    );
    expect(await deliveriesAt(C.code)).toHaveLength(0);
  });
});

describe("pixel storage refuses what it must", () => {
  it("an 11th pixel, a code the shop already has, and another shop's pixel id", async () => {
    const { createPixel, removePixel, setPixelEnabled, updatePixel } =
      await import("~/pixels/pixels.server");
    for (let i = 0; i < 10; i++)
      await addPixel({
        code: `CMULTICAP${String(i).padStart(10, "0")}`,
        token: `cap-token-${i}`,
      });
    const { DEFAULT_SETTINGS } = await import("~/settings/settings-form");
    const { purchaseTrigger: _trigger, ...defaults } = DEFAULT_SETTINGS;
    const eleventh = await createPixel(SHOP, {
      ...defaults,
      pixelCode: "CMULTICAP0000000010",
      accessToken: "cap-token-10",
    });
    expect(eleventh).toMatchObject({ ok: false, field: "pixels" });
    expect(await app.prisma.pixel.count({ where: { shop: SHOP } })).toBe(10);

    const other = await addPixel(O, {}, OTHER);
    // The same code in another shop is that shop's business; twice in one shop is refused.
    expect(
      (
        await createPixel(OTHER, {
          ...defaults,
          pixelCode: O.code,
          accessToken: "x",
        })
      ).ok,
    ).toBe(false);
    expect(
      await createPixel(OTHER, {
        ...defaults,
        pixelCode: "CMULTICAP0000000000",
        accessToken: "y",
      }),
    ).toMatchObject({ ok: true });

    // Another shop's pixel id changes nothing.
    expect(await setPixelEnabled(SHOP, other.id, false)).toBe(false);
    expect(await removePixel(SHOP, other.id)).toBe(false);
    expect(
      await updatePixel(SHOP, other.id, {
        ...defaults,
        pixelCode: "CHIJACKED0000000001",
        accessToken: "stolen",
      }),
    ).toMatchObject({ ok: false, field: "id" });
    expect(
      await app.prisma.pixel.findUniqueOrThrow({ where: { id: other.id } }),
    ).toMatchObject({
      shop: OTHER,
      pixelCode: O.code,
      enabled: true,
      accessTokenCiphertext: other.accessTokenCiphertext,
    });
  });
});

/**
 * A loopback hop in front of the stand-in that holds the requests of some tokens for a while
 * (a slow TikTok answer for that token) and can route a token to another stand-in.
 */
async function startSlowLink(
  target: string,
  options: { slow?: Record<string, number>; routes?: Record<string, string> },
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const token = String(req.headers["access-token"] ?? "");
      const delay = options.slow?.[token] ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      const upstream = await fetch(
        `${options.routes?.[token] ?? target}${req.url}`,
        {
          method: req.method,
          headers: {
            "content-type": String(req.headers["content-type"] ?? ""),
            "access-token": token,
          },
          body: Buffer.concat(chunks),
        },
      );
      res.writeHead(upstream.status, {
        "content-type": upstream.headers.get("content-type") ?? "",
      });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const attemptEnd = (a: { startedAt: Date; durationMs: number }) =>
  a.startedAt.getTime() + a.durationMs;

describe("the worker sends each pixel on its own", () => {
  it("a revoked token at one pixel (slow, 40105) does not hold up the other: delivered in the same cycle, before the failing answer; the failure is final with TikTok's reason", async () => {
    const SLOW_MS = 1_500;
    const link = await startSlowLink(tiktok.url, {
      slow: { [REVOKED]: SLOW_MS },
    });
    try {
      await addPixel({ code: A.code, token: REVOKED });
      await addPixel(B);
      const orders = [];
      for (let i = 0; i < 3; i++) {
        orders.push(await grantedOrder());
        await sendOrder(orders[i]);
      }
      const worker = await newWorker({ baseUrl: link.url });
      const started = Date.now();
      expect(await worker.runOnce()).toBe(6);
      const cycleMs = Date.now() - started;
      expect(cycleMs).toBeGreaterThanOrEqual(SLOW_MS);

      const good = await deliveriesAt(B.code);
      const bad = await deliveriesAt(A.code);
      expect(good.map((d) => d.status)).toEqual([
        "delivered",
        "delivered",
        "delivered",
      ]);
      expect(
        at(B.code)
          .map((e) => e.event_id)
          .sort(),
      ).toEqual(orders.map((o) => `${o.id}_Purchase`).sort());
      // Both pixels' requests left at once; the good one's answer came long before the slow
      // failing one's, and TikTok had its events before the failing request was answered.
      const goodAttempt = good[0].attempts[0];
      const badAttempt = bad[0].attempts[0];
      expect(badAttempt.durationMs).toBeGreaterThanOrEqual(SLOW_MS - 50);
      expect(goodAttempt.durationMs).toBeLessThan(SLOW_MS / 2);
      expect(goodAttempt.startedAt.getTime()).toBeLessThanOrEqual(
        attemptEnd(badAttempt),
      );
      expect(
        Math.abs(
          goodAttempt.startedAt.getTime() - badAttempt.startedAt.getTime(),
        ),
      ).toBeLessThan(SLOW_MS / 2);
      expect(attemptEnd(goodAttempt)).toBeLessThan(
        attemptEnd(badAttempt) - SLOW_MS / 2,
      );
      for (const e of at(B.code))
        expect(e.receivedAt).toBeLessThan(attemptEnd(badAttempt));
      // Settled as delivered while the failing pixel was still waiting for its answer.
      for (const d of good)
        expect(d.deliveredAt!.getTime()).toBeLessThan(attemptEnd(badAttempt));

      // 40105 is final (app/tiktok/outcome.ts: auth problems are permanent): failed on the
      // first try, nothing left queued, TikTok's answer in the log.
      for (const d of bad) {
        expect(d).toMatchObject({ status: "failed", attemptCount: 1 });
        expect(d.outbox).toBeNull();
        expect(d.lastError).toMatch(/access token was rejected/);
        expect(d.attempts).toHaveLength(1);
        expect(d.attempts[0]).toMatchObject({
          tiktokCode: 40105,
          outcome: "permanent",
          message: "Access token is invalid or has expired.",
        });
      }
      expect(await worker.runOnce()).toBe(0);
      expect(tiktok.requests).toHaveLength(2);
    } finally {
      await link.close();
    }
  });

  it("a rate-limited pixel (40100) is retried per the retry policy until it gives up, while the other pixel is delivered in the first cycle", async () => {
    // A second stand-in that rate limits everything; the hop sends pixel A's token there.
    const limited = await startTikTokStandin({
      accessTokens: { [A.token]: [A.code] },
    });
    limited.setBehaviour({ forced: { kind: "rateLimit" } });
    const link = await startSlowLink(tiktok.url, {
      slow: { [A.token]: 300 },
      routes: { [A.token]: limited.url },
    });
    try {
      await addPixel(A);
      await addPixel(B);
      const order = await grantedOrder();
      await sendOrder(order);
      const worker = await newWorker({
        baseUrl: link.url,
        retryPolicy: { baseMs: 5, capMs: 5, minMs: 1, maxAttempts: 3 },
      });
      expect(await worker.runOnce()).toBe(2);
      const [good] = await deliveriesAt(B.code);
      expect(good).toMatchObject({ status: "delivered", attemptCount: 1 });
      let [bad] = await deliveriesAt(A.code);
      // Retryable: still pending, its outbox row rescheduled a little later.
      expect(bad).toMatchObject({ status: "pending", attemptCount: 1 });
      expect(bad.outbox).toMatchObject({ attempts: 1 });
      expect(bad.outbox!.nextAttemptAt.getTime()).toBeGreaterThan(
        bad.attempts[0].startedAt.getTime(),
      );
      expect(bad.lastError).toMatch(/rate limiting/);

      for (let i = 0; i < 50 && bad.status === "pending"; i++) {
        await new Promise((r) => setTimeout(r, 10));
        await worker.runOnce();
        [bad] = await deliveriesAt(A.code);
      }
      expect(bad).toMatchObject({ status: "failed", attemptCount: 3 });
      expect(bad.outbox).toBeNull();
      expect(bad.lastError).toMatch(/rate limiting.*Gave up after 3 attempts/);
      expect(bad.attempts.map((a) => [a.tiktokCode, a.outcome])).toEqual([
        [40100, "retryable"],
        [40100, "retryable"],
        [40100, "retryable"],
      ]);
      expect(bad.attempts[0].message).toMatch(/Too many requests/);
      expect(limited.requests).toHaveLength(3);
      // B was sent once, never again with A's retries.
      expect(at(B.code)).toHaveLength(1);
      expect(tiktok.requests).toHaveLength(1);
    } finally {
      await link.close();
      await limited.close();
    }
  });
});

describe("removing a pixel or turning it off", () => {
  it("its queued deliveries fail with the reason and stay in the log; the other pixel is delivered", async () => {
    const { removePixel, setPixelEnabled } =
      await import("~/pixels/pixels.server");
    const a = await addPixel(A);
    await addPixel(B);
    const first = await grantedOrder();
    await sendOrder(first);
    expect(await removePixel(SHOP, a.id)).toBe(true);
    await drain();
    const [removed] = await deliveriesAt(A.code);
    expect(removed).toMatchObject({
      status: "failed",
      eventId: `${first.id}_Purchase`,
      lastError: "Not sent: this pixel was removed from Settings.",
    });
    expect(removed.outbox).toBeNull();
    expect(removed.attempts).toHaveLength(0); // no request was made
    expect(at(A.code)).toHaveLength(0);
    expect(at(B.code).map((e) => e.event_id)).toEqual([`${first.id}_Purchase`]);

    const c = await addPixel(C);
    const second = await grantedOrder();
    await sendOrder(second);
    await setPixelEnabled(SHOP, c.id, false);
    await drain();
    const [turnedOff] = await deliveriesAt(C.code);
    expect(turnedOff).toMatchObject({
      status: "failed",
      lastError: "Not sent: this pixel is turned off.",
    });
    expect(turnedOff.outbox).toBeNull();
    expect(at(C.code)).toHaveLength(0);
    expect(at(B.code).map((e) => e.event_id)).toEqual([
      `${first.id}_Purchase`,
      `${second.id}_Purchase`,
    ]);
    // The removed pixel's log row is still there.
    expect(await deliveriesAt(A.code)).toHaveLength(1);
    // Off, it takes no new events; on again, it does.
    const third = await grantedOrder();
    expect((await sendOrder(third)).pixels!.map((p) => p.pixelCode)).toEqual([
      B.code,
    ]);
    await setPixelEnabled(SHOP, c.id, true);
    const fourth = await grantedOrder();
    expect((await sendOrder(fourth)).pixels!.map((p) => p.pixelCode)).toEqual([
      B.code,
      C.code,
    ]);
  });
});

describe("uninstall and compliance cover every pixel", () => {
  async function twoShops() {
    await app.installShop(SHOP);
    await app.installShop(OTHER);
    await addPixel(A);
    await addPixel(B);
    await addPixel(O, {}, OTHER);
  }

  const webhook = (path: string, topic: string, body: unknown, shop = SHOP) =>
    app.handle(
      app.webhookRequest(path, { topic, shop, body: JSON.stringify(body) }),
    );

  it("app/uninstalled erases every pixel's token and nothing more is sent at any pixel", async () => {
    await twoShops();
    const queued = await grantedOrder();
    await sendOrder(queued);
    await sendOrder(simpleOrder({ email: "other@example.org" }), OTHER);
    const res = await webhook("/webhooks/app/uninstalled", "app/uninstalled", {
      id: 1,
      domain: SHOP,
    });
    expect(res.status).toBe(200);

    const pixels = await app.prisma.pixel.findMany({ where: { shop: SHOP } });
    expect(pixels).toHaveLength(2);
    for (const p of pixels)
      expect(p).toMatchObject({
        accessTokenCiphertext: null,
        accessTokenLast4: null,
      });
    const [otherPixel] = await app.prisma.pixel.findMany({
      where: { shop: OTHER },
    });
    expect(otherPixel.accessTokenCiphertext).not.toBeNull();

    // The queued Purchases at both pixels are settled as not sent; the log stays.
    const rows = await app.prisma.delivery.findMany({
      where: { shop: SHOP },
      include: { outbox: true },
    });
    expect(rows.map((d) => [d.pixelCode, d.status, d.outbox]).sort()).toEqual([
      [A.code, "skipped", null],
      [B.code, "skipped", null],
    ]);
    // A later order is ignored; the worker sends only the other shop's Purchase.
    expect(await sendOrder(await grantedOrder())).toMatchObject({
      status: "ignored",
    });
    await drain();
    expect(tiktok.accepted.map((e) => e.pixelCode)).toEqual([O.code]);
  });

  it("a reinstall takes events again: the pixel whose token is entered again sends, the other says it lacks one", async () => {
    await twoShops();
    await webhook("/webhooks/app/uninstalled", "app/uninstalled", {
      id: 1,
      domain: SHOP,
    });
    // What afterAuth does on the new offline session, then the merchant enters A's token.
    const { markInstalled, updatePixel, loadShopPixels } =
      await import("~/pixels/pixels.server");
    await markInstalled(SHOP);
    const [pixelA] = (await loadShopPixels(SHOP)).pixels;
    const { DEFAULT_SETTINGS } = await import("~/settings/settings-form");
    const { purchaseTrigger: _trigger, ...defaults } = DEFAULT_SETTINGS;
    expect(
      await updatePixel(SHOP, pixelA.id, {
        ...defaults,
        name: pixelA.name,
        pixelCode: A.code,
        accessToken: A.token,
      }),
    ).toMatchObject({ ok: true });

    expect(await sendOrder(await grantedOrder())).toMatchObject({
      status: "queued",
    });
    await drain();
    expect(tiktok.accepted.map((e) => e.pixelCode)).toEqual([A.code]);
    const atB = await deliveriesAt(B.code);
    expect(atB.map((d) => [d.status, d.lastError])).toEqual([
      ["failed", "Not sent: no access token is saved for this pixel."],
    ]);
  });

  it("shop/redact deletes every pixel and every pixel's deliveries, and nothing of another shop", async () => {
    await twoShops();
    await sendOrder(await grantedOrder());
    await sendOrder(simpleOrder(), OTHER);
    await drain();
    expect(await app.prisma.delivery.count({ where: { shop: SHOP } })).toBe(2);
    const res = await webhook("/webhooks/compliance", "shop/redact", {
      shop_id: 1,
      shop_domain: SHOP,
    });
    expect(res.status).toBe(200);
    expect(await app.prisma.pixel.count({ where: { shop: SHOP } })).toBe(0);
    expect(await app.prisma.delivery.count({ where: { shop: SHOP } })).toBe(0);
    expect(
      await app.prisma.deliveryAttempt.count({
        where: { delivery: { shop: SHOP } },
      }),
    ).toBe(0);
    expect(await app.prisma.pixel.count({ where: { shop: OTHER } })).toBe(1);
    expect(
      await app.prisma.delivery.findMany({
        where: { shop: OTHER },
        select: { pixelCode: true, status: true },
      }),
    ).toEqual([{ pixelCode: O.code, status: "delivered" }]);
  });

  it("customers/redact deletes the customer's deliveries at every pixel, only theirs", async () => {
    await twoShops();
    const customer = {
      id: "7390000000001",
      admin_graphql_api_id: "gid://shopify/Customer/7390000000001",
      email: "cust@example.org",
    };
    const theirs = simpleOrder({ customer });
    const someoneElse = simpleOrder();
    await sendOrder(theirs);
    await sendOrder(someoneElse);
    await drain();
    const gid = `gid://shopify/Customer/${customer.id}`;
    expect(
      (
        await app.prisma.delivery.findMany({
          where: { shop: SHOP, customerId: gid },
        })
      )
        .map((d) => d.pixelCode)
        .sort(),
    ).toEqual([A.code, B.code]);
    const res = await webhook("/webhooks/compliance", "customers/redact", {
      shop_domain: SHOP,
      customer: { id: Number(customer.id) },
      orders_to_redact: [Number(theirs.id)],
    });
    expect(res.status).toBe(200);
    const left = await app.prisma.delivery.findMany({ where: { shop: SHOP } });
    expect(left.map((d) => [d.pixelCode, d.eventId]).sort()).toEqual([
      [A.code, `${someoneElse.id}_Purchase`],
      [B.code, `${someoneElse.id}_Purchase`],
    ]);
  });
});
