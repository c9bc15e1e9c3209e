// Admin views at scale: the delivery log (list, search, filters), the delivery detail and the
// home page (7-day summary with match-key coverage), timed through the same server functions
// their loaders call, at 100,000 and 1,000,000 deliveries of one shop (plus a second shop's
// rows, so the shop scoping is real), on SQLite and on PostgreSQL. The shop has two pixels, as
// a shop feeding an agency's pixel does: every order is a Purchase at both (the second names it
// CompletePayment), storefront events go to the first only.
//
// The rows are written through the outbox module, as the app writes them: `enqueue` (batched,
// many calls per transaction), then a worker's `claim` and `settle` for the ones delivered or
// failed, so statuses, attempts and match keys are what the app itself would store. Creation
// times are spread over the delivery log's default retention window (90 days).
//
// Each database is measured in a child process of its own (the app's configuration and Prisma
// client are per process). PostgreSQL: TEST_POSTGRES_URL or BENCH_POSTGRES_URL, else a throwaway
// cluster from .ci/postgres.sh, else skipped. BENCH_ADMIN_SIZES (e.g. "20000,100000") and
// BENCH_ADMIN_DATABASES ("sqlite", "postgresql") narrow a run.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NewDelivery } from "../../app/delivery/outbox/enqueue.server";
import type {
  SettleDecision,
  SettlePlan,
} from "../../app/delivery/outbox/settle-plan";
import { TEST_ENCRYPTION_KEY } from "../support/constants";
import { fmt } from "./load";
import { postgresServer } from "./worker-scaling";

const NAME = "admin-views";
const SHOP = "bench-admin.myshopify.com";
const OTHER_SHOP = "bench-admin-other.myshopify.com";
const PIXEL = "CBENCHADMIN00000001";
/** The shop's second pixel: Purchases only. */
const PIXEL_B = "CBENCHADMIN00000002";
const GOAL_MS = 100;
const RUNS = 15;
const RETENTION_DAYS = 90;
/** Rows per transaction while seeding, and per enqueue call (a call's rows share a creation time). */
const TX_ROWS = 10_000;
const CALL_ROWS = 500;
const SETTLE_ROWS = 1_000;
/** One row in 50 belongs to the other shop. */
const OTHER_SHOP_EVERY = 50;
const FIRST_ORDER = 1001;
const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
);

interface BenchReport {
  name: string;
  lines: string[];
}

function sizes(): number[] {
  const given = process.env.BENCH_ADMIN_SIZES?.trim();
  const list = given
    ? given.split(",").map((s) => Number(s.trim()))
    : [100_000, 1_000_000];
  if (list.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(`BENCH_ADMIN_SIZES must be positive integers: ${given}`);
  return list.sort((a, b) => a - b);
}

async function inChild(
  env: Record<string, string>,
): Promise<{ lines: string[] }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url)],
    {
      cwd: ROOT,
      env: { ...process.env, VITEST: "", ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let stdout = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
    // Progress lines go through as they come: seeding a million rows takes minutes.
    for (const line of String(d).split("\n"))
      if (line.startsWith("[admin-views]")) console.log(`  ${line}`);
  });
  const code = await new Promise<number | null>((resolve) =>
    child.once("exit", resolve),
  );
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !last.startsWith("{"))
    throw new Error(`${NAME} measurement exited with ${code}:\n${stdout}`);
  return JSON.parse(last) as { lines: string[] };
}

export async function run(): Promise<BenchReport> {
  const wanted = (
    process.env.BENCH_ADMIN_DATABASES ?? "sqlite,postgresql"
  ).split(",");
  const lines: string[] = [
    `median of ${RUNS} runs per view (after one warm-up), ${os.cpus().length} CPUs shared with the seeding's database; ` +
      `goal <= ${GOAL_MS} ms per view`,
  ];
  if (wanted.includes("sqlite")) {
    // BENCH_ADMIN_SQLITE_FILE keeps the seeded database (a new file) for reading query plans.
    const keep = process.env.BENCH_ADMIN_SQLITE_FILE?.trim();
    if (keep && existsSync(keep)) throw new Error(`${keep} exists already`);
    const dir = mkdtempSync(path.join(os.tmpdir(), "bench-admin-"));
    try {
      const url = `file:${keep ? path.resolve(keep) : path.join(dir, "bench.sqlite")}`;
      const { applyMigrations } = await import("../support/database");
      await applyMigrations(url);
      lines.push(
        "SQLite:",
        ...(await inChild({ BENCH_ADMIN_DATABASE_URL: url })).lines,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (wanted.includes("postgresql")) {
    const { postgresClientDir } =
      await import("../../app/db/postgres-client.server");
    if (!existsSync(path.join(postgresClientDir(), "index.js"))) {
      lines.push(
        "PostgreSQL: skipped (the PostgreSQL Prisma client is not generated: npx prisma generate --schema prisma/postgresql/schema.prisma)",
      );
    } else {
      const server = await postgresServer();
      if (typeof server === "string")
        lines.push(`PostgreSQL: skipped (${server})`);
      else {
        try {
          const { createPostgresDatabase } =
            await import("../support/postgres");
          const db = await createPostgresDatabase(server.url, "tiktok_admin");
          try {
            lines.push(
              "PostgreSQL:",
              ...(await inChild({ BENCH_ADMIN_DATABASE_URL: db.url })).lines,
            );
          } finally {
            await db.drop().catch(() => {});
          }
        } finally {
          await server.stop();
        }
      }
    }
  }
  return { name: NAME, lines };
}

// ---------------------------------------------------------------------------
// The measuring process

/** A small deterministic PRNG (mulberry32), so every run seeds the same rows. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Planned = "delivered" | "failed" | "skipped" | "pending";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function measure(databaseUrl: string): Promise<{ lines: string[] }> {
  Object.assign(process.env, {
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    DELIVERY_WORKER: "off",
  });
  globalThis.prismaGlobal = undefined;
  const postgres = /^postgres(ql)?:/.test(databaseUrl);
  const { default: prisma } = await import("../../app/db.server");
  const { enqueue } = await import("../../app/delivery/outbox/enqueue.server");
  const { claim } = await import("../../app/delivery/outbox/claim.server");
  const { settle } = await import("../../app/delivery/outbox/settle.server");
  const { buildEvent } = await import("../../app/tiktok/event-builder");
  const { hashUserIdentifiers } = await import("../../app/tiktok/hashing");
  const {
    listDeliveries,
    getDeliveryDetail,
    loadDeliverySummary,
    loadPixelChoices,
  } = await import("../../app/delivery-log/delivery-log.server");
  const { loadHome } = await import("../../app/home/home.server");

  const progress = (text: string) => console.log(`[admin-views] ${text}`);
  const rand = random(15_8);
  // Rows are created in time order, as a shop's are, at the pace that fills the retention
  // window at the largest size; the views are asked "now" = just after the newest row.
  const maxSize = sizes().at(-1)!;
  const windowMs = RETENTION_DAYS * 86_400_000;
  const start = Date.now() - windowMs;
  const rowMs = windowMs / maxSize;
  const clock = () => new Date(start + seeded * rowMs + 60_000);
  let seeded = 0; // rows of SHOP
  let order = FIRST_ORDER;
  let session = 0;
  const someIds: string[] = [];
  const phases = { enqueue: 0, claim: 0, settle: 0 };

  /**
   * One event of SHOP or OTHER_SHOP with what it will become: an order of SHOP is a Purchase at
   * both pixels when `room` allows two rows (the same event id, the second pixel's named
   * CompletePayment), as the order webhook fans it out.
   */
  function makeDeliveries(
    shop: string,
    time: Date,
    room: number,
  ): { delivery: NewDelivery; planned: Planned }[] {
    const made = makeDelivery(shop, time);
    if (shop !== SHOP || room < 2 || made.delivery.source !== "order")
      return [made];
    return [
      made,
      {
        planned: made.planned,
        delivery: {
          ...made.delivery,
          pixelCode: PIXEL_B,
          event: { ...made.delivery.event, event: "CompletePayment" },
        },
      },
    ];
  }

  /** One event of SHOP or OTHER_SHOP at the first pixel, with what it will become. */
  function makeDelivery(
    shop: string,
    time: Date,
  ): { delivery: NewDelivery; planned: Planned } {
    const r = rand();
    const seconds = Math.floor(time.getTime() / 1000);
    // Which match keys a shopper brings varies: an email almost always, the TikTok click id
    // and cookie when they came from an ad, a phone for some.
    const hasEmail = rand() < 0.92;
    const hasPhone = rand() < 0.4;
    const fromAd = rand() < 0.35;
    const hasCookie = fromAd || rand() < 0.3;
    if (r < 0.7) {
      const number = order++;
      const p = rand();
      const planned: Planned =
        p < 0.03
          ? "skipped"
          : p < 0.07
            ? "failed"
            : p < 0.1
              ? "pending"
              : "delivered";
      const user = hashUserIdentifiers({
        emails: hasEmail ? [`buyer${number}@example.com`] : [],
        phones: hasPhone
          ? [`+1415555${String(number % 10_000).padStart(4, "0")}`]
          : [],
        externalIds: [String(number)],
      });
      return {
        planned,
        delivery: {
          shop,
          source: "order",
          pixelCode: PIXEL,
          orderId: String(5_000_000_000_000 + number),
          orderName: `#${number}`,
          customerId: String(7_000_000_000_000 + (number % 40_000)),
          skippedReason:
            planned === "skipped"
              ? "The shopper declined marketing consent."
              : undefined,
          event: buildEvent({
            eventName: "Purchase",
            eventId: `${number}_Purchase`,
            eventTime: seconds,
            user: {
              ...user,
              ttclid: fromAd ? `E.C.P.${number}` : undefined,
              ttp: hasCookie ? `ttp-${number}` : undefined,
              ip: "203.0.113.7",
              userAgent: "Mozilla/5.0 (bench)",
            },
            properties: {
              currency: "USD",
              value: 20 + (number % 200),
              orderId: String(number),
              contentType: "product",
              contents: [
                { contentId: String(number % 500), quantity: 1, price: 20 },
              ],
            },
          }),
        },
      };
    }
    const key = `s${++session}`;
    const eventName = r < 0.9 ? "ViewContent" : "AddToCart";
    return {
      planned: rand() < 0.98 ? "delivered" : "failed",
      delivery: {
        shop,
        source: "storefront",
        pixelCode: PIXEL,
        sessionKey: key,
        event: buildEvent({
          eventName,
          eventId: `${key}_${eventName}`,
          eventTime: seconds,
          user: {
            ttclid: fromAd ? `E.C.P.${key}` : undefined,
            ttp: hasCookie ? `ttp-${key}` : undefined,
            ip: "203.0.113.7",
            userAgent: "Mozilla/5.0 (bench)",
          },
          properties: {
            currency: "USD",
            value: 25,
            contentType: "product",
            contents: [{ contentId: String(session % 500), price: 25 }],
          },
          page: { url: `https://${shop}/products/p${session % 500}` },
        }),
      },
    };
  }

  /** Seeds until SHOP has `target` rows; returns the seconds it took. */
  async function seedTo(target: number): Promise<number> {
    const started = performance.now();
    while (seeded < target) {
      const rows = Math.min(TX_ROWS, target - seeded);
      const calls: {
        now: Date;
        items: { delivery: NewDelivery; planned: Planned }[];
      }[] = [];
      for (let done = 0; done < rows; done += CALL_ROWS) {
        const now = new Date(start + (seeded + done) * rowMs);
        const items = [];
        const callRows = Math.min(CALL_ROWS, rows - done);
        for (let n = 0; n < callRows;) {
          for (const item of makeDeliveries(SHOP, now, callRows - n)) {
            items.push(item);
            if ((seeded + done + n++) % OTHER_SHOP_EVERY === 0)
              items.push(makeDelivery(OTHER_SHOP, now));
          }
        }
        calls.push({ now, items });
      }
      const planned = new Map<string, { planned: Planned; at: Date }>();
      let t = performance.now();
      await prisma.$transaction(
        async (tx) => {
          for (const call of calls) {
            const result = await enqueue(
              tx,
              call.items.map((i) => i.delivery),
              call.now,
            );
            result.forEach((r, k) =>
              planned.set(r.deliveryId, {
                planned: call.items[k].planned,
                at: call.now,
              }),
            );
          }
        },
        { timeout: 120_000 },
      );
      // A worker's claim and settle: delivered and failed rows leave the outbox with their
      // attempt records; the ones meant to stay pending keep a long lease, so later claims
      // pass them by.
      phases.enqueue += performance.now() - t;
      // Claims of SETTLE_ROWS, as a worker's batches are (a settle is one transaction, which
      // Prisma times out after 5 s on a busy machine), until this transaction's rows are done.
      for (;;) {
        t = performance.now();
        const claimed = await claim(prisma, {
          owner: "bench-seeder",
          now: new Date(),
          leaseMs: 86_400_000,
          limit: SETTLE_ROWS,
        });
        if (claimed.length === 0) break;
        const decisions: SettleDecision[] = [];
        const delivered: string[] = [];
        const failed: string[] = [];
        for (const entry of claimed) {
          const p = planned.get(entry.delivery.id);
          if (!p || p.planned === "pending" || p.planned === "skipped")
            continue;
          const lastAttemptAt = new Date(p.at.getTime() + 2_000);
          const base = {
            outboxId: entry.id,
            deliveryId: entry.delivery.id,
            tries: 1,
            lastAttemptAt,
          };
          if (p.planned === "delivered") {
            decisions.push({ kind: "delivered", ...base });
            delivered.push(entry.delivery.id);
          } else {
            decisions.push({
              kind: "failed",
              reason: "TikTok code 40001: invalid access token",
              ...base,
            });
            failed.push(entry.delivery.id);
          }
        }
        const attempt = (ids: string[], ok: boolean) => ({
          attempt: {
            startedAt: new Date(),
            durationMs: 120,
            httpStatus: 200,
            code: ok ? 0 : 40001,
            message: ok ? "OK" : "invalid access token",
            requestId: "bench",
            outcome: ok ? ("accepted" as const) : ("permanent" as const),
            batchSize: ids.length,
          },
          deliveryIds: ids,
        });
        const attempts = [];
        for (let i = 0; i < delivered.length; i += 1000)
          attempts.push(attempt(delivered.slice(i, i + 1000), true));
        if (failed.length > 0) attempts.push(attempt(failed, false));
        const plan: SettlePlan = { decisions, attempts };
        phases.claim += performance.now() - t;
        t = performance.now();
        await settle(prisma, "bench-seeder", plan, new Date());
        phases.settle += performance.now() - t;
      }
      for (const id of [...planned.keys()].slice(0, 3))
        if (someIds.length < 1000) someIds.push(id);
      seeded += rows;
      if (seeded % 100_000 === 0 || seeded === target)
        progress(
          `${seeded} deliveries seeded (s in enqueue ${fmt(phases.enqueue / 1000, 1)}, ` +
            `claim ${fmt(phases.claim / 1000, 1)}, settle ${fmt(phases.settle / 1000, 1)})`,
        );
    }
    return (performance.now() - started) / 1000;
  }

  async function time(fn: () => Promise<unknown>): Promise<number> {
    await fn();
    const runs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await fn();
      runs.push(performance.now() - t0);
    }
    return median(runs);
  }

  const lines: string[] = [];
  try {
    // The shop's two pixels, which name the log's pixel column and filter.
    await prisma.shopSettings.create({ data: { shop: SHOP } });
    await prisma.pixel.createMany({
      data: [
        { shop: SHOP, name: "Main store", pixelCode: PIXEL },
        {
          shop: SHOP,
          name: "Agency",
          pixelCode: PIXEL_B,
          purchaseEventName: "CompletePayment",
        },
      ],
    });
    for (const target of sizes()) {
      const before = seeded;
      const seconds = await seedTo(target);
      // What autovacuum does on its own after a bulk load (statistics for the planner, the
      // visibility map for index-only scans), done now so the timings do not wait on it.
      // SQLite gets nothing: the app never runs ANALYZE there.
      if (postgres) await prisma.$executeRawUnsafe('VACUUM ANALYZE "Delivery"');
      // The day summary the seeding kept through the outbox must equal a recount, or the
      // figures below would be of a wrong answer.
      const kept = await prisma.deliveryDaySummary.aggregate({
        where: { shop: SHOP },
        _sum: { count: true },
      });
      const total = await prisma.delivery.count();
      const orders = await prisma.delivery.count({
        where: { shop: SHOP, source: "order" },
      });
      const ofShop = await prisma.delivery.count({ where: { shop: SHOP } });
      if (kept._sum.count !== ofShop)
        throw new Error(
          `day summary counts ${kept._sum.count} deliveries of ${SHOP}, the table has ${ofShop}`,
        );
      lines.push(
        `${target.toLocaleString("en-US")} deliveries of one shop (${total.toLocaleString("en-US")} in all, ${orders.toLocaleString("en-US")} orders), ` +
          `${(target - before).toLocaleString("en-US")} seeded in ${fmt(seconds, 1)} s (${fmt((target - before) / seconds)} rows/s)`,
      );
      // A real order from the middle of the log, and one that does not exist.
      const middle = await prisma.delivery.findFirst({
        where: {
          shop: SHOP,
          source: "order",
          orderName: `#${FIRST_ORDER + Math.floor((order - FIRST_ORDER) / 2)}`,
        },
        select: { id: true, orderName: true },
      });
      const number = (middle?.orderName ?? "#1001").slice(1);
      const first = await listDeliveries(SHOP, new URLSearchParams(), {
        now: clock(),
      });
      const detailId = middle?.id ?? someIds[0];
      const now = clock();
      const day = (daysAgo: number) =>
        new Date(now.getTime() - daysAgo * 86_400_000)
          .toISOString()
          .slice(0, 10);
      const list = (params: Record<string, string> = {}) =>
        listDeliveries(SHOP, new URLSearchParams(params), { now });
      const views: [string, () => Promise<unknown>][] = [
        ["list (orders, newest first)", () => list()],
        ["list, next page", () => list({ after: first.page.nextCursor ?? "" })],
        ["search #order", () => list({ q: `#${number}` })],
        ["search order number", () => list({ q: number })],
        ["search, no match", () => list({ q: "99999999" })],
        ["filter failed", () => list({ status: "failed" })],
        ["filter pending", () => list({ status: "pending" })],
        [
          "filter skipped, 7 days",
          () => list({ status: "skipped", range: "7d" }),
        ],
        ["filter storefront", () => list({ source: "storefront" })],
        [
          "filter everything, failed",
          () => list({ source: "all", status: "failed" }),
        ],
        ["filter last 24 hours", () => list({ range: "24h" })],
        // The pixel filter: the second pixel's orders, then with a status, then everything.
        ["filter pixel", () => list({ pixel: PIXEL_B })],
        [
          "filter pixel, failed",
          () => list({ pixel: PIXEL_B, status: "failed" }),
        ],
        [
          "filter pixel, everything",
          () => list({ pixel: PIXEL, source: "all" }),
        ],
        // What every list above includes for the pixel filter's choices: the shop's pixels,
        // and the codes in the log, one index seek per code.
        ["pixel filter choices (in every list)", () => loadPixelChoices(SHOP)],
        ["filter custom dates", () => list({ from: day(5), to: day(3) })],
        // A Purchase's detail, with the order at both pixels.
        ["order detail", () => getDeliveryDetail(SHOP, detailId)],
        ["home (7-day summary, key coverage)", () => loadHome(SHOP, now)],
        // The home summary alone, from the day summary's rows ...
        [
          "home summary from the day summary (after)",
          () => loadDeliverySummary(SHOP, { now }),
        ],
        // ... and what it cost before the day summary (issue 15): the week's orders
        // counted from the covering index of Delivery, measured in the same run to compare.
        [
          "home summary counted from Delivery (before)",
          () =>
            prisma.delivery.groupBy({
              by: ["status", "matchKeys"],
              where: {
                shop: SHOP,
                source: "order",
                createdAt: { gte: new Date(now.getTime() - 7 * 86_400_000) },
              },
              _count: { _all: true },
            }),
        ],
      ];
      for (const [label, fn] of views) {
        const ms = await time(fn);
        lines.push(
          `  ${label}: ${fmt(ms, 1)} ms  [goal <= ${GOAL_MS} ms: ${ms <= GOAL_MS ? "met" : "NOT met"}]`,
        );
        progress(`${target}: ${label} ${fmt(ms, 1)} ms`);
      }
    }
  } finally {
    await prisma.$disconnect();
  }
  return { lines };
}

if (
  process.argv[1] === fileURLToPath(import.meta.url) &&
  process.env.BENCH_ADMIN_DATABASE_URL
) {
  measure(process.env.BENCH_ADMIN_DATABASE_URL).then(
    (report) => {
      console.log(JSON.stringify(report));
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
