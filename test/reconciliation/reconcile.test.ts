// Reconciliation end to end: the real webhook route, the real outbox and worker, the Admin
// GraphQL orders stand-in and the TikTok stand-in, both real HTTP servers on loopback.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import {
  startOrdersStandin,
  type OrdersStandin,
  type StandinOrder,
} from "../../dev/shopify-orders-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import type { ReconcileOptions } from "~/reconciliation/run.server";
import { configureShop } from "../support/shops";
import {
  BILLING_ADDRESS,
  orderBody,
  simpleOrder,
  type FixtureOrder,
} from "../fixtures/orders";
import { BASE_ORDER_ID, graphqlFromWebhook } from "../fixtures/graphql-orders";

const SHOP = "shop-reconcile.myshopify.com";
const PIXEL = "CRECONCILEPIXEL00001";
const TOKEN = "reconcile-access-token";
const ADMIN_TOKEN = `shpat_test_${SHOP}`;
const DAY = 86_400_000;

let app: TestApp;
let tiktok: TikTokStandin;
let shopify: OrdersStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  // Fast refill for the bulk tests; the throttling test below uses a slow one.
  shopify = await startOrdersStandin({
    tokens: { [ADMIN_TOKEN]: SHOP },
    maximumAvailable: 2000,
    restoreRate: 100_000,
  });
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
  await app.prisma.webhookReceipt.deleteMany({});
  await app.prisma.attributionSession.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  await app.prisma.session.deleteMany({});
  await app.installShop(SHOP);
  tiktok.reset();
  await configureShop(SHOP, { pixelCode: PIXEL, accessToken: TOKEN });
  // Set up a month ago: the orders below were placed with the app in place.
  await app.prisma.shopSettings.update({
    where: { shop: SHOP },
    data: { createdAt: new Date(Date.now() - 30 * DAY) },
  });
  await app.prisma.pixel.updateMany({
    where: { shop: SHOP },
    data: { createdAt: new Date(Date.now() - 30 * DAY) },
  });
});

const drain = () => app.drainDeliveries();

async function reconcile(options: Partial<ReconcileOptions> = {}) {
  const { reconcileShop } = await import("~/reconciliation/run.server");
  return reconcileShop(SHOP, { trigger: "manual", ...options });
}

/** Order i of the shop, created `ageMs` ago, with its webhook body and its GraphQL node. */
function order(
  i: number,
  ageMs: number,
  overrides: Record<string, unknown> = {},
) {
  const id = (BASE_ORDER_ID + BigInt(i)).toString();
  const fixture: FixtureOrder = simpleOrder({
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${10_000 + i}`,
    email: `buyer${i}@example.org`,
    created_at: new Date(Date.now() - ageMs).toISOString(),
    total_price: `${10 + (i % 7)}.50`,
    ...overrides,
  });
  fixture.id = id;
  return { fixture, node: graphqlFromWebhook(fixture.json, SHOP) };
}

async function sendWebhook(fixture: FixtureOrder) {
  const res = await app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(fixture),
    }),
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string };
}

const sentIds = () => tiktok.accepted.map((e) => e.event_id);

describe("reconciliation of 1,000 orders, 37 without a webhook", () => {
  it("sends exactly the 37 missing, once each, with the webhook-path event ids; reports filtered and consent-skipped", async () => {
    const orders = Array.from({ length: 1000 }, (_, i) => {
      const overrides: Record<string, unknown> = {};
      const missing = i % 27 === 5;
      // The backfill reads names and address through the GraphQL query too.
      if (missing) overrides.billing_address = BILLING_ADDRESS;
      if (!missing && i % 50 === 7) overrides.test = true;
      if (!missing && i % 50 === 13)
        overrides.note_attributes = [
          { name: "_tt_sid", value: `sess_denied_${i}` },
        ];
      return { i, missing, ...order(i, 6.5 * DAY - i * 500_000, overrides) };
    });
    const missing = orders.filter((o) => o.missing);
    expect(missing).toHaveLength(37);
    for (const o of orders.filter((o) => o.fixture.json.note_attributes))
      if ((o.fixture.json.note_attributes as unknown[]).length > 0)
        await app.prisma.attributionSession.create({
          data: {
            shop: SHOP,
            sessionKey: `sess_denied_${o.i}`,
            consent: "denied",
          },
        });
    shopify.setOrders(orders.map((o) => o.node));

    // Webhooks for the other 963, a few at a time (the ingest writer commits them in groups).
    const delivered = orders.filter((o) => !o.missing);
    for (let k = 0; k < delivered.length; k += 50)
      await Promise.all(
        delivered.slice(k, k + 50).map((o) => sendWebhook(o.fixture)),
      );
    await drain();
    const filtered = orders.filter((o) => o.fixture.json.test === true);
    const denied = orders.filter(
      (o) => (o.fixture.json.note_attributes as unknown[]).length > 0,
    );
    expect(filtered.length + denied.length).toBeGreaterThan(30);
    const skippedCount = filtered.length + denied.length;
    expect(tiktok.accepted).toHaveLength(963 - skippedCount);
    tiktok.reset();

    const first = await reconcile();
    expect(first).toMatchObject({
      status: "completed",
      ordersSeen: 1000,
      backfilled: 37,
    });
    await drain();
    const expected = missing.map((o) => `${o.fixture.id}_Purchase`).sort();
    expect(sentIds().sort()).toEqual(expected);
    expect(new Set(sentIds()).size).toBe(37);
    // The same event the webhook would have built: event id and properties.
    const sample = tiktok.accepted.find(
      (e) => e.event_id === `${missing[3].fixture.id}_Purchase`,
    )!;
    expect(sample.properties).toMatchObject({
      order_id: missing[3].fixture.id,
      currency: "GBP",
      value: Number(missing[3].fixture.json.total_price),
    });
    // printf '%s' josé | sha256sum; printf '%s' 94105-1234 | sha256sum
    expect(sample.user).toMatchObject({
      first_name:
        "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866",
      city: "sanfrancisco",
      state: "ca",
      country: "us",
      zip_code:
        "8419808b12022b49f3b3724a6a2a8f3f8798fdf48376fbe8722a6de43fa3c5a9",
    });

    const rows = await app.prisma.reconciliationOrder.findMany({
      where: { runId: first.runId! },
    });
    expect(rows).toHaveLength(1000);
    const byStatus = (s: string) => rows.filter((r) => r.status === s);
    expect(byStatus("missing")).toHaveLength(37);
    expect(byStatus("missing").every((r) => r.backfill === "queued")).toBe(
      true,
    );
    expect(byStatus("sent")).toHaveLength(963 - skippedCount);
    const skipped = byStatus("skipped");
    expect(skipped).toHaveLength(skippedCount);
    expect(
      skipped.filter((r) => r.reason === "Skipped: test order."),
    ).toHaveLength(filtered.length);
    expect(
      skipped.filter((r) => r.reason?.includes("declined marketing consent")),
    ).toHaveLength(denied.length);
    // Ids stored exact (18 digits, beyond 2^53).
    expect(rows.map((r) => r.orderId)).toContain(
      `gid://shopify/Order/${BASE_ORDER_ID + 999n}`,
    );

    // A late webhook for a backfilled order: no second Purchase.
    tiktok.reset();
    expect(await sendWebhook(missing[0].fixture)).toMatchObject({
      status: "duplicate",
    });
    await drain();
    expect(tiktok.accepted).toHaveLength(0);
    expect(
      await app.prisma.delivery.count({
        where: { shop: SHOP, eventId: `${missing[0].fixture.id}_Purchase` },
      }),
    ).toBe(1);

    // A second run finds nothing new; the first run's rows gave way to the latest.
    const second = await reconcile();
    expect(second).toMatchObject({ status: "completed", backfilled: 0 });
    await drain();
    expect(tiktok.accepted).toHaveLength(0);
    const latest = await app.prisma.reconciliationOrder.groupBy({
      by: ["status"],
      where: { runId: second.runId! },
      _count: true,
    });
    expect(Object.fromEntries(latest.map((g) => [g.status, g._count]))).toEqual(
      { sent: 1000 - skippedCount, skipped: skippedCount },
    );
    expect(
      await app.prisma.reconciliationOrder.count({
        where: { runId: first.runId! },
      }),
    ).toBe(0);
    // A thousand webhooks through the real route on a shared 2-core machine: room, not a limit.
  }, 300_000);
});

describe("reconciliation edge cases", () => {
  it("a missing filtered order is recorded as skipped, never sent; a too-old one is reported only", async () => {
    const filtered = order(1, DAY, { test: true });
    const old = order(2, 9 * DAY);
    const fresh = order(3, DAY);
    shopify.setOrders([filtered.node, old.node, fresh.node]);
    const run = await reconcile({ windowDays: 10 });
    expect(run).toMatchObject({ status: "completed", backfilled: 1 });
    await drain();
    expect(sentIds()).toEqual([`${fresh.fixture.id}_Purchase`]);
    const rows = await app.prisma.reconciliationOrder.findMany({
      where: { runId: run.runId! },
      orderBy: { orderCreatedAt: "asc" },
    });
    expect(rows.map((r) => [r.status, r.backfill, r.reason])).toEqual([
      ["too_old", null, expect.stringContaining("too old to send")],
      ["missing", "skipped", "Skipped: test order."],
      ["missing", "queued", "Sent by reconciliation."],
    ]);
    const skippedDelivery = await app.prisma.delivery.findFirst({
      where: { eventId: `${filtered.fixture.id}_Purchase` },
    });
    expect(skippedDelivery).toMatchObject({ status: "skipped" });
    // No delivery for the old order at all.
    expect(
      await app.prisma.delivery.count({
        where: { eventId: `${old.fixture.id}_Purchase` },
      }),
    ).toBe(0);
  });

  it("orders from before the app was set up are reported, sent only by the install-time offer", async () => {
    await app.prisma.shopSettings.update({
      where: { shop: SHOP },
      data: { createdAt: new Date(Date.now() - DAY) },
    });
    await app.prisma.pixel.updateMany({
      where: { shop: SHOP },
      data: { createdAt: new Date(Date.now() - DAY) },
    });
    const before = order(21, 3 * DAY);
    const after = order(22, DAY / 2);
    shopify.setOrders([before.node, after.node]);
    const scheduled = await reconcile({ trigger: "schedule" });
    expect(scheduled).toMatchObject({ status: "completed", backfilled: 1 });
    await drain();
    expect(sentIds()).toEqual([`${after.fixture.id}_Purchase`]);
    const { BEFORE_SETUP } = await import("~/reconciliation/run.server");
    expect(
      await app.prisma.reconciliationOrder.findFirst({
        where: {
          runId: scheduled.runId!,
          orderId: `gid://shopify/Order/${before.fixture.id}`,
        },
      }),
    ).toMatchObject({
      status: "missing",
      backfill: null,
      reason: BEFORE_SETUP,
    });

    tiktok.reset();
    const install = await reconcile({
      trigger: "install",
      windowDays: 7,
      backfill: true,
    });
    expect(install).toMatchObject({ status: "completed", backfilled: 1 });
    await drain();
    expect(sentIds()).toEqual([`${before.fixture.id}_Purchase`]);
  });

  it("with backfill off, missing orders are reported and nothing is sent", async () => {
    const a = order(11, DAY);
    shopify.setOrders([a.node]);
    const run = await reconcile({ backfill: false });
    expect(run).toMatchObject({ status: "completed", backfilled: 0 });
    await drain();
    expect(tiktok.accepted).toHaveLength(0);
    expect(
      await app.prisma.reconciliationOrder.findFirst({
        where: { runId: run.runId! },
      }),
    ).toMatchObject({ status: "missing", backfill: null });
  });

  it("a 5xx mid-run interrupts it; the next run resumes from the cursor and sends nothing twice", async () => {
    const orders = Array.from({ length: 40 }, (_, i) =>
      order(100 + i, DAY + i * 1000),
    );
    shopify.setOrders(orders.map((o) => o.node));
    // Let two pages through, then fail the third.
    const requestsBefore = shopify.requests.length;
    const firstPage = await reconcile({ pageSize: 5, windowDays: 2 }).catch(
      () => null,
    );
    expect(firstPage).toMatchObject({
      status: "completed",
      backfilled: 40,
      reason: null,
    });
    await drain();
    expect(tiktok.accepted).toHaveLength(40);

    // Same orders again, fresh state, now with a failure after page 2.
    await app.prisma.reconciliationRun.deleteMany({});
    await app.prisma.delivery.deleteMany({});
    tiktok.reset();
    const cursors = shopify.requests.slice(requestsBefore).map((r) => r.after);
    const afterPage2 = cursors[2]!;
    shopify.failAfterCursor(afterPage2, { status: 503 });
    const interrupted = await reconcile({ pageSize: 5, windowDays: 2 });
    expect(interrupted).toMatchObject({
      status: "interrupted",
      ordersSeen: 10,
      backfilled: 10,
    });
    expect(interrupted.reason).toMatch(/HTTP 503.*resumes/);
    const stored = await app.prisma.reconciliationRun.findUnique({
      where: { id: interrupted.runId! },
    });
    expect(stored?.cursor).toBe(afterPage2);
    await drain();
    expect(tiktok.accepted).toHaveLength(10);

    const resumedFrom = shopify.requests.length;
    const resumed = await reconcile({ pageSize: 5, windowDays: 2 });
    expect(resumed).toMatchObject({
      runId: interrupted.runId,
      status: "completed",
      ordersSeen: 40,
      backfilled: 40,
    });
    expect(shopify.requests[resumedFrom].after).toBe(afterPage2);
    await drain();
    expect(tiktok.accepted).toHaveLength(40);
    expect(new Set(sentIds()).size).toBe(40);
  });

  it("a 401 stops the shop's reconciliation with its reason, without retrying", async () => {
    shopify.setOrders([order(200, DAY).node]);
    await app.prisma.session.update({
      where: { id: `offline_${SHOP}` },
      data: { accessToken: "shpat_revoked" },
    });
    const before = shopify.requests.length;
    const run = await reconcile();
    expect(run).toMatchObject({ status: "stopped" });
    expect(run.reason).toMatch(/401/);
    expect(shopify.requests.length - before).toBe(1);
    const stored = await app.prisma.reconciliationRun.findUnique({
      where: { id: run.runId! },
    });
    expect(stored).toMatchObject({ status: "stopped", stopReason: run.reason });
    expect(tiktok.accepted).toHaveLength(0);
  });

  it("does nothing for a shop without a pixel, or uninstalled", async () => {
    await app.prisma.shopSettings.update({
      where: { shop: SHOP },
      data: { uninstalledAt: new Date() },
    });
    expect(await reconcile()).toMatchObject({ status: "not_run" });
    expect(await app.prisma.reconciliationRun.count()).toBe(0);
  });

  it("the Admin API version is the app's", async () => {
    const { ADMIN_API_VERSION } = await import("~/reconciliation/run.server");
    const { API_VERSION } = await import("~/shopify.server");
    expect(ADMIN_API_VERSION).toBe(API_VERSION);
  });
});

describe("throttled answers", () => {
  let slow: OrdersStandin;
  afterAll(async () => {
    await slow?.close();
  });

  it("slows down and completes", async () => {
    // A bucket of one page, refilled in ~0.1 s per page: several THROTTLED answers along the way.
    slow = await startOrdersStandin({
      tokens: { [ADMIN_TOKEN]: SHOP },
      maximumAvailable: 1000,
      restoreRate: 8000,
    });
    const orders: StandinOrder[] = Array.from(
      { length: 60 },
      (_, i) => order(300 + i, DAY + i).node,
    );
    slow.setOrders(orders);
    slow.drainBucket();
    const run = await reconcile({
      trigger: "schedule",
      adminBaseUrl: slow.url,
    });
    expect(run).toMatchObject({
      status: "completed",
      ordersSeen: 60,
      backfilled: 60,
    });
    expect(slow.requests.some((r) => r.throttled)).toBe(true);
    expect(
      slow.requests.filter((r) => !r.throttled && r.status === 200),
    ).toHaveLength(Math.ceil(60 / 7));
    await drain();
    expect(tiktok.accepted).toHaveLength(60);
  });
});

describe("schedule", () => {
  const HOUR = 3_600_000;
  async function runAt(status: string, startedAt: Date) {
    return app.prisma.reconciliationRun.create({
      data: {
        shop: SHOP,
        trigger: "schedule",
        status,
        windowStart: new Date(startedAt.getTime() - 7 * DAY),
        windowEnd: startedAt,
        startedAt,
      },
    });
  }

  it("picks shops never run, interrupted, or last run an interval ago; leaves stopped shops alone", async () => {
    const { dueShops } = await import("~/reconciliation/schedule.server");
    const now = new Date();
    expect(await dueShops(now, HOUR)).toEqual([SHOP]);
    await runAt("completed", new Date(now.getTime() - 10 * 60_000));
    expect(await dueShops(now, HOUR)).toEqual([]);
    expect(await dueShops(new Date(now.getTime() + HOUR), HOUR)).toEqual([
      SHOP,
    ]);
    await runAt("interrupted", new Date(now.getTime() - 60_000));
    expect(await dueShops(now, HOUR)).toEqual([SHOP]);
    await runAt("stopped", now);
    expect(await dueShops(new Date(now.getTime() + 10 * HOUR), HOUR)).toEqual(
      [],
    );
    // Tried again once a day (a reinstalled shop comes back by itself).
    expect(await dueShops(new Date(now.getTime() + 25 * HOUR), HOUR)).toEqual([
      SHOP,
    ]);
    // Not configured or uninstalled shops are never due.
    await app.prisma.reconciliationRun.deleteMany({});
    await app.prisma.shopSettings.update({
      where: { shop: SHOP },
      data: { uninstalledAt: now },
    });
    expect(await dueShops(now, HOUR)).toEqual([]);
  });

  it("runs the due shops; a 401 stops the shop and the next tick does not call Shopify again", async () => {
    const { runDueReconciliations } =
      await import("~/reconciliation/schedule.server");
    const a = order(400, DAY);
    shopify.setOrders([a.node]);
    const results = await runDueReconciliations(HOUR);
    expect(results[SHOP]).toMatchObject({ status: "completed", backfilled: 1 });

    await app.prisma.session.update({
      where: { id: `offline_${SHOP}` },
      data: { accessToken: "shpat_revoked" },
    });
    const later = new Date(Date.now() + 2 * HOUR);
    expect((await runDueReconciliations(HOUR, later))[SHOP]).toMatchObject({
      status: "stopped",
    });
    const calls = shopify.requests.length;
    for (let i = 3; i < 6; i += 1)
      expect(
        await runDueReconciliations(HOUR, new Date(Date.now() + i * HOUR)),
      ).toEqual({});
    expect(shopify.requests.length).toBe(calls);
  });
});

describe("uninstall, compliance and retention cover reconciliation data", () => {
  async function completedRun() {
    const a = order(500, DAY);
    shopify.setOrders([a.node]);
    const run = await reconcile();
    expect(run.status).toBe("completed");
    return { run, fixture: a.fixture };
  }

  it("uninstall stops a run waiting to resume", async () => {
    const { handleUninstall } = await import("~/compliance/compliance.server");
    const run = await app.prisma.reconciliationRun.create({
      data: {
        shop: SHOP,
        trigger: "schedule",
        status: "interrupted",
        windowStart: new Date(Date.now() - DAY),
        windowEnd: new Date(),
      },
    });
    await handleUninstall(SHOP);
    expect(
      await app.prisma.reconciliationRun.findUnique({ where: { id: run.id } }),
    ).toMatchObject({
      status: "stopped",
      stopReason: "The app was uninstalled.",
    });
    expect(await reconcile()).toMatchObject({ status: "not_run" });
  });

  it("customers/redact removes the orders' results; shop/redact removes the runs", async () => {
    const { redactCustomer, purgeShop } =
      await import("~/compliance/compliance.server");
    const { run, fixture } = await completedRun();
    await redactCustomer(SHOP, {
      customerId: null,
      orderIds: [`gid://shopify/Order/${fixture.id}`],
    });
    expect(
      await app.prisma.reconciliationOrder.count({
        where: { runId: run.runId! },
      }),
    ).toBe(0);
    await purgeShop(SHOP);
    expect(
      await app.prisma.reconciliationRun.count({ where: { shop: SHOP } }),
    ).toBe(0);
  });

  it("retention deletes runs older than the delivery log", async () => {
    const { applyRetention } = await import("~/retention/retention.server");
    const { run } = await completedRun();
    const policy = {
      attributionDays: 60,
      deliveryLogDays: 90,
      webhookReceiptDays: 7,
    };
    await applyRetention(app.prisma, policy);
    expect(await app.prisma.reconciliationRun.count()).toBe(1);
    await applyRetention(app.prisma, policy, new Date(Date.now() + 91 * DAY));
    expect(
      await app.prisma.reconciliationRun.findUnique({
        where: { id: run.runId! },
      }),
    ).toBeNull();
    expect(await app.prisma.reconciliationOrder.count()).toBe(0);
  });
});
