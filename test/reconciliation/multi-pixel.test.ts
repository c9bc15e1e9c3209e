// Reconciliation with two pixels (issue 16): each order is compared at every pixel that takes
// Purchases, and a backfill sends only to the pixels that lack it, under the webhook path's event
// id. The real webhook route, outbox and worker; the Admin GraphQL orders stand-in and the TikTok
// stand-in on loopback.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import {
  startOrdersStandin,
  type OrdersStandin,
} from "../../dev/shopify-orders-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import { orderBody, simpleOrder } from "../fixtures/orders";
import { BASE_ORDER_ID, graphqlFromWebhook } from "../fixtures/graphql-orders";

const SHOP = "multi-pixel-reconcile.myshopify.com";
const A = { code: "CRECONMULTIA0000001", token: "tokA-reconcile-token" };
const B = { code: "CRECONMULTIB0000002", token: "tokB-reconcile-token" };
const ADMIN_TOKEN = `shpat_test_${SHOP}`;
const DAY = 86_400_000;

let app: TestApp;
let tiktok: TikTokStandin;
let shopify: OrdersStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({
    accessTokens: { [A.token]: [A.code], [B.token]: [B.code] },
  });
  shopify = await startOrdersStandin({ tokens: { [ADMIN_TOKEN]: SHOP } });
  app = await createTestApp({
    TIKTOK_API_BASE_URL: tiktok.url,
    SHOPIFY_ADMIN_API_URL: shopify.url,
  });
});
afterAll(async () => {
  await app?.close();
  await tiktok?.close();
  await shopify?.close();
});

beforeEach(async () => {
  await app.prisma.reconciliationRun.deleteMany({});
  await app.prisma.delivery.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  await app.installShop(SHOP);
  tiktok.reset();
});

async function addPixel(pixel: { code: string; token: string }) {
  const { createPixel } = await import("~/pixels/pixels.server");
  const { DEFAULT_SETTINGS } = await import("~/settings/settings-form");
  const { purchaseTrigger: _trigger, ...defaults } = DEFAULT_SETTINGS;
  const result = await createPixel(SHOP, {
    ...defaults,
    name: pixel.code,
    pixelCode: pixel.code,
    accessToken: pixel.token,
  });
  if (!result.ok) throw new Error(result.message);
  return result.pixel;
}

const drain = () => app.drainDeliveries();

function order(i: number, ageMs: number) {
  const id = (BASE_ORDER_ID + BigInt(i)).toString();
  const fixture = simpleOrder({
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${20_000 + i}`,
    created_at: new Date(Date.now() - ageMs).toISOString(),
  });
  fixture.id = id;
  return { fixture, node: graphqlFromWebhook(fixture.json, SHOP) };
}

async function sendWebhook(fixture: ReturnType<typeof order>["fixture"]) {
  const res = await app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(fixture),
    }),
  );
  expect(res.status).toBe(200);
  return res.json();
}

/** The shop and its pixels as set up a month ago. */
async function setUpMonthAgo() {
  const monthAgo = new Date(Date.now() - 30 * DAY);
  await app.prisma.shopSettings.update({
    where: { shop: SHOP },
    data: { createdAt: monthAgo },
  });
  await app.prisma.pixel.updateMany({
    where: { shop: SHOP },
    data: { createdAt: monthAgo },
  });
}

/** The order's Purchase recorded at one pixel only, through the outbox as a webhook would. */
async function recordAt(pixelCode: string, o: ReturnType<typeof order>) {
  const { purchaseEventId } = await import("~/orders/purchase");
  const { ingestWriter } = await import("~/delivery/runtime.server");
  const { buildEvent } = await import("~/tiktok/event-builder");
  await ingestWriter().submit({
    deliveries: [
      {
        shop: SHOP,
        source: "order",
        pixelCode,
        orderId: `gid://shopify/Order/${o.fixture.id}`,
        event: buildEvent({
          eventName: "Purchase",
          eventId: purchaseEventId(SHOP, String(o.fixture.id)),
          eventTime: new Date(),
          user: {},
          properties: { currency: "USD", value: 1 },
        }),
      },
    ],
  });
}

describe("reconciliation with two pixels", () => {
  it("an order recorded at pixel A only is missing and backfilled only at B, under the same event id; an order at both is sent", async () => {
    await addPixel(A);
    await addPixel(B);
    // Both pixels were set up a month ago: every order below is owed to both.
    await setUpMonthAgo();

    const both = order(1, 2 * DAY);
    const onlyA = order(2, DAY);
    const neither = order(3, DAY / 2);
    shopify.setOrders([both.node, onlyA.node, neither.node]);

    await sendWebhook(both.fixture);
    // onlyA reached A alone (B's delivery lost): written through the outbox as the webhook would.
    await recordAt(A.code, onlyA);
    await drain();
    const eventId = (o: typeof both) => `${o.fixture.id}_Purchase`;
    expect(
      tiktok.accepted.map((e) => [e.pixelCode, e.event_id]).sort(),
    ).toEqual(
      [
        [A.code, eventId(both)],
        [B.code, eventId(both)],
        [A.code, eventId(onlyA)],
      ].sort(),
    );
    tiktok.reset();

    const { reconcileShop } = await import("~/reconciliation/run.server");
    const run = await reconcileShop(SHOP, { trigger: "manual" });
    // Orders backfilled: onlyA (at B) and neither (at both).
    expect(run).toMatchObject({
      status: "completed",
      ordersSeen: 3,
      backfilled: 2,
    });
    const rows = await app.prisma.reconciliationOrder.findMany({
      where: { runId: run.runId! },
      orderBy: { orderCreatedAt: "asc" },
    });
    expect(rows.map((r) => [r.orderName, r.status, r.backfill])).toEqual([
      [both.fixture.json.name, "sent", null],
      [onlyA.fixture.json.name, "missing", "queued"],
      [neither.fixture.json.name, "missing", "queued"],
    ]);

    await drain();
    expect(
      tiktok.accepted.map((e) => [e.pixelCode, e.event_id]).sort(),
    ).toEqual(
      [
        [B.code, eventId(onlyA)],
        [A.code, eventId(neither)],
        [B.code, eventId(neither)],
      ].sort(),
    );
    // One delivery per pixel and order, nothing twice.
    const deliveries = await app.prisma.delivery.findMany({
      where: { shop: SHOP },
      select: { pixelCode: true, eventId: true, status: true },
    });
    expect(deliveries).toHaveLength(6);
    expect(deliveries.every((d) => d.status === "delivered")).toBe(true);

    // A second run: every order is sent at both pixels, nothing more goes out.
    tiktok.reset();
    const again = await reconcileShop(SHOP, { trigger: "manual" });
    expect(again).toMatchObject({ status: "completed", backfilled: 0 });
    const latest = await app.prisma.reconciliationOrder.findMany({
      where: { runId: again.runId! },
    });
    expect(latest.map((r) => r.status)).toEqual(["sent", "sent", "sent"]);
    await drain();
    expect(tiktok.accepted).toHaveLength(0);
  });
  it("a pixel added after an order was placed is not owed it: no gap there, no backfill; the merchant's install-time offer still sends it", async () => {
    await addPixel(A);
    const b = await addPixel(B);
    // The shop and A a month ago; B added yesterday.
    await setUpMonthAgo();
    await app.prisma.pixel.update({
      where: { id: b.id },
      data: { createdAt: new Date(Date.now() - DAY) },
    });
    const older = order(11, 3 * DAY);
    const newer = order(12, DAY / 2);
    shopify.setOrders([older.node, newer.node]);
    // Both orders reached A; B is owed only the newer.
    for (const o of [older, newer]) await recordAt(A.code, o);
    await drain();
    tiktok.reset();

    const { reconcileShop } = await import("~/reconciliation/run.server");
    const run = await reconcileShop(SHOP, { trigger: "schedule" });
    expect(run).toMatchObject({ status: "completed", backfilled: 1 });
    const rows = await app.prisma.reconciliationOrder.findMany({
      where: { runId: run.runId! },
      orderBy: { orderCreatedAt: "asc" },
    });
    expect(rows.map((r) => [r.status, r.backfill])).toEqual([
      ["sent", null],
      ["missing", "queued"],
    ]);
    await drain();
    expect(tiktok.accepted.map((e) => [e.pixelCode, e.event_id])).toEqual([
      [B.code, `${newer.fixture.id}_Purchase`],
    ]);

    // The merchant's offer on the home page (trigger "install") sends what they ask for.
    tiktok.reset();
    const offer = await reconcileShop(SHOP, {
      trigger: "install",
      windowDays: 7,
      backfill: true,
    });
    expect(offer).toMatchObject({ status: "completed", backfilled: 1 });
    await drain();
    expect(tiktok.accepted.map((e) => [e.pixelCode, e.event_id])).toEqual([
      [B.code, `${older.fixture.id}_Purchase`],
    ]);
  });
  it("a pixel turned off and on again is not owed the orders placed while it was off", async () => {
    const { setPixelEnabled } = await import("~/pixels/pixels.server");
    await addPixel(A);
    const b = await addPixel(B);
    await setUpMonthAgo();
    const whileOff = order(31, DAY);
    shopify.setOrders([whileOff.node]);
    await setPixelEnabled(SHOP, b.id, false);
    expect(await sendWebhook(whileOff.fixture)).toMatchObject({
      pixels: [{ pixelCode: A.code, status: "queued" }],
    });
    await setPixelEnabled(SHOP, b.id, true);
    await drain();
    tiktok.reset();

    const { reconcileShop } = await import("~/reconciliation/run.server");
    const run = await reconcileShop(SHOP, { trigger: "schedule" });
    expect(run).toMatchObject({ status: "completed", backfilled: 0 });
    const rows = await app.prisma.reconciliationOrder.findMany({
      where: { runId: run.runId! },
    });
    expect(rows.map((r) => r.status)).toEqual(["sent"]);
    await drain();
    expect(tiktok.accepted).toHaveLength(0);
  });
});
