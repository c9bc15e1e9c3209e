// The Reconciliation page through the real Remix handler: loader JSON, the rendered document,
// the actions (run, send now, resend) and the CSV export, with real stand-ins behind them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import {
  startOrdersStandin,
  type OrdersStandin,
} from "../../dev/shopify-orders-standin.server";
import { sessionToken } from "../../dev/shopify-signing";
import {
  APP_URL,
  TEST_CREDS,
  createTestApp,
  type TestApp,
} from "../support/test-app";
import { configureShop } from "../support/shops";
import { orderBody, simpleOrder } from "../fixtures/orders";
import { BASE_ORDER_ID, graphqlFromWebhook } from "../fixtures/graphql-orders";

const SHOP = "recon-page.myshopify.com";
const OTHER = "recon-other.myshopify.com";
const PIXEL = "CRECONPAGEPIXEL00001";
const TOKEN = "recon-page-token";
const PAGE = "routes%2Fapp.reconciliation._index";
const HOME = "routes%2Fapp._index";
const DAY = 86_400_000;

let app: TestApp;
let tiktok: TikTokStandin;
let shopify: OrdersStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  shopify = await startOrdersStandin({
    tokens: { [`shpat_test_${SHOP}`]: SHOP, [`shpat_test_${OTHER}`]: OTHER },
    restoreRate: 100_000,
  });
  app = await createTestApp({
    TIKTOK_API_BASE_URL: tiktok.url,
    SHOPIFY_ADMIN_API_URL: shopify.url,
    RECONCILIATION_BACKFILL: "off",
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
  await app.prisma.shopSettings.deleteMany({});
  for (const shop of [SHOP, OTHER]) {
    await app.installShop(shop);
    await configureShop(shop, { pixelCode: PIXEL, accessToken: TOKEN });
  }
  tiktok.reset();
  shopify.setOrders([]);
});

function order(
  i: number,
  ageMs: number,
  overrides: Record<string, unknown> = {},
) {
  const id = (BASE_ORDER_ID + 5000n + BigInt(i)).toString();
  const fixture = simpleOrder({
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: `#${3000 + i}`,
    created_at: new Date(Date.now() - ageMs).toISOString(),
    total_price: "20.00",
    ...overrides,
  });
  fixture.id = id;
  return { fixture, node: graphqlFromWebhook(fixture.json, SHOP) };
}

async function webhook(fixture: ReturnType<typeof order>["fixture"]) {
  const res = await app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(fixture),
    }),
  );
  expect(res.status).toBe(200);
}

async function drain() {
  const { DeliveryWorker } = await import("~/delivery/worker.server");
  const { tiktokClient } = await import("~/delivery/runtime.server");
  const worker = new DeliveryWorker({
    prisma: app.prisma,
    client: tiktokClient(),
  });
  while ((await worker.runOnce()) > 0) {
    /* until settled */
  }
}

interface PageData {
  latest: { status: string; reason: string | null } | null;
  completed: { ordersSeen: number; backfilled: number } | null;
  days: {
    day: string;
    orders: number;
    eligible: number;
    sent: number;
    skipped: number;
    missing: number;
    coverage: number | null;
    revenueShopify: string;
    revenueSent: string;
  }[];
  totals: { sent: number; eligible: number; missing: number } | null;
  rows: {
    orderId: string;
    orderName: string;
    status: string;
    reason: string | null;
    deliveryId: string | null;
  }[];
  matching: number;
  settings: { windowNeedsAllOrders: boolean; backfill: boolean };
}

async function pageData(shop = SHOP, query = ""): Promise<PageData> {
  const res = await app.handle(
    app.adminRequest(
      shop,
      `/app/reconciliation?${query}${query ? "&" : ""}_data=${PAGE}`,
    ),
  );
  expect(res.status).toBe(200);
  return (await res.json()) as PageData;
}

function post(shop: string, body: Record<string, string>) {
  return app.handle(
    app.adminRequest(shop, `/app/reconciliation?_data=${PAGE}`, {
      method: "POST",
      body: new URLSearchParams(body),
    }),
  );
}

function documentRequest(shop: string, pathname: string) {
  const params = new URLSearchParams({
    embedded: "1",
    shop,
    host: Buffer.from(`admin.shopify.com/store/${shop.split(".")[0]}`).toString(
      "base64",
    ),
    id_token: sessionToken(shop, TEST_CREDS),
  });
  return app.handle(new Request(`${APP_URL}${pathname}?${params}`));
}

/** Runs through the page's own "Run now" action and waits for the run row to settle. */
async function runNow(shop = SHOP) {
  const res = await post(shop, { intent: "run" });
  expect(res.status).toBe(202);
  for (;;) {
    const run = await app.prisma.reconciliationRun.findFirst({
      where: { shop },
      orderBy: { startedAt: "desc" },
    });
    if (run && run.status !== "running") return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Three orders with webhooks (one filtered), two without. */
async function seedShop() {
  const sent = order(1, 2 * DAY);
  const filtered = order(2, 2 * DAY, { test: true });
  const sent2 = order(3, DAY);
  const missingA = order(4, DAY, { name: '=HYPERLINK("http://evil")' });
  const missingB = order(5, DAY);
  for (const o of [sent, filtered, sent2]) await webhook(o.fixture);
  await drain();
  tiktok.reset();
  shopify.setOrders(
    [sent, filtered, sent2, missingA, missingB].map((o) => o.node),
  );
  return { sent, filtered, sent2, missingA, missingB };
}

describe("Reconciliation page", () => {
  it("refuses a request without a valid session token", async () => {
    const res = await app.handle(
      new Request(`${APP_URL}/app/reconciliation?_data=${PAGE}`, {
        headers: {
          Authorization: `Bearer ${sessionToken(SHOP, { ...TEST_CREDS, apiSecret: "wrong" })}`,
        },
      }),
    );
    expect(res.status).toBe(401);
    const csv = await app.handle(
      new Request(`${APP_URL}/app/reconciliation/csv`, {
        headers: {
          Authorization: `Bearer ${sessionToken(SHOP, { ...TEST_CREDS, apiSecret: "wrong" })}`,
        },
      }),
    );
    expect(csv.status).toBe(401);
  });

  it("shows the empty state before any run", async () => {
    const data = await pageData();
    expect(data).toMatchObject({
      completed: null,
      totals: null,
      rows: [],
      days: [],
    });
    const html = await (
      await documentRequest(SHOP, "/app/reconciliation")
    ).text();
    expect(html).toContain("No reconciliation yet");
    expect(html).toContain("Run now");
  });

  it("runs from the page and shows per-day numbers, coverage, revenue and the orders not sent", async () => {
    const { missingA, missingB, filtered } = await seedShop();
    const run = await runNow();
    expect(run).toMatchObject({
      status: "completed",
      trigger: "manual",
      ordersSeen: 5,
    });
    const data = await pageData();
    expect(data.totals).toMatchObject({ sent: 2, eligible: 4, missing: 2 });
    expect(data.days).toHaveLength(2);
    const yesterday = data.days[0];
    expect(yesterday).toMatchObject({
      orders: 3,
      eligible: 3,
      sent: 1,
      missing: 2,
      revenueShopify: "60.00",
      revenueSent: "20.00",
    });
    expect(yesterday.coverage).toBeCloseTo(1 / 3);
    expect(data.rows.map((r) => [r.orderName, r.status]).sort()).toEqual(
      [
        [missingA.fixture.json.name, "missing"],
        [missingB.fixture.json.name, "missing"],
        [filtered.fixture.json.name, "skipped"],
      ].sort(),
    );
    // Filters.
    expect((await pageData(SHOP, "status=skipped")).rows).toEqual([
      expect.objectContaining({
        status: "skipped",
        reason: "Skipped: test order.",
      }),
    ]);
    expect(
      (await pageData(SHOP, `q=${encodeURIComponent("#3005")}`)).rows,
    ).toHaveLength(1);
    expect((await pageData(SHOP, "status=bogus")).rows).toHaveLength(3);
    // The other shop sees none of it.
    expect((await pageData(OTHER)).completed).toBeNull();

    const html = await (
      await documentRequest(SHOP, "/app/reconciliation")
    ).text();
    expect(html).toContain(
      "Coverage 50%: 2 of 4 eligible orders sent. 2 missing",
    );
    expect(html).toContain("60.00");
    expect(html).toContain("Send now");
    expect(html).toContain("Orders that did not go out");
  });

  it("Send now sends one missing order with the webhook path's event id, once", async () => {
    const { missingB } = await seedShop();
    await runNow();
    const res = await post(SHOP, {
      intent: "send",
      id: `gid://shopify/Order/${missingB.fixture.id}`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      message: "Queued for TikTok.",
    });
    await drain();
    expect(tiktok.accepted.map((e) => e.event_id)).toEqual([
      `${missingB.fixture.id}_Purchase`,
    ]);
    const again = await post(SHOP, {
      intent: "send",
      id: `gid://shopify/Order/${missingB.fixture.id}`,
    });
    expect(again.status).toBe(409);
    // Another shop cannot send this shop's order.
    const foreign = await post(OTHER, {
      intent: "send",
      id: `gid://shopify/Order/${missingB.fixture.id}`,
    });
    expect(foreign.status).toBe(404);
    expect(await app.prisma.delivery.count({ where: { shop: OTHER } })).toBe(0);
  });

  it("Resend requeues a failed Purchase; unknown actions are refused", async () => {
    const { sent } = await seedShop();
    const delivery = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP, eventId: `${sent.fixture.id}_Purchase` },
    });
    await app.prisma.delivery.update({
      where: { id: delivery.id },
      data: { status: "failed", lastError: "TikTok 40001: no permission" },
    });
    await runNow();
    const failed = (await pageData(SHOP, "status=failed")).rows;
    expect(failed).toEqual([
      expect.objectContaining({
        status: "failed",
        reason: "TikTok 40001: no permission",
        deliveryId: delivery.id,
      }),
    ]);
    const res = await post(SHOP, { intent: "resend", id: delivery.id });
    expect(res.status).toBe(200);
    await drain();
    expect(tiktok.accepted.map((e) => e.event_id)).toEqual([
      `${sent.fixture.id}_Purchase`,
    ]);
    expect((await post(SHOP, { intent: "delete-everything" })).status).toBe(
      400,
    );
    expect(
      (await post(OTHER, { intent: "resend", id: delivery.id })).status,
    ).toBe(404);
  });

  it("exports the list as CSV with formula cells escaped", async () => {
    const { missingA } = await seedShop();
    await runNow();
    const res = await app.handle(
      app.adminRequest(SHOP, "/app/reconciliation/csv?status=missing"),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      `"Order","Order id","Created (UTC)","Status","Reason","Value","Currency"`,
    );
    expect(lines).toHaveLength(3);
    expect(
      lines.some((l) =>
        l.startsWith(
          `"'=HYPERLINK(""http://evil"")","gid://shopify/Order/${missingA.fixture.id}"`,
        ),
      ),
    ).toBe(true);
    expect(lines.join("\n")).not.toMatch(/(^|,)"=/m);
    const other = await app.handle(
      app.adminRequest(OTHER, "/app/reconciliation/csv"),
    );
    expect((await other.text()).trimEnd().split("\r\n")).toHaveLength(1);
  });

  it("shows why reconciliation stopped after a 401", async () => {
    shopify.revoke(`shpat_test_${OTHER}`);
    const run = await runNow(OTHER);
    expect(run.status).toBe("stopped");
    const data = await pageData(OTHER);
    expect(data.latest).toMatchObject({
      status: "stopped",
      reason: expect.stringContaining("401"),
    });
    const html = await (
      await documentRequest(OTHER, "/app/reconciliation")
    ).text();
    expect(html).toContain("Reconciliation stopped");
  });
});

describe("home page", () => {
  it("shows the last run: coverage, missing, when, and a link", async () => {
    await seedShop();
    await runNow();
    const res = await app.handle(app.adminRequest(SHOP, `/app?_data=${HOME}`));
    const data = (await res.json()) as {
      reconciliation: {
        last: {
          coverage: number;
          missing: number;
          run: { finishedAt: string };
        };
      };
    };
    expect(data.reconciliation.last).toMatchObject({
      coverage: 0.5,
      missing: 2,
    });
    const html = await (await documentRequest(SHOP, "/app")).text();
    expect(html).toContain("Reconciliation");
    expect(html).toContain("50% of eligible orders reached TikTok");
    expect(html).toContain('href="/app/reconciliation"');
  });

  it("offers the install-time backfill, off by default with the double-counting warning", async () => {
    const recent = order(30, 2 * DAY);
    const older = order(31, 5 * DAY);
    shopify.setOrders([older.node, recent.node]);
    const res = await app.handle(app.adminRequest(SHOP, `/app?_data=${HOME}`));
    const data = (await res.json()) as {
      installBackfill: { available: boolean; maxDays: number; run: unknown };
    };
    expect(data.installBackfill).toEqual({
      available: true,
      maxDays: 7,
      run: null,
    });
    const html = await (await documentRequest(SHOP, "/app")).text();
    expect(html).toContain(
      "Optional: send orders placed before the app was set up",
    );
    expect(html).toContain("counts them");
    expect(html).toContain("twice");
    expect(html).toContain("read_all_orders");
    // Looking at the page sends nothing.
    expect(await app.prisma.reconciliationRun.count()).toBe(0);

    const postHome = (body: Record<string, string>) =>
      app.handle(
        app.adminRequest(SHOP, `/app?_data=${HOME}`, {
          method: "POST",
          body: new URLSearchParams(body),
        }),
      );
    for (const days of ["0", "8", "abc", ""])
      expect(
        (await postHome({ intent: "install-backfill", days })).status,
      ).toBe(400);
    expect((await postHome({ intent: "other" })).status).toBe(400);
    expect(await app.prisma.reconciliationRun.count()).toBe(0);

    expect(
      (await postHome({ intent: "install-backfill", days: "3" })).status,
    ).toBe(202);
    for (;;) {
      const run = await app.prisma.reconciliationRun.findFirst({
        where: { shop: SHOP },
      });
      if (run && run.status !== "running") {
        expect(run).toMatchObject({
          trigger: "install",
          status: "completed",
          backfilled: 1,
        });
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await drain();
    expect(tiktok.accepted.map((e) => e.event_id)).toEqual([
      `${recent.fixture.id}_Purchase`,
    ]);
    const after = (await (
      await app.handle(app.adminRequest(SHOP, `/app?_data=${HOME}`))
    ).json()) as {
      installBackfill: { run: { status: string; backfilled: number } };
    };
    expect(after.installBackfill.run).toEqual({
      status: "completed",
      backfilled: 1,
    });
  });
});
