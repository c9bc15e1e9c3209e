// The admin views stay fast at a million deliveries only while every query they run is an
// index lookup (npm run bench -- admin-views measures them). This reads SQLite's plan of each
// query the delivery log, the delivery detail and the home summary actually send (captured from
// Prisma's query log) and fails when one reads the Delivery or DeliveryAttempt table, or a
// whole index, from end to end, sorts a shop's whole log, or stops using the index it was
// given: a change that drops or reorders an index in prisma/schema.prisma fails here.
// SQLite is not given statistics (the app never runs ANALYZE), as in production.
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient, type Prisma } from "@prisma/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";
import { createTestApp, type TestApp } from "../support/test-app";

const SHOP = "plans.myshopify.com";
const OTHER = "plans-other.myshopify.com";
const PIXEL = "CPLANSPIXEL00000001";
/** A second pixel of the shop, which takes Purchases only, named CompletePayment. */
const PIXEL_B = "CPLANSPIXEL00000002";
const DAY = 86_400_000;

let app: TestApp;
let logged: PrismaClient;
const queries: { sql: string; params: unknown[] }[] = [];
let detailId = "";
let nextCursor = "";

beforeAll(async () => {
  app = await createTestApp();
  const client = new PrismaClient({
    adapter: new PrismaLibSQL({ url: `file:${app.dbFile}` }),
    log: [{ emit: "event", level: "query" }] as const,
  });
  client.$on("query", (e: Prisma.QueryEvent) =>
    queries.push({ sql: e.query, params: JSON.parse(e.params) as unknown[] }),
  );
  logged = client as unknown as PrismaClient;

  // Rows written the app's way, for two shops: the plans do not depend on them (no
  // statistics), but the cursor and the detail need real rows.
  const { enqueue } = await import("~/delivery/outbox/enqueue.server");
  const { buildEvent } = await import("~/tiktok/event-builder");
  const now = Date.now();
  const make = (shop: string, i: number, pixelCode = PIXEL): NewDelivery => ({
    shop,
    source: i % 4 === 3 ? "storefront" : "order",
    pixelCode,
    orderId: i % 4 === 3 ? null : `gid://shopify/Order/${5000 + i}`,
    orderName: i % 4 === 3 ? null : `#${1000 + i}`,
    sessionKey: i % 4 === 3 ? `s${i}` : null,
    skippedReason: i % 10 === 9 ? "declined" : undefined,
    event: buildEvent({
      eventName:
        i % 4 === 3
          ? "ViewContent"
          : pixelCode === PIXEL
            ? "Purchase"
            : "CompletePayment",
      eventId: `${i}`,
      eventTime: new Date(now - i * 3_600_000),
      user: { email: ["a".repeat(64)], ip: "203.0.113.1", userAgent: "UA" },
    }),
  });
  await app.prisma.$transaction(async (tx) => {
    for (let i = 0; i < 120; i++) {
      // An order fans out to both pixels, as the order webhook does.
      const rows =
        i % 4 === 3 ? [make(SHOP, i)] : [make(SHOP, i), make(SHOP, i, PIXEL_B)];
      await enqueue(tx, rows, new Date(now - i * 3_600_000));
      if (i % 10 === 0) await enqueue(tx, [make(OTHER, i)], new Date(now));
    }
  });
  const { listDeliveries } = await import("~/delivery-log/delivery-log.server");
  const first = await listDeliveries(SHOP, new URLSearchParams(), {
    prisma: logged,
  });
  detailId = first.rows[0].id;
  nextCursor = first.page.nextCursor ?? "";
  expect(nextCursor).not.toBe("");
});

afterAll(async () => {
  await logged?.$disconnect();
  await app?.close();
});

interface Plan {
  sql: string;
  detail: string;
}

/** Runs `view` and returns SQLite's plan of each query it sent to the delivery tables. */
async function plansOf(view: () => Promise<unknown>): Promise<Plan[]> {
  queries.length = 0;
  await view();
  // Prisma's queries quote with backticks, the app's raw SQL with double quotes.
  const sent = queries.filter((q) => /[`"]Delivery(Attempt)?[`"]/.test(q.sql));
  const plans: Plan[] = [];
  for (const q of sent) {
    const rows = await logged.$queryRawUnsafe<{ detail: string }[]>(
      `EXPLAIN QUERY PLAN ${q.sql}`,
      ...q.params,
    );
    plans.push({ sql: q.sql, detail: rows.map((r) => r.detail).join("\n") });
  }
  return plans;
}

/** No full read of a delivery table or index, no sort of a whole result before the page is cut. */
function expectIndexed(plans: Plan[]) {
  expect(plans.length).toBeGreaterThan(0);
  for (const plan of plans) {
    const context = `${plan.detail}\n-- for --\n${plan.sql}`;
    expect(plan.detail, context).not.toMatch(
      /\bSCAN (main\.)?(Delivery|DeliveryAttempt)\b/,
    );
    expect(plan.detail, context).toMatch(
      /\bSEARCH (main\.)?(Delivery|DeliveryAttempt)\b/,
    );
    // Sorting the handful of rows one order name, order id or primary keys find is fine; sorting a shop's
    // log is not. "RIGHT PART OF ORDER BY" (the id tie-break within one timestamp) is fine.
    if (
      !/USING INDEX (sqlite_autoindex_Delivery_1 \(id=\?\)|Delivery_shop_orderName_idx \(shop=\? AND orderName=\?\)|Delivery_shop_orderId_source_idx \(shop=\? AND orderId=\? AND source=\?\))/.test(
        plan.detail,
      )
    )
      expect(plan.detail, context).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
  }
}

const list = async (query: string) => {
  const { listDeliveries } = await import("~/delivery-log/delivery-log.server");
  return plansOf(() =>
    listDeliveries(SHOP, new URLSearchParams(query), { prisma: logged }),
  );
};

/** The index the page query (the first one sent) searches, with the columns it constrains. */
const pageIndex = (plans: Plan[]) =>
  /SEARCH (?:main\.)?Delivery USING (?:COVERING )?INDEX (\S+) \(([^)]*)\)/
    .exec(plans[0].detail)
    ?.slice(1, 3);

describe("admin view query plans on SQLite", () => {
  it.each([
    [
      "",
      "Delivery_shop_source_createdAt_status_matchKeys_idx",
      "shop=? AND source=?",
    ],
    [
      "range=24h",
      "Delivery_shop_source_createdAt_status_matchKeys_idx",
      "shop=? AND source=? AND createdAt>?",
    ],
    [
      "range=30d&source=storefront",
      "Delivery_shop_source_createdAt_status_matchKeys_idx",
      "shop=? AND source=? AND createdAt>?",
    ],
    [
      "status=failed",
      "Delivery_shop_source_status_createdAt_pixelCode_idx",
      "shop=? AND source=? AND status=?",
    ],
    [
      "status=delivered&source=test",
      "Delivery_shop_source_status_createdAt_pixelCode_idx",
      "shop=? AND source=? AND status=?",
    ],
    [
      "status=skipped&range=7d",
      "Delivery_shop_source_status_createdAt_pixelCode_idx",
      "shop=? AND source=? AND status=? AND createdAt>?",
    ],
    [
      "status=pending&source=all",
      "Delivery_shop_status_createdAt_pixelCode_idx",
      "shop=? AND status=?",
    ],
    ["source=all", "Delivery_shop_createdAt_idx", "shop=?"],
    [
      "source=all&range=custom&from=2026-11-01&to=2026-11-02",
      "Delivery_shop_createdAt_idx",
      "shop=? AND createdAt>? AND createdAt<?",
    ],
  ])("list ?%s reads %s", async (query, index, constrained) => {
    const plans = await list(query);
    expectIndexed(plans);
    expect(pageIndex(plans)).toEqual([index, constrained]);
  });

  // The pixel filter: the pixel's own index when it leads, else a status index that ends in
  // the pixel code, so the code is checked in the index and only the rows shown are read.
  it.each([
    [
      `pixel=${PIXEL_B}`,
      "Delivery_shop_pixelCode_source_createdAt_status_idx",
      "shop=? AND pixelCode=? AND source=?",
    ],
    [
      `pixel=${PIXEL_B}&range=7d`,
      "Delivery_shop_pixelCode_source_createdAt_status_idx",
      "shop=? AND pixelCode=? AND source=? AND createdAt>?",
    ],
    [
      `pixel=${PIXEL}&source=storefront`,
      "Delivery_shop_pixelCode_source_createdAt_status_idx",
      "shop=? AND pixelCode=? AND source=?",
    ],
    [
      `pixel=${PIXEL_B}&source=all`,
      "Delivery_shop_pixelCode_createdAt_status_idx",
      "shop=? AND pixelCode=?",
    ],
    [
      `pixel=${PIXEL_B}&source=all&range=24h`,
      "Delivery_shop_pixelCode_createdAt_status_idx",
      "shop=? AND pixelCode=? AND createdAt>?",
    ],
    [
      `pixel=${PIXEL_B}&status=failed`,
      "Delivery_shop_source_status_createdAt_pixelCode_idx",
      "shop=? AND source=? AND status=?",
    ],
    [
      `pixel=${PIXEL_B}&status=skipped&range=7d`,
      "Delivery_shop_source_status_createdAt_pixelCode_idx",
      "shop=? AND source=? AND status=? AND createdAt>?",
    ],
    [
      `pixel=${PIXEL_B}&status=pending&source=all`,
      "Delivery_shop_pixelCode_createdAt_status_idx",
      "shop=? AND pixelCode=?",
    ],
  ])("list ?%s reads %s", async (query, index, constrained) => {
    const plans = await list(query);
    expectIndexed(plans);
    expect(pageIndex(plans)).toEqual([index, constrained]);
    // Whichever index leads, the other condition is one of its columns.
    const columns = index.replace(/^Delivery_|_idx$/g, "").split("_");
    expect(columns).toContain("pixelCode");
    if (query.includes("status=")) expect(columns).toContain("status");
  });

  it("lists the pixel codes in the log one index seek per code", async () => {
    const { loggedPixelCodes } =
      await import("~/delivery-log/delivery-log.server");
    let codes: string[] = [];
    const plans = await plansOf(async () => {
      codes = await loggedPixelCodes(SHOP, logged);
    });
    expect(codes).toEqual([PIXEL, PIXEL_B]);
    // One statement: the smallest code, then the next after each one found, each a seek into
    // a (shop, pixelCode, …) index that stops at its first row.
    expect(plans).toHaveLength(1);
    expectIndexed(plans);
    expect(plans[0].detail).toMatch(
      /SEARCH (?:main\.)?Delivery USING (?:COVERING )?INDEX Delivery_shop_pixelCode_\w+ \(shop=\?\)/,
    );
    expect(plans[0].detail).toMatch(
      /SEARCH (?:main\.)?Delivery USING (?:COVERING )?INDEX Delivery_shop_pixelCode_\w+ \(shop=\? AND pixelCode>\?\)/,
    );
  });

  it("reads an order's Purchase at every pixel through the (shop, orderId) index", async () => {
    const { getDeliveryDetail } =
      await import("~/delivery-log/delivery-log.server");
    let detail: Awaited<ReturnType<typeof getDeliveryDetail>> = null;
    const plans = await plansOf(async () => {
      detail = await getDeliveryDetail(SHOP, detailId, { prisma: logged });
    });
    expectIndexed(plans);
    expect(detail!.orderPixels?.map((p) => [p.pixelCode, p.eventName])).toEqual(
      [
        [PIXEL, "Purchase"],
        [PIXEL_B, "CompletePayment"],
      ],
    );
    expect(plans.map((p) => p.detail).join("\n")).toMatch(
      /SEARCH (?:main\.)?Delivery USING INDEX Delivery_shop_orderId_source_idx \(shop=\? AND orderId=\? AND source=\?\)/,
    );
  });

  it("pages from the cursor on, forwards and back, without reading the newer rows", async () => {
    for (const query of [
      `after=${nextCursor}`,
      `before=${nextCursor}`,
      `status=pending&after=${nextCursor}`,
      `pixel=${PIXEL_B}&after=${nextCursor}`,
      `pixel=${PIXEL_B}&status=failed&before=${nextCursor}`,
    ]) {
      const plans = await list(query);
      expectIndexed(plans);
      // Each query (the page, and the check for rows on the other side) starts at the cursor;
      // the others list the pixel codes (tested above) or tell an empty page's cause.
      const paging = plans.filter(
        (p) =>
          !p.sql.includes("WITH RECURSIVE codes") &&
          !p.sql.endsWith(
            "WHERE `main`.`Delivery`.`shop` = ? LIMIT ? OFFSET ?",
          ),
      );
      expect(paging.length).toBeGreaterThan(0);
      for (const plan of paging)
        expect(plan.detail, plan.sql).toMatch(/createdAt[<>]\?/);
    }
  });

  it("searches an order by name through the name index, then pages the few rows by id", async () => {
    for (const query of [
      "q=%231001",
      "q=1001",
      "q=1001&status=failed&range=7d",
      "q=nothing-like-it",
    ]) {
      const plans = await list(query);
      expectIndexed(plans);
      expect(plans[0].detail).toMatch(
        /SEARCH (?:main\.)?Delivery USING INDEX Delivery_shop_orderName_idx \(shop=\? AND orderName=\?\)/,
      );
      const page = plans.find((p) =>
        p.sql.includes("ORDER BY `main`.`Delivery`.`createdAt`"),
      );
      if (page)
        expect(page.detail).toMatch(/sqlite_autoindex_Delivery_1 \(id=\?\)/);
    }
  });

  it('answers "no deliveries" or "no matches" with one indexed look', async () => {
    expectIndexed(await list("status=failed&source=test&range=24h"));
  });

  it("reads one delivery and its latest attempts by key", async () => {
    const { getDeliveryDetail } =
      await import("~/delivery-log/delivery-log.server");
    const plans = await plansOf(() =>
      getDeliveryDetail(SHOP, detailId, { prisma: logged }),
    );
    expectIndexed(plans);
    expect(plans.map((p) => p.detail).join("\n")).toMatch(
      /SEARCH (?:main\.)?DeliveryAttempt USING INDEX DeliveryAttempt_deliveryId_startedAt_idx \(deliveryId=\?\)/,
    );
  });

  it("reads the home summary's 7 days from the day summary's key, never the deliveries", async () => {
    const { loadDeliverySummary } =
      await import("~/delivery-log/delivery-log.server");
    queries.length = 0;
    const summary = await loadDeliverySummary(SHOP, {
      prisma: logged,
      now: new Date(Date.now() + DAY),
    });
    // The rows enqueued above are counted (the day summary is not empty) ...
    expect(summary.ordersSeen).toBeGreaterThan(0);
    // ... without one query to the delivery tables.
    expect(queries.filter((q) => /`Delivery(Attempt)?`/.test(q.sql))).toEqual(
      [],
    );
    const sent = queries.filter((q) => /`DeliveryDaySummary`/.test(q.sql));
    expect(sent).toHaveLength(1);
    const rows = await logged.$queryRawUnsafe<{ detail: string }[]>(
      `EXPLAIN QUERY PLAN ${sent[0].sql}`,
      ...sent[0].params,
    );
    const detail = rows.map((r) => r.detail).join("\n");
    expect(detail).toMatch(
      /SEARCH (?:main\.)?DeliveryDaySummary USING INDEX sqlite_autoindex_DeliveryDaySummary_1 \(shop=\? AND day>\?\)/,
    );
  });
});
