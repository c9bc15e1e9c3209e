import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { sessionToken } from "../../dev/shopify-signing";
import {
  APP_URL,
  TEST_CREDS,
  createTestApp,
  type TestApp,
} from "../support/test-app";
import {
  canadianOrderWithClick,
  orderBody,
  simpleOrder,
} from "../fixtures/orders";
import { configureShop, seedPixel } from "../support/shops";
import { rebuildDaySummary } from "../support/day-summary";

const SHOP_A = "log-a.myshopify.com";
const SHOP_B = "log-b.myshopify.com";
const SHOP_EMPTY = "log-empty.myshopify.com";
const SHOP_STOREFRONT_ONLY = "log-storefront.myshopify.com";
const SHOP_PAGES = "log-pages.myshopify.com";
const SHOP_HOME = "log-home.myshopify.com";
const SHOP_E2E = "log-e2e.myshopify.com";
const SHOP_PIXELS = "log-pixels.myshopify.com";
const SHOP_PIXELS_OTHER = "log-pixels-other.myshopify.com";
const SHOPS = [
  SHOP_PIXELS,
  SHOP_PIXELS_OTHER,
  SHOP_A,
  SHOP_B,
  SHOP_EMPTY,
  SHOP_STOREFRONT_ONLY,
  SHOP_PAGES,
  SHOP_HOME,
  SHOP_E2E,
];
const PIXEL = "CLOGPIXEL0000000001";
/** The several-pixels shop's second pixel (no token: its sends fail) and a removed third. */
const PIXEL_B = "CLOGPIXEL0000000002";
const PIXEL_C = "CLOGPIXEL0000000003";
const TOKEN = "log-access-token-1";

const LIST = "routes%2Fapp.deliveries._index";
const DETAIL = "routes%2Fapp.deliveries.%24id";
const HOME = "routes%2Fapp._index";

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const sha256 = (value: string) =>
  createHash("sha256").update(value).digest("hex");

let app: TestApp;
let tiktok: TikTokStandin;
let seq = 0;

interface Seed {
  shop: string;
  source?: "order" | "storefront" | "test";
  status?: "pending" | "delivered" | "failed" | "skipped";
  orderName?: string | null;
  ageMs?: number;
  createdAt?: Date;
  matchKeys?: string;
  attemptCount?: number;
  lastError?: string | null;
  eventName?: string;
}

async function seed(input: Seed) {
  seq += 1;
  const source = input.source ?? "order";
  const createdAt =
    input.createdAt ?? new Date(Date.now() - (input.ageMs ?? 0));
  const eventId = `evt-${seq}`;
  const orderName =
    input.orderName === undefined
      ? source === "order"
        ? `#${1000 + seq}`
        : null
      : input.orderName;
  const eventName =
    input.eventName ?? (source === "order" ? "Purchase" : "ViewContent");
  return app.prisma.delivery.create({
    data: {
      shop: input.shop,
      source,
      eventName,
      eventId,
      pixelCode: PIXEL,
      orderId: source === "order" ? `gid://shopify/Order/${5000 + seq}` : null,
      orderName,
      status: input.status ?? "delivered",
      payload: JSON.stringify({
        event: eventName,
        event_id: eventId,
        event_time: Math.floor(createdAt.getTime() / 1000),
        user: { email: [sha256(`shopper${seq}@example.com`)] },
        properties: { currency: "USD", value: 10 },
      }),
      matchKeys: input.matchKeys ?? "email",
      attemptCount:
        input.attemptCount ??
        (input.status === "pending" || input.status === "skipped" ? 0 : 1),
      lastAttemptAt:
        input.status === "pending" || input.status === "skipped"
          ? null
          : createdAt,
      lastError: input.lastError ?? null,
      eventTime: createdAt,
      createdAt,
    },
  });
}

const getList = (shop: string, query = "") =>
  app.handle(
    app.adminRequest(
      shop,
      `/app/deliveries?${query}${query ? "&" : ""}_data=${LIST}`,
    ),
  );
async function list(shop: string, query = "") {
  const res = await getList(shop, query);
  expect(res.status).toBe(200);
  return (await res.json()) as {
    rows: {
      id: string;
      label: string;
      status: string;
      eventName: string;
      pixel: string;
      matchKeys: string[];
      attempts: number;
    }[];
    pixels: { code: string; name: string; label: string; removed: boolean }[];
    page: {
      hasNext: boolean;
      hasPrevious: boolean;
      nextCursor: string | null;
      previousCursor: string | null;
    };
    empty: string;
    filters: Record<string, unknown>;
  };
}
const getDetail = (shop: string, id: string) =>
  app.handle(app.adminRequest(shop, `/app/deliveries/${id}?_data=${DETAIL}`));
const postResend = (shop: string, id: string, intent = "resend") =>
  app.handle(
    app.adminRequest(shop, `/app/deliveries/${id}?_data=${DETAIL}`, {
      method: "POST",
      body: new URLSearchParams({ intent }),
    }),
  );

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

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  for (const shop of SHOPS) await app.installShop(shop);
});
afterAll(async () => {
  await app.close();
  await tiktok.close();
});

describe("delivery log list", () => {
  // Shop A: a spread of statuses, sources and ages; shop B: look-alike rows that must never show.
  const a: Record<string, string> = {};
  const b: Record<string, string> = {};
  beforeAll(async () => {
    a.delivered = (
      await seed({
        shop: SHOP_A,
        orderName: "#1001",
        matchKeys: "ttclid,email,ip_ua",
        ageMs: 2 * HOUR,
      })
    ).id;
    a.failed = (
      await seed({
        shop: SHOP_A,
        orderName: "#1002",
        status: "failed",
        ageMs: 3 * DAY,
      })
    ).id;
    a.pending = (
      await seed({
        shop: SHOP_A,
        orderName: "#1003",
        status: "pending",
        ageMs: 10 * DAY,
      })
    ).id;
    a.skipped = (
      await seed({
        shop: SHOP_A,
        orderName: "#10010",
        status: "skipped",
        ageMs: 40 * DAY,
      })
    ).id;
    a.storefront = (
      await seed({ shop: SHOP_A, source: "storefront", ageMs: HOUR })
    ).id;
    a.test = (await seed({ shop: SHOP_A, source: "test", ageMs: HOUR })).id;
    b.delivered = (
      await seed({ shop: SHOP_B, orderName: "#1001", ageMs: HOUR })
    ).id;
    b.failed = (
      await seed({
        shop: SHOP_B,
        orderName: "#1002",
        status: "failed",
        ageMs: HOUR,
      })
    ).id;
    b.storefront = (
      await seed({ shop: SHOP_B, source: "storefront", ageMs: HOUR })
    ).id;
  });

  it("rejects a request without a valid session token", async () => {
    const forged = await app.handle(
      new Request(`${APP_URL}/app/deliveries?_data=${LIST}`, {
        headers: {
          Authorization: `Bearer ${sessionToken(SHOP_A, { ...TEST_CREDS, apiSecret: "wrong" })}`,
        },
      }),
    );
    expect(forged.status).toBe(401);
    expect(await forged.text()).not.toContain("#1001");
    // No token at all: sent to log in, no data.
    const anonymous = await app.handle(
      new Request(`${APP_URL}/app/deliveries?_data=${LIST}`),
    );
    expect(anonymous.headers.get("X-Remix-Redirect")).toMatch(/^\/auth\/login/);
    expect(await anonymous.text()).toBe("");
  });

  it("lists this shop's orders, newest first, with badges' data, and never another shop's", async () => {
    const body = await list(SHOP_A);
    expect(body.rows.map((r) => r.id)).toEqual([
      a.delivered,
      a.failed,
      a.pending,
      a.skipped,
    ]);
    expect(body.rows[0]).toMatchObject({
      label: "#1001",
      eventName: "Purchase",
      status: "delivered",
      attempts: 1,
      matchKeys: ["ttclid", "email", "ip_ua"],
    });
    expect(body.empty).toBe("none");
    expect(body.page).toEqual({
      hasNext: false,
      hasPrevious: false,
      nextCursor: null,
      previousCursor: null,
    });

    const all = await list(SHOP_A, "source=all");
    const ids = all.rows.map((r) => r.id);
    expect(ids).toHaveLength(6);
    for (const id of Object.values(b)) expect(ids).not.toContain(id);
    expect(all.rows.find((r) => r.id === a.storefront)?.label).toBe(
      "Storefront",
    );
    expect(all.rows.find((r) => r.id === a.test)?.label).toBe("Test");

    const other = await list(SHOP_B, "source=all");
    expect(other.rows.map((r) => r.id).sort()).toEqual(Object.values(b).sort());
  });

  it("filters by status", async () => {
    expect((await list(SHOP_A, "status=failed")).rows.map((r) => r.id)).toEqual(
      [a.failed],
    );
    expect(
      (await list(SHOP_A, "status=skipped")).rows.map((r) => r.id),
    ).toEqual([a.skipped]);
    expect(
      (await list(SHOP_A, "status=pending")).rows.map((r) => r.id),
    ).toEqual([a.pending]);
  });

  it("filters by source", async () => {
    expect(
      (await list(SHOP_A, "source=storefront")).rows.map((r) => r.id),
    ).toEqual([a.storefront]);
    expect((await list(SHOP_A, "source=test")).rows.map((r) => r.id)).toEqual([
      a.test,
    ]);
  });

  it("filters by date range, preset or custom", async () => {
    expect((await list(SHOP_A, "range=24h")).rows.map((r) => r.id)).toEqual([
      a.delivered,
    ]);
    expect((await list(SHOP_A, "range=7d")).rows.map((r) => r.id)).toEqual([
      a.delivered,
      a.failed,
    ]);
    expect((await list(SHOP_A, "range=30d")).rows.map((r) => r.id)).toEqual([
      a.delivered,
      a.failed,
      a.pending,
    ]);
    const day = (ms: number) =>
      new Date(Date.now() - ms).toISOString().slice(0, 10);
    // The custom range covers whole UTC days: 12 to 5 days ago holds only the pending order.
    const custom = await list(
      SHOP_A,
      `range=custom&from=${day(12 * DAY)}&to=${day(5 * DAY)}`,
    );
    expect(custom.rows.map((r) => r.id)).toEqual([a.pending]);
  });

  it("searches by order name with or without #, within the shop", async () => {
    expect((await list(SHOP_A, "q=%231002")).rows.map((r) => r.id)).toEqual([
      a.failed,
    ]);
    expect((await list(SHOP_A, "q=1002")).rows.map((r) => r.id)).toEqual([
      a.failed,
    ]);
    // The order's exact name: #1001 does not find #10010, and a part of a name finds nothing.
    expect((await list(SHOP_A, "q=1001")).rows.map((r) => r.id)).toEqual([
      a.delivered,
    ]);
    expect((await list(SHOP_A, "q=10010")).rows.map((r) => r.id)).toEqual([
      a.skipped,
    ]);
    expect((await list(SHOP_A, "q=100")).rows).toEqual([]);
    expect((await list(SHOP_B, "q=1001")).rows.map((r) => r.id)).toEqual([
      b.delivered,
    ]);
    expect(
      (await list(SHOP_A, "q=1001&status=delivered")).rows.map((r) => r.id),
    ).toEqual([a.delivered]);
    // A typed "%" is a character, not a wildcard: "1%3" does not match #1003.
    expect((await list(SHOP_A, "q=1%253")).rows).toEqual([]);
    const none = await list(SHOP_A, "q=9999");
    expect(none.rows).toEqual([]);
    expect(none.empty).toBe("no-matches");
  });

  it("tells a shop with no events apart from a filter that matches nothing", async () => {
    expect((await list(SHOP_EMPTY)).empty).toBe("no-deliveries");
    expect((await list(SHOP_EMPTY, "status=failed")).empty).toBe(
      "no-deliveries",
    );
    await seed({ shop: SHOP_STOREFRONT_ONLY, source: "storefront" });
    const orders = await list(SHOP_STOREFRONT_ONLY);
    expect(orders.rows).toEqual([]);
    expect(orders.empty).toBe("no-matches");
  });
});

describe("delivery log pagination", () => {
  const created: string[] = []; // newest first
  beforeAll(async () => {
    const base = Date.now() - DAY;
    const rows = Array.from({ length: 120 }, (_, i) => {
      // Pairs share a creation time, so the id tie-break is exercised at page edges.
      const createdAt = new Date(base - Math.floor(i / 2) * 1000);
      return {
        shop: SHOP_PAGES,
        source: "order",
        eventName: "Purchase",
        eventId: `page-${i}`,
        pixelCode: PIXEL,
        orderName: `#${2000 + i}`,
        // One in six failed, spread through the pages, for paging a filtered view.
        status: i % 6 === 5 ? "failed" : "delivered",
        payload: "{}",
        eventTime: createdAt,
        createdAt,
      };
    });
    await app.prisma.delivery.createMany({ data: rows });
    const stored = await app.prisma.delivery.findMany({
      where: { shop: SHOP_PAGES },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      select: { id: true },
    });
    created.push(...stored.map((r) => r.id));
  });

  it("pages forward 50 at a time and back again, without gaps or repeats", async () => {
    const first = await list(SHOP_PAGES);
    expect(first.rows).toHaveLength(50);
    expect(first.page).toMatchObject({
      hasNext: true,
      hasPrevious: false,
      previousCursor: null,
    });

    const second = await list(SHOP_PAGES, `after=${first.page.nextCursor}`);
    expect(second.rows).toHaveLength(50);
    expect(second.page).toMatchObject({ hasNext: true, hasPrevious: true });

    const third = await list(SHOP_PAGES, `after=${second.page.nextCursor}`);
    expect(third.rows).toHaveLength(20);
    expect(third.page).toMatchObject({
      hasNext: false,
      hasPrevious: true,
      nextCursor: null,
    });

    expect(
      [...first.rows, ...second.rows, ...third.rows].map((r) => r.id),
    ).toEqual(created);

    const back = await list(SHOP_PAGES, `before=${third.page.previousCursor}`);
    expect(back.rows.map((r) => r.id)).toEqual(second.rows.map((r) => r.id));
    expect(back.page).toMatchObject({ hasNext: true, hasPrevious: true });
    const backToStart = await list(
      SHOP_PAGES,
      `before=${back.page.previousCursor}`,
    );
    expect(backToStart.rows.map((r) => r.id)).toEqual(
      first.rows.map((r) => r.id),
    );
    expect(backToStart.page).toMatchObject({
      hasPrevious: false,
      hasNext: true,
    });
  });

  it("keeps filters while paging", async () => {
    const first = await list(SHOP_PAGES, "status=delivered");
    // 100 of the 120 rows are delivered.
    expect(first.rows).toHaveLength(50);
    const rest = await list(
      SHOP_PAGES,
      `status=delivered&after=${first.page.nextCursor}`,
    );
    expect(rest.rows).toHaveLength(50);
    expect(rest.page.hasNext).toBe(false);
    expect(
      [...first.rows, ...rest.rows].every((r) => r.status === "delivered"),
    ).toBe(true);
    const back = await list(
      SHOP_PAGES,
      `status=delivered&before=${rest.page.previousCursor}`,
    );
    expect(back.rows.map((r) => r.id)).toEqual(first.rows.map((r) => r.id));
    expect(back.page.hasPrevious).toBe(false);
  });

  it("finds an order from any page, with the other filters applied", async () => {
    const found = await list(SHOP_PAGES, "q=2007");
    expect(found.rows.map((r) => r.label)).toEqual(["#2007"]);
    expect(found.page).toMatchObject({ hasNext: false, hasPrevious: false });
    // A filter that excludes the order's only delivery: no matches, not "no deliveries".
    const excluded = await list(SHOP_PAGES, "q=%232005&status=delivered");
    expect(excluded.rows).toEqual([]);
    expect(excluded.empty).toBe("no-matches");
    expect(
      (await list(SHOP_PAGES, "q=%232005&status=failed")).rows.map(
        (r) => r.label,
      ),
    ).toEqual(["#2005"]);
  });

  it("never pages into another shop's rows", async () => {
    const first = await list(
      SHOP_A,
      `after=${encodeURIComponent(`${Date.now() + DAY}.zzzzzzzz`)}`,
    );
    const ids = first.rows.map((r) => r.id);
    expect(ids.some((id) => created.includes(id))).toBe(false);
  });
});

describe("delivery detail and resend", () => {
  it("shows the delivery, its attempts and the pretty JSON", async () => {
    const row = await seed({
      shop: SHOP_A,
      orderName: "#3001",
      status: "failed",
      matchKeys: "email,phone",
      attemptCount: 2,
      lastError:
        "TikTok says this access token has no permission for this pixel.",
    });
    const t0 = new Date("2026-11-20T10:00:00.000Z");
    await app.prisma.deliveryAttempt.createMany({
      data: [
        {
          deliveryId: row.id,
          startedAt: t0,
          durationMs: 120,
          httpStatus: 500,
          tiktokCode: null,
          message: "Internal Server Error",
          requestId: null,
          outcome: "retryable",
        },
        {
          deliveryId: row.id,
          startedAt: new Date(t0.getTime() + 60_000),
          durationMs: 80,
          httpStatus: 200,
          tiktokCode: 40001,
          message: "No permission",
          requestId: "req-42",
          outcome: "permanent",
        },
      ],
    });
    const res = await getDetail(SHOP_A, row.id);
    expect(res.status).toBe(200);
    const { delivery } = await res.json();
    expect(delivery).toMatchObject({
      id: row.id,
      label: "#3001",
      eventName: "Purchase",
      eventId: row.eventId,
      status: "failed",
      orderAdminUrl: `shopify://admin/orders/${row.orderId!.split("/").pop()}`,
      matchKeys: ["email", "phone"],
      explanation: {
        tone: "critical",
        title: "Not delivered",
        body: "TikTok says this access token has no permission for this pixel.",
      },
      resend: { allowed: true, reason: null },
      attemptsOmitted: 0,
    });
    expect(delivery.attempts).toEqual([
      expect.objectContaining({
        httpStatus: 500,
        tiktokCode: null,
        outcome: "retryable",
        durationMs: 120,
        startedAt: t0.toISOString(),
      }),
      expect.objectContaining({
        httpStatus: 200,
        tiktokCode: 40001,
        message: "No permission",
        requestId: "req-42",
        outcome: "permanent",
      }),
    ]);
    expect(delivery.payloadJson).toBe(
      JSON.stringify(JSON.parse(row.payload), null, 2),
    );
    expect(delivery.payloadJson).toContain('\n  "event_id": ');
  });

  it("shows the latest 200 attempts of a long-retried delivery and counts the rest", async () => {
    const row = await seed({
      shop: SHOP_A,
      orderName: "#3002",
      status: "failed",
    });
    const t0 = new Date("2026-11-20T10:00:00.000Z");
    await app.prisma.deliveryAttempt.createMany({
      data: Array.from({ length: 203 }, (_, i) => ({
        deliveryId: row.id,
        startedAt: new Date(t0.getTime() + i * 60_000),
        durationMs: 50,
        httpStatus: 500,
        message: `try ${i + 1}`,
        outcome: "retryable",
      })),
    });
    const { delivery } = await (await getDetail(SHOP_A, row.id)).json();
    expect(delivery.attemptsOmitted).toBe(3);
    expect(delivery.attempts).toHaveLength(200);
    expect(delivery.attempts[0].message).toBe("try 4");
    expect(delivery.attempts.at(-1).message).toBe("try 203");
  });

  it("answers 404 for another shop's delivery or an unknown id", async () => {
    const theirs = await seed({
      shop: SHOP_B,
      orderName: "#3002",
      status: "failed",
    });
    const res = await getDetail(SHOP_A, theirs.id);
    expect(res.status).toBe(404);
    const text = await res.text();
    expect(text).toContain("isn't in your delivery log");
    expect(text).not.toContain(theirs.eventId);
    expect((await getDetail(SHOP_A, "does-not-exist")).status).toBe(404);
  });

  it("resends a failed delivery with the same event id", async () => {
    const row = await seed({
      shop: SHOP_A,
      orderName: "#3003",
      status: "failed",
      lastError: "Rejected.",
    });
    const res = await postResend(SHOP_A, row.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      status: 200,
      message: "Queued for resend",
    });
    const after = await app.prisma.delivery.findUniqueOrThrow({
      where: { id: row.id },
      include: { outbox: true },
    });
    expect(after.status).toBe("pending");
    expect(after.lastError).toBeNull();
    expect(after.eventId).toBe(row.eventId);
    expect(JSON.parse(after.payload).event_id).toBe(row.eventId);
    expect(after.outbox).toMatchObject({ deliveryId: row.id, shop: SHOP_A });
    expect(
      await app.prisma.delivery.count({
        where: { shop: SHOP_A, eventId: row.eventId },
      }),
    ).toBe(1);

    // Now pending: a second click is refused and does not add a second outbox row.
    const again = await postResend(SHOP_A, row.id);
    expect(again.status).toBe(409);
    expect(
      await app.prisma.outboxEntry.count({ where: { deliveryId: row.id } }),
    ).toBe(1);
  });

  it("refuses to resend a skipped delivery and explains why", async () => {
    const row = await seed({
      shop: SHOP_A,
      orderName: "#3004",
      status: "skipped",
      lastError: "Not sent: the shopper declined marketing consent.",
    });
    const detail = await (await getDetail(SHOP_A, row.id)).json();
    expect(detail.delivery.resend).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("can't be resent"),
    });
    expect(detail.delivery.explanation.body).toBe(
      "Not sent: the shopper declined marketing consent.",
    );
    const res = await postResend(SHOP_A, row.id);
    expect(res.status).toBe(409);
    expect((await res.json()).message).toContain(
      "Skipped events can't be resent",
    );
    const after = await app.prisma.delivery.findUniqueOrThrow({
      where: { id: row.id },
      include: { outbox: true },
    });
    expect(after.status).toBe("skipped");
    expect(after.outbox).toBeNull();
  });

  it("cannot resend another shop's delivery: 404 and nothing changes", async () => {
    const theirs = await seed({
      shop: SHOP_B,
      orderName: "#3005",
      status: "failed",
      lastError: "Rejected.",
    });
    const res = await postResend(SHOP_A, theirs.id);
    expect(res.status).toBe(404);
    const after = await app.prisma.delivery.findUniqueOrThrow({
      where: { id: theirs.id },
      include: { outbox: true },
    });
    expect(after).toMatchObject({
      status: "failed",
      lastError: "Rejected.",
      updatedAt: theirs.updatedAt,
    });
    expect(after.outbox).toBeNull();
  });

  it("rejects unknown intents", async () => {
    const row = await seed({ shop: SHOP_A, status: "failed" });
    expect((await postResend(SHOP_A, row.id, "delete")).status).toBe(400);
    expect(
      (await app.prisma.delivery.findUniqueOrThrow({ where: { id: row.id } }))
        .status,
    ).toBe("failed");
  });
});

describe("home page: last 7 days", () => {
  it("counts orders by status and the match-key share of delivered + pending purchases", async () => {
    const h = SHOP_HOME;
    await seed({
      shop: h,
      status: "delivered",
      matchKeys: "ttclid,ttp,email,phone,external_id,ip_ua",
      ageMs: HOUR,
    });
    await seed({
      shop: h,
      status: "delivered",
      matchKeys: "email,phone",
      ageMs: 2 * DAY,
    });
    await seed({
      shop: h,
      status: "delivered",
      matchKeys: "email",
      ageMs: 6 * DAY,
    });
    await seed({ shop: h, status: "pending", matchKeys: "ttp", ageMs: HOUR });
    await seed({
      shop: h,
      status: "failed",
      matchKeys: "ttclid,email",
      ageMs: HOUR,
    });
    await seed({ shop: h, status: "skipped", matchKeys: "", ageMs: HOUR });
    // Outside the window, not an order, or another shop: none of these count.
    await seed({
      shop: h,
      status: "delivered",
      matchKeys: "ttclid",
      ageMs: 8 * DAY,
    });
    await seed({
      shop: h,
      source: "storefront",
      status: "delivered",
      matchKeys: "ttclid",
      ageMs: HOUR,
    });
    await seed({
      shop: SHOP_B,
      status: "delivered",
      matchKeys: "ttclid",
      ageMs: HOUR,
    });

    // Seeded with Prisma, not through the outbox, so the day summary is counted here.
    await rebuildDaySummary(app.prisma, h);
    await rebuildDaySummary(app.prisma, SHOP_B);
    const res = await app.handle(app.adminRequest(h, `/app?_data=${HOME}`));
    expect(res.status).toBe(200);
    const { checklist, last7Days } = await res.json();
    expect(checklist).toHaveLength(4);
    // No pixel yet: the first step opens the form that adds one.
    expect(checklist[0]).toMatchObject({
      done: false,
      to: "/app/settings/pixels/new",
    });
    expect(last7Days).toMatchObject({
      ordersSeen: 6,
      sent: 3,
      pending: 1,
      failed: 1,
      skipped: 1,
      matchKeyBase: 4,
    });
    const share = Object.fromEntries(
      (last7Days.matchKeyShare as { key: string; percent: number }[]).map(
        (s) => [s.key, s.percent],
      ),
    );
    expect(share).toEqual({
      ttclid: 25,
      ttp: 50,
      email: 75,
      phone: 50,
      external_id: 25,
      first_name: 0,
      last_name: 0,
      city: 0,
      state: 0,
      country: 0,
      zip_code: 0,
      ip_ua: 25,
    });
  });

  it("shows zeros and no percentages for a shop with nothing yet", async () => {
    const res = await app.handle(
      app.adminRequest(SHOP_EMPTY, `/app?_data=${HOME}`),
    );
    const { last7Days } = await res.json();
    expect(last7Days).toMatchObject({
      ordersSeen: 0,
      sent: 0,
      failed: 0,
      pending: 0,
      matchKeyBase: 0,
    });
    expect(
      last7Days.matchKeyShare.every(
        (s: { percent: number | null }) => s.percent === null,
      ),
    ).toBe(true);
  });

  it("ticks the app embed step once the storefront script has reported, and links to the theme editor", async () => {
    const embedStep = async () => {
      const res = await app.handle(
        app.adminRequest(SHOP_EMPTY, `/app?_data=${HOME}`),
      );
      return (await res.json()).checklist[2] as { done: boolean; href: string };
    };
    const before = await embedStep();
    expect(before.done).toBe(false);
    expect(before.href).toBe(
      `https://${SHOP_EMPTY}/admin/themes/current/editor?context=apps&activateAppId=${TEST_CREDS.apiKey}/tiktok-pixel`,
    );
    await app.prisma.attributionSession.create({
      data: {
        shop: "someone-else.myshopify.com",
        sessionKey: "other-shop-session",
      },
    });
    expect((await embedStep()).done).toBe(false);
    await app.prisma.attributionSession.create({
      data: { shop: SHOP_EMPTY, sessionKey: "embed-check-session" },
    });
    expect((await embedStep()).done).toBe(true);
  });
});

describe("end to end: a real order through the webhook, the worker and the log pages", () => {
  const order = canadianOrderWithClick();
  const RAW = [
    "jane.doe@example.com",
    "Jane.Doe@Example.com",
    "613-555-0123",
    "6135550123",
    "(613) 555-0123",
    "K1A 0B1",
  ];
  let deliveryId = "";

  beforeAll(async () => {
    await configureShop(SHOP_E2E, { pixelCode: PIXEL, accessToken: TOKEN });
    const res = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/create",
        shop: SHOP_E2E,
        body: orderBody(order),
      }),
    );
    expect(res.status).toBe(200);
    await drain();
    deliveryId = (
      await app.prisma.delivery.findFirstOrThrow({ where: { shop: SHOP_E2E } })
    ).id;
  });

  const drain = () => app.drainDeliveries();

  it("renders the log document with the order Delivered and no raw identifiers", async () => {
    const res = await documentRequest(SHOP_E2E, "/app/deliveries");
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("Delivery log");
    expect(html).toContain("#1001");
    expect(html).toContain(">Delivered<");
    expect(html).toContain("IP + UA");
    for (const raw of RAW)
      expect(html.toLowerCase()).not.toContain(raw.toLowerCase());
  });

  it("renders the detail document with hashes only, and resends with the same event id", async () => {
    const res = await documentRequest(
      SHOP_E2E,
      `/app/deliveries/${deliveryId}`,
    );
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("JSON sent to TikTok");
    expect(html).toContain(sha256("jane.doe@example.com"));
    expect(html).toContain("820982911946154508_Purchase");
    for (const raw of RAW)
      expect(html.toLowerCase()).not.toContain(raw.toLowerCase());

    const requestsBefore = tiktok.requests.length;
    expect((await postResend(SHOP_E2E, deliveryId)).status).toBe(200);
    await drain();
    // The stand-in saw a second request for the same event id and deduplicated it.
    expect(tiktok.requests.length).toBe(requestsBefore + 1);
    expect(
      tiktok.accepted.filter(
        (e) => e.event_id === "820982911946154508_Purchase",
      ),
    ).toHaveLength(1);
    expect(tiktok.duplicatesIgnored).toBe(1);
    const after = await app.prisma.delivery.findUniqueOrThrow({
      where: { id: deliveryId },
    });
    expect(after).toMatchObject({ status: "delivered", attemptCount: 2 });
  });

  it("renders the empty state for a shop with no events", async () => {
    const res = await documentRequest(SHOP_EMPTY, "/app/deliveries");
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("No events yet");
    expect(html).toContain("App embeds");
  });

  it("renders the home document with the summary", async () => {
    const res = await documentRequest(SHOP_E2E, "/app");
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("Last 7 days");
    expect(html).toContain("Orders seen");
    expect(html).toContain("View delivery log");
    // Each figure opens the log on the same whole UTC days the summary counts.
    const { summaryWindowStart } = await import("~/delivery-log/summary");
    const since = summaryWindowStart(new Date()).toISOString().slice(0, 10);
    expect(html).toMatch(
      new RegExp(`/app/deliveries\\?range=custom&(amp;)?from=${since}`),
    );
  });

  it("renders a merchant-friendly not-found page for another shop's event", async () => {
    const res = await documentRequest(SHOP_A, `/app/deliveries/${deliveryId}`);
    const html = await res.text();
    expect(res.status).toBe(404);
    expect(html).toContain("Event not found");
    expect(html).not.toContain("820982911946154508_Purchase");
  });
});

describe("several pixels: the log, an order's detail and the home page per pixel", () => {
  // Orders through the signed webhook, fanned out by the app to each pixel; the worker then
  // delivers pixel A's (its token is the stand-in's) and fails pixel B's (no token). Pixel C
  // gets the first order, then is removed. Another shop has a pixel with B's code.
  const orders: string[] = [];
  const sendOrder = async (shop: string) => {
    const order = simpleOrder();
    const res = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/create",
        shop,
        body: orderBody(order),
      }),
    );
    expect(res.status).toBe(200);
    return `gid://shopify/Order/${order.id}`;
  };

  beforeAll(async () => {
    await configureShop(SHOP_PIXELS, { pixelCode: PIXEL, accessToken: TOKEN });
    await app.prisma.pixel.updateMany({
      where: { shop: SHOP_PIXELS, pixelCode: PIXEL },
      data: { name: "US store" },
    });
    await seedPixel(app.prisma, SHOP_PIXELS, {
      pixelCode: PIXEL_B,
      name: "Agency",
      purchaseEventName: "CompletePayment",
    });
    const c = await seedPixel(app.prisma, SHOP_PIXELS, {
      pixelCode: PIXEL_C,
      name: "Old pixel",
    });
    orders.push(await sendOrder(SHOP_PIXELS));
    const { removePixel } = await import("~/pixels/pixels.server");
    expect(await removePixel(SHOP_PIXELS, c.id)).toBe(true);
    orders.push(await sendOrder(SHOP_PIXELS));
    orders.push(await sendOrder(SHOP_PIXELS));
    await seedPixel(app.prisma, SHOP_PIXELS_OTHER, {
      pixelCode: PIXEL_B,
      name: "Other shop's pixel",
    });
    await sendOrder(SHOP_PIXELS_OTHER);

    await app.drainDeliveries();
  });

  type PixelRow = {
    id: string;
    pixel: string;
    eventName: string;
    status: string;
  };

  it("lists every pixel's deliveries with the pixel's name, and offers each pixel, removed ones by code", async () => {
    const body = await list(SHOP_PIXELS);
    expect(body.pixels).toEqual([
      { code: PIXEL, name: "US store", label: "US store", removed: false },
      { code: PIXEL_B, name: "Agency", label: "Agency", removed: false },
      {
        code: PIXEL_C,
        name: PIXEL_C,
        label: `${PIXEL_C} (removed)`,
        removed: true,
      },
    ]);
    // 3 orders at A and B, the first at C too.
    expect(body.rows).toHaveLength(7);
    const count = (pixel: string) =>
      body.rows.filter((r) => r.pixel === pixel).length;
    expect([
      count("US store"),
      count("Agency"),
      count(`${PIXEL_C} (removed)`),
    ]).toEqual([3, 3, 1]);
  });

  it("filters by pixel, within the shop, alone and with the other filters", async () => {
    const b = await list(SHOP_PIXELS, `pixel=${PIXEL_B}`);
    expect(b.filters.pixel).toBe(PIXEL_B);
    expect(b.rows).toHaveLength(3);
    for (const row of b.rows)
      expect(row).toMatchObject({
        pixel: "Agency",
        eventName: "CompletePayment",
        status: "failed",
      });
    // The other shop's pixel with the same code: its own order only, never this shop's.
    const other = await list(SHOP_PIXELS_OTHER, `pixel=${PIXEL_B}`);
    expect(other.rows).toHaveLength(1);
    expect(b.rows.map((r) => r.id)).not.toContain(other.rows[0].id);

    const a = await list(SHOP_PIXELS, `pixel=${PIXEL}&status=delivered`);
    expect(a.rows.map((r) => [r.pixel, r.status])).toEqual([
      ["US store", "delivered"],
      ["US store", "delivered"],
      ["US store", "delivered"],
    ]);
    expect(
      (await list(SHOP_PIXELS, `pixel=${PIXEL}&status=failed`)).empty,
    ).toBe("no-matches");
    expect(
      (await list(SHOP_PIXELS, `pixel=${PIXEL_C}&source=all`)).rows,
    ).toHaveLength(1);
    expect(
      (await list(SHOP_PIXELS, `pixel=${PIXEL_B}&source=storefront`)).empty,
    ).toBe("no-matches");
    // An order's name finds it at every pixel; with the filter, at that pixel only.
    const name = (
      await app.prisma.delivery.findFirstOrThrow({
        where: { shop: SHOP_PIXELS, orderId: orders[0] },
      })
    ).orderName!;
    expect(
      (await list(SHOP_PIXELS, `q=${encodeURIComponent(name)}`)).rows,
    ).toHaveLength(3);
    expect(
      (
        await list(
          SHOP_PIXELS,
          `q=${encodeURIComponent(name)}&pixel=${PIXEL_B}`,
        )
      ).rows,
    ).toHaveLength(1);
    // A malformed pixel is no filter at all.
    const bad = await list(SHOP_PIXELS, "pixel=C%27%20OR%201%3D1");
    expect(bad.filters.pixel).toBe("");
    expect(bad.rows).toHaveLength(7);
  });

  it("shows an order's Purchase at every pixel on its detail, each linked", async () => {
    const a = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP_PIXELS, orderId: orders[0], pixelCode: PIXEL },
    });
    const res = await getDetail(SHOP_PIXELS, a.id);
    expect(res.status).toBe(200);
    const { delivery } = (await res.json()) as {
      delivery: {
        pixel: string;
        orderPixels: (PixelRow & { pixelCode: string; attempts: number })[];
      };
    };
    expect(delivery.pixel).toBe("US store");
    expect(
      delivery.orderPixels.map((p) => [p.pixel, p.eventName, p.status]),
    ).toEqual([
      ["US store", "Purchase", "delivered"],
      ["Agency", "CompletePayment", "failed"],
      [`${PIXEL_C} (removed)`, "Purchase", "failed"],
    ]);
    expect(delivery.orderPixels[0].id).toBe(a.id);
    expect(delivery.orderPixels[0].attempts).toBe(1);
    // Each row is that pixel's own delivery of this order, in this shop.
    for (const row of delivery.orderPixels) {
      const stored = await app.prisma.delivery.findUniqueOrThrow({
        where: { id: row.id },
      });
      expect([stored.shop, stored.orderId, stored.pixelCode]).toEqual([
        SHOP_PIXELS,
        orders[0],
        row.pixelCode,
      ]);
    }
    // A later order (after C was removed): A and B only.
    const later = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP_PIXELS, orderId: orders[2], pixelCode: PIXEL_B },
    });
    const laterBody = await (await getDetail(SHOP_PIXELS, later.id)).json();
    expect(
      laterBody.delivery.orderPixels.map((p: PixelRow) => p.pixel),
    ).toEqual(["US store", "Agency"]);
    // The document: the section, with a link to the other pixel's delivery.
    const html = await (
      await documentRequest(SHOP_PIXELS, `/app/deliveries/${a.id}`)
    ).text();
    expect(html).toContain("This order at every pixel");
    expect(html).toContain(`/app/deliveries/${delivery.orderPixels[1].id}`);
  });

  it("has no such section for a one-pixel shop's Purchase", async () => {
    const row = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP_PIXELS_OTHER },
    });
    const body = await (await getDetail(SHOP_PIXELS_OTHER, row.id)).json();
    expect(body.delivery.orderPixels).toBeNull();
    expect(body.delivery.pixel).toBe("Other shop's pixel");
  });

  it("shows the home figures and match keys per pixel, adding up to the total", async () => {
    const res = await app.handle(
      app.adminRequest(SHOP_PIXELS, `/app?_data=${HOME}`),
    );
    expect(res.status).toBe(200);
    const { last7Days, last7DaysByPixel } = (await res.json()) as {
      last7Days: Record<string, number> & {
        matchKeyShare: { key: string; count: number }[];
      };
      last7DaysByPixel: {
        code: string;
        label: string;
        summary: Record<string, number> & {
          matchKeyShare: {
            key: string;
            count: number;
            percent: number | null;
          }[];
        };
      }[];
    };
    expect(
      last7DaysByPixel.map((p) => [
        p.label,
        p.summary.ordersSeen,
        p.summary.sent,
        p.summary.failed,
      ]),
    ).toEqual([
      ["US store", 3, 3, 0],
      ["Agency", 3, 0, 3],
      [`${PIXEL_C} (removed)`, 1, 0, 1],
    ]);
    expect(last7Days).toMatchObject({ ordersSeen: 7, sent: 3, failed: 4 });
    for (const field of [
      "ordersSeen",
      "sent",
      "failed",
      "pending",
      "skipped",
      "matchKeyBase",
    ])
      expect(
        last7DaysByPixel.reduce((a, p) => a + p.summary[field], 0),
        field,
      ).toBe(last7Days[field]);
    for (const [i, share] of last7Days.matchKeyShare.entries())
      expect(
        last7DaysByPixel.reduce(
          (a, p) => a + p.summary.matchKeyShare[i].count,
          0,
        ),
      ).toBe(share.count);
    // Only A's Purchases reached TikTok: its email share is 100%, the others have none.
    const email = (p: (typeof last7DaysByPixel)[number]) =>
      p.summary.matchKeyShare.find((s) => s.key === "email")!.percent;
    expect(last7DaysByPixel.map(email)).toEqual([100, null, null]);

    const html = await (await documentRequest(SHOP_PIXELS, "/app")).text();
    expect(html).toContain("By pixel");
    expect(html).toContain("Match keys by pixel");
    expect(html).toContain("Purchases (all pixels)");
  });

  it("keeps a one-pixel shop's home as it was", async () => {
    const res = await app.handle(
      app.adminRequest(SHOP_PIXELS_OTHER, `/app?_data=${HOME}`),
    );
    const { last7Days, last7DaysByPixel } = await res.json();
    expect(last7Days.ordersSeen).toBe(1);
    expect(last7DaysByPixel).toEqual([]);
    const html = await (
      await documentRequest(SHOP_PIXELS_OTHER, "/app")
    ).text();
    expect(html).toContain("Orders seen");
    expect(html).not.toContain("By pixel");
  });

  it("offers no pixel filter or column to a one-pixel shop", async () => {
    const body = await list(SHOP_PIXELS_OTHER);
    expect(body.pixels).toHaveLength(1);
    const html = await (
      await documentRequest(SHOP_PIXELS_OTHER, "/app/deliveries")
    ).text();
    expect(html).not.toContain("All pixels");
    const several = await (
      await documentRequest(SHOP_PIXELS, "/app/deliveries")
    ).text();
    expect(several).toContain("All pixels");
    expect(several).toContain("Agency");
  });
});
