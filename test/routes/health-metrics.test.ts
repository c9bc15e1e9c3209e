import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, renameSync } from "node:fs";
import path from "node:path";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { APP_URL, createTestApp, type TestApp } from "../support/test-app";
import { configureShop } from "../support/shops";
import { orderBody, simpleOrder } from "../fixtures/orders";

const SHOP = "metrics-shop.myshopify.com";
const PIXEL = "CMETRICSPIXEL000001";
const TIKTOK_TOKEN = "metrics-access-token";
const METRICS_TOKEN = "scrape-secret-0123456789";

let app: TestApp;
let tiktok: TikTokStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({
    accessTokens: { [TIKTOK_TOKEN]: [PIXEL] },
  });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  delete process.env.METRICS_TOKEN;
});
afterAll(async () => {
  delete process.env.METRICS_TOKEN;
  await app.close();
  await tiktok.close();
});

const get = (pathname: string, headers: Record<string, string> = {}) =>
  app.handle(new Request(new URL(pathname, APP_URL), { headers }));

const MIGRATIONS = readdirSync(path.resolve("prisma", "migrations"), {
  withFileTypes: true,
})
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

/** What `prisma migrate deploy` leaves behind (the test database is migrated without it). */
async function recordMigrations(names: string[]) {
  await app.prisma
    .$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`);
  for (const name of names) {
    await app.prisma.$executeRawUnsafe(
      `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "applied_steps_count")
       VALUES (?, 'test', current_timestamp, ?, 1)`,
      `id-${name}`,
      name,
    );
  }
}

async function readiness() {
  const res = await get("/readyz");
  const text = await res.text();
  // Whatever goes wrong, the answer never names the database.
  expect(text).not.toContain(app.dbFile);
  expect(text).not.toContain("sqlite");
  return { status: res.status, body: JSON.parse(text) };
}

describe("/healthz and /readyz", () => {
  it("/healthz answers ok", async () => {
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
  });

  it("/readyz is 503 until the migrations are recorded, then 200", async () => {
    expect(MIGRATIONS.length).toBeGreaterThan(0);
    // Tables exist, but nothing says a migration was deployed.
    expect(await readiness()).toEqual({
      status: 503,
      body: { status: "not_ready", reason: "migrations_pending" },
    });
    await recordMigrations(MIGRATIONS);
    expect(await readiness()).toEqual({
      status: 200,
      body: { status: "ready" },
    });
  });

  it("/readyz is 503 while a committed migration is missing or rolled back", async () => {
    const last = MIGRATIONS.at(-1)!;
    await app.prisma.$executeRawUnsafe(
      `DELETE FROM "_prisma_migrations" WHERE "migration_name" = ?`,
      last,
    );
    expect(await readiness()).toEqual({
      status: 503,
      body: {
        status: "not_ready",
        reason: "migrations_pending",
        pending: [last],
      },
    });
    await recordMigrations([last]);
    await app.prisma.$executeRawUnsafe(
      `UPDATE "_prisma_migrations" SET "rolled_back_at" = current_timestamp WHERE "migration_name" = ?`,
      last,
    );
    expect((await readiness()).status).toBe(503);
    await app.prisma.$executeRawUnsafe(
      `UPDATE "_prisma_migrations" SET "rolled_back_at" = NULL WHERE "migration_name" = ?`,
      last,
    );
    expect((await readiness()).status).toBe(200);
  });

  it("/readyz is 503 while the database cannot be opened, and 200 once it is back", async () => {
    const dir = path.dirname(app.dbFile);
    // The open connection would keep the moved file; dropping it makes the next query reopen
    // the path, which is gone with its folder.
    await app.prisma.$disconnect();
    renameSync(dir, `${dir}-away`);
    try {
      await expect(app.prisma.$queryRawUnsafe("SELECT 1")).rejects.toThrow();
      expect(await readiness()).toEqual({
        status: 503,
        body: { status: "not_ready", reason: "database_unreachable" },
      });
      expect((await get("/healthz")).status).toBe(200);
    } finally {
      renameSync(`${dir}-away`, dir);
    }
    expect(await readiness()).toEqual({
      status: 200,
      body: { status: "ready" },
    });
  });
});

/** Samples by name and sorted labels, e.g. `x_total{a="1",b="2"}`. */
type Samples = Map<string, number>;

function parseSamples(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`Unparsable sample line: ${line}`);
    const labels = [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, k, v]) => `${k}="${v}"`)
      .sort();
    samples.set(key(m[1], labels), Number(m[3]));
  }
  return samples;
}

function key(name: string, labels: string[]) {
  return labels.length ? `${name}{${labels.join(",")}}` : name;
}

function sample(
  samples: Samples,
  name: string,
  labels: Record<string, string> = {},
): number {
  const k = key(
    `tiktok_events_${name}`,
    Object.entries(labels)
      .map(([l, v]) => `${l}="${v}"`)
      .sort(),
  );
  return samples.get(k) ?? 0;
}

async function scrape(): Promise<Samples> {
  const res = await get("/metrics", {
    Authorization: `Bearer ${METRICS_TOKEN}`,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/plain");
  return parseSamples(await res.text());
}

function sendOrder(order = simpleOrder(), webhookId?: string) {
  return app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(order),
      webhookId,
    }),
  );
}

function proxy(payload: string, secret?: string) {
  return app.handle(
    app.appProxyRequest("/proxy/collect", {
      shop: SHOP,
      body: payload,
      secret,
    }),
  );
}

const storefrontBody = () =>
  JSON.stringify({
    v: 1,
    session_id: "sid_metrics_0123456789ab",
    consent: "granted",
    page: { url: `https://${SHOP}/products/shirt` },
    events: [
      {
        event: "ViewContent",
        event_id: "vc-metrics-000001",
        event_time: Math.floor(Date.now() / 1000),
        properties: { currency: "EUR", value: 5 },
      },
    ],
  });

async function runWorkerCycle() {
  const { DeliveryWorker } = await import("~/delivery/worker.server");
  const { createTikTokClient } = await import("~/tiktok/client.server");
  const worker = new DeliveryWorker({
    prisma: app.prisma,
    client: createTikTokClient({ baseUrl: tiktok.url }),
    retryPolicy: { minMs: 60_000, baseMs: 60_000 },
  });
  return worker.runOnce();
}

const due = () =>
  app.prisma.outboxEntry.count({
    where: { nextAttemptAt: { lte: new Date() }, leaseExpiresAt: null },
  });

describe("/metrics", () => {
  it("is off (404) without METRICS_TOKEN", async () => {
    delete process.env.METRICS_TOKEN;
    const res = await get("/metrics", {
      Authorization: `Bearer ${METRICS_TOKEN}`,
    });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("tiktok_events_");
  });

  it("answers 401 without the bearer token or with a wrong one", async () => {
    process.env.METRICS_TOKEN = METRICS_TOKEN;
    for (const headers of [
      {} as Record<string, string>,
      { Authorization: "Bearer wrong-token" },
      { Authorization: `Basic ${METRICS_TOKEN}` },
    ]) {
      const res = await get("/metrics", headers);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain("tiktok_events_");
    }
  });

  it("serves process metrics and the outbox gauges with the token", async () => {
    process.env.METRICS_TOKEN = METRICS_TOKEN;
    // prom-client counts CPU from the registry's creation, which the first scrape may trigger:
    // scrape once, spend some CPU, then read the counter.
    await scrape();
    const until = performance.now() + 50;
    while (performance.now() < until) Math.sqrt(Math.random());
    const samples = await scrape();
    expect(sample(samples, "process_cpu_user_seconds_total")).toBeGreaterThan(
      0,
    );
    expect(samples.has("tiktok_events_outbox_due_rows")).toBe(true);
    expect(samples.has("tiktok_events_outbox_leased_rows")).toBe(true);
    expect(samples.has("tiktok_events_outbox_oldest_due_seconds")).toBe(true);
  });

  it("moves with webhooks, proxy requests, worker cycles and retention", async () => {
    process.env.METRICS_TOKEN = METRICS_TOKEN;
    await configureShop(SHOP, {
      pixelCode: PIXEL,
      accessToken: TIKTOK_TOKEN,
      consentPolicy: "send",
    });
    const before = await scrape();
    expect(sample(before, "outbox_due_rows")).toBe(await due());

    // Traffic: a queued order webhook, its duplicate, an unverifiable one; proxy requests.
    const order = simpleOrder();
    expect((await sendOrder(order, "wh-metrics-1")).status).toBe(200);
    expect((await sendOrder(order, "wh-metrics-1")).status).toBe(200);
    const forged = app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(simpleOrder()),
      secret: "not-the-app-secret",
    });
    expect((await app.handle(forged)).status).toBe(401);
    expect((await proxy(storefrontBody())).status).toBe(204);
    expect((await proxy(storefrontBody(), "not-the-app-secret")).status).toBe(
      400,
    );
    expect((await proxy("{not json")).status).toBe(400);

    const queued = await scrape();
    const delta = (s: Samples, name: string, labels = {}) =>
      sample(s, name, labels) - sample(before, name, labels);
    const webhooks = (outcome: string, topic = "orders_create") => ({
      topic,
      outcome,
    });
    expect(delta(queued, "webhooks_received_total", webhooks("queued"))).toBe(
      1,
    );
    expect(
      delta(queued, "webhooks_received_total", webhooks("duplicate")),
    ).toBe(1);
    expect(
      delta(
        queued,
        "webhooks_received_total",
        webhooks("rejected", "unverified"),
      ),
    ).toBe(1);
    const proxyRequests = (outcome: string, reason: string) => ({
      outcome,
      reason,
    });
    expect(
      delta(queued, "proxy_requests_total", proxyRequests("accepted", "none")),
    ).toBe(1);
    expect(
      delta(
        queued,
        "proxy_requests_total",
        proxyRequests("rejected", "signature"),
      ),
    ).toBe(1);
    expect(
      delta(queued, "proxy_requests_total", proxyRequests("rejected", "body")),
    ).toBe(1);
    // The order and the ViewContent wait in the outbox.
    const waiting = await due();
    expect(waiting).toBeGreaterThanOrEqual(2);
    expect(sample(queued, "outbox_due_rows")).toBe(waiting);
    expect(sample(queued, "outbox_leased_rows")).toBe(0);
    expect(sample(queued, "outbox_oldest_due_seconds")).toBeGreaterThanOrEqual(
      0,
    );

    // A worker cycle delivers them all through the stand-in.
    const requestsBefore = tiktok.requests.length;
    expect(await runWorkerCycle()).toBe(waiting);
    const sent = tiktok.requests.length - requestsBefore;
    expect(sent).toBeGreaterThan(0);
    const delivered = await scrape();
    const settledDelta = (outcome: string, code: string) =>
      sample(delivered, "deliveries_settled_total", { outcome, code }) -
      sample(queued, "deliveries_settled_total", { outcome, code });
    expect(settledDelta("delivered", "0")).toBe(waiting);
    expect(
      sample(delivered, "tiktok_request_duration_seconds_count", {
        outcome: "accepted",
      }) -
        sample(queued, "tiktok_request_duration_seconds_count", {
          outcome: "accepted",
        }),
    ).toBe(sent);
    expect(
      sample(delivered, "tiktok_request_duration_seconds_sum", {
        outcome: "accepted",
      }),
    ).toBeGreaterThan(
      sample(queued, "tiktok_request_duration_seconds_sum", {
        outcome: "accepted",
      }),
    );
    expect(sample(delivered, "outbox_due_rows")).toBe(0);

    // A rate-limited send is rescheduled: a retry, with TikTok's code.
    tiktok.setBehaviour({ forced: { kind: "rateLimit" } });
    expect((await sendOrder(simpleOrder())).status).toBe(200);
    expect(await runWorkerCycle()).toBe(1);
    tiktok.setBehaviour({ forced: null });
    const retried = await scrape();
    expect(
      sample(retried, "deliveries_settled_total", {
        outcome: "rescheduled",
        code: "40100",
      }) -
        sample(delivered, "deliveries_settled_total", {
          outcome: "rescheduled",
          code: "40100",
        }),
    ).toBe(1);
    expect(
      sample(retried, "delivery_retries_total") -
        sample(delivered, "delivery_retries_total"),
    ).toBe(1);
    expect(
      sample(retried, "tiktok_request_duration_seconds_count", {
        outcome: "retryable",
      }) -
        sample(delivered, "tiktok_request_duration_seconds_count", {
          outcome: "retryable",
        }),
    ).toBeGreaterThanOrEqual(1);
    // Rescheduled a minute ahead: in the outbox, not due yet.
    expect(sample(retried, "outbox_due_rows")).toBe(0);

    // Leased rows are counted as leased, not due.
    await app.prisma.outboxEntry.updateMany({
      data: { nextAttemptAt: new Date(Date.now() - 30_000) },
    });
    const afterBackdate = await scrape();
    expect(sample(afterBackdate, "outbox_due_rows")).toBe(1);
    expect(
      sample(afterBackdate, "outbox_oldest_due_seconds"),
    ).toBeGreaterThanOrEqual(29);
    await app.prisma.outboxEntry.updateMany({
      data: {
        leaseOwner: "someone",
        leaseExpiresAt: new Date(Date.now() + 60_000),
      },
    });
    const leased = await scrape();
    expect(sample(leased, "outbox_due_rows")).toBe(0);
    expect(sample(leased, "outbox_leased_rows")).toBe(1);
    expect(sample(leased, "outbox_oldest_due_seconds")).toBe(0);

    // Retention counts what it deleted, by kind.
    const { applyRetention } = await import("~/retention/retention.server");
    const removed = await applyRetention(
      app.prisma,
      { attributionDays: 1, deliveryLogDays: 1, webhookReceiptDays: 1 },
      new Date(Date.now() + 10 * 86_400_000),
    );
    expect(removed.webhookReceipts).toBeGreaterThan(0);
    expect(removed.deliveries).toBeGreaterThan(0);
    const retained = await scrape();
    for (const [kind, count] of [
      ["webhook_receipts", removed.webhookReceipts],
      ["deliveries", removed.deliveries],
      ["attribution_sessions", removed.attributionSessions],
    ] as const) {
      expect(
        sample(retained, "retention_deleted_total", { kind }) -
          sample(leased, "retention_deleted_total", { kind }),
      ).toBe(count);
    }
  });

  it("never labels a sample with a shop, an IP or an id", async () => {
    process.env.METRICS_TOKEN = METRICS_TOKEN;
    const res = await get("/metrics", {
      Authorization: `Bearer ${METRICS_TOKEN}`,
    });
    const text = await res.text();
    expect(text).not.toContain(SHOP);
    expect(text).not.toContain(PIXEL);
    expect(text).not.toContain("203.0.113");
  });
});
