// The process's Prometheus registry and what the app records into it. Kept on globalThis (like
// the delivery runtime) so a Remix dev reload reuses it instead of registering every metric twice.
// Labels stay low-cardinality on purpose: topics, outcome kinds and TikTok codes, never a shop,
// an id, an email or an IP.
import type { PrismaClient } from "@prisma/client";
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from "prom-client";
import type { AttemptRecord } from "~/tiktok/client.server";
import { countDue, countLeased, oldestDueSeconds } from "./outbox-depth.server";
import { errorSummary, logger } from "./logger.server";

export const METRIC_PREFIX = "tiktok_events_";

export type WebhookOutcome =
  "queued" | "skipped" | "duplicate" | "ignored" | "rejected";

/** Why an app proxy request was refused, as a class (never the request's own details). */
export type ProxyRejection = "signature" | "body" | "size" | "rate_limited";

export type SettledOutcome = "delivered" | "failed" | "rescheduled";

export type RetentionKind =
  "attribution_sessions" | "deliveries" | "webhook_receipts";

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const name = (n: string) => METRIC_PREFIX + n;
  const registers = [registry];
  return {
    registry,
    /** Who reads the outbox at scrape time: the client the scraping route hands over. */
    outboxDb: null as PrismaClient | null,
    webhooks: new Counter({
      name: name("webhooks_received_total"),
      help: "Order webhooks received, by topic and outcome.",
      labelNames: ["topic", "outcome"] as const,
      registers,
    }),
    proxy: new Counter({
      name: name("proxy_requests_total"),
      help: "App proxy (storefront) requests, accepted or rejected by reason class.",
      labelNames: ["outcome", "reason"] as const,
      registers,
    }),
    settled: new Counter({
      name: name("deliveries_settled_total"),
      help: "Deliveries settled by the worker, by outcome and TikTok response code.",
      labelNames: ["outcome", "code"] as const,
      registers,
    }),
    retries: new Counter({
      name: name("delivery_retries_total"),
      help: "Deliveries rescheduled for another try.",
      registers,
    }),
    tiktokLatency: new Histogram({
      name: name("tiktok_request_duration_seconds"),
      help: "TikTok Events API request duration, by outcome kind.",
      labelNames: ["outcome"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    retention: new Counter({
      name: name("retention_deleted_total"),
      help: "Rows deleted by the retention task, by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
  };
}

type Metrics = ReturnType<typeof createMetrics>;

declare global {
  // eslint-disable-next-line no-var
  var appMetrics: Metrics | undefined;
}

function metrics(): Metrics {
  if (!globalThis.appMetrics) {
    const created = createMetrics();
    globalThis.appMetrics = created;
    registerOutboxGauges(created);
  }
  return globalThis.appMetrics;
}

// Computed when scraped, so the numbers are the database's whichever process delivers. A failed
// read leaves the scrape answering (process metrics, counters) with the gauge at NaN: unknown.
function registerOutboxGauges(m: Metrics): void {
  const gauge = (
    name: string,
    help: string,
    read: (db: PrismaClient) => Promise<number>,
  ) =>
    new Gauge({
      name: METRIC_PREFIX + name,
      help,
      registers: [m.registry],
      async collect() {
        try {
          if (!m.outboxDb) throw new Error("no database client");
          this.set(await read(m.outboxDb));
        } catch (error) {
          logger().warn(
            { metric: name, error: errorSummary(error) },
            "metrics: gauge read failed",
          );
          this.set(NaN);
        }
      },
    });
  gauge(
    "outbox_due_rows",
    "Outbox rows due now and not leased (waiting for a worker).",
    (db) => countDue(db),
  );
  gauge(
    "outbox_leased_rows",
    "Outbox rows currently leased by a worker.",
    (db) => countLeased(db),
  );
  gauge(
    "outbox_oldest_due_seconds",
    "Seconds the longest-waiting due, unleased outbox row has been due (0 when none).",
    (db) => oldestDueSeconds(db),
  );
}

/**
 * The registry, its outbox gauges reading through `db`. This module imports no database client
 * itself: the worker and retention import it, and must not open the app's database on load.
 */
export function metricsRegistry(db: PrismaClient): Registry {
  const m = metrics();
  m.outboxDb = db;
  return m.registry;
}

/** `topic` is the verified topic (ORDERS_CREATE…), null when the webhook failed verification. */
export function recordWebhook(
  topic: string | null,
  outcome: WebhookOutcome,
): void {
  metrics().webhooks.inc({ topic: topicLabel(topic), outcome });
}

/** Only the order topics this route serves; anything else is one bucket. */
function topicLabel(topic: string | null): string {
  if (topic === null) return "unverified";
  return topic === "ORDERS_CREATE" || topic === "ORDERS_PAID"
    ? topic.toLowerCase()
    : "other";
}

export function recordProxyAccepted(): void {
  metrics().proxy.inc({ outcome: "accepted", reason: "none" });
}

export function recordProxyRejected(reason: ProxyRejection): void {
  metrics().proxy.inc({ outcome: "rejected", reason });
}

export function recordSettled(
  outcome: SettledOutcome,
  code: number | null,
): void {
  const m = metrics();
  m.settled.inc({ outcome, code: code === null ? "none" : String(code) });
  if (outcome === "rescheduled") m.retries.inc();
}

/** One observation per TikTok request (not per event it carried). */
export function recordTikTokRequest(
  attempt: Pick<AttemptRecord, "durationMs" | "outcome">,
): void {
  metrics().tiktokLatency.observe(
    { outcome: attempt.outcome },
    attempt.durationMs / 1000,
  );
}

export function recordRetention(kind: RetentionKind, count: number): void {
  if (count > 0) metrics().retention.inc({ kind }, count);
}
