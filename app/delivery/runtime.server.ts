import prisma from "~/db.server";
import { appConfig } from "~/config.server";
import { createTikTokClient, type TikTokClient } from "~/tiktok/client.server";
import { DeliveryWorker } from "./worker.server";
import { IngestWriter } from "./ingest-writer.server";
import { startRetentionJob } from "~/retention/retention.server";

declare global {
  // eslint-disable-next-line no-var
  var deliveryRuntime:
    { client: TikTokClient; worker: DeliveryWorker | null } | undefined;
}

function numberFromEnv(name: string): number | undefined {
  const value = process.env[name];
  return value ? Number(value) : undefined;
}

/** The process-wide TikTok client (keep-alive connections are shared). */
export function tiktokClient(): TikTokClient {
  globalThis.deliveryRuntime ??= {
    client: createTikTokClient({
      baseUrl: appConfig().tiktokApiBaseUrl,
      timeoutMs: numberFromEnv("TIKTOK_TIMEOUT_MS"),
    }),
    worker: null,
  };
  return globalThis.deliveryRuntime.client;
}

export function createDeliveryWorker(): DeliveryWorker {
  return new DeliveryWorker({
    prisma,
    client: tiktokClient(),
    leaseMs: numberFromEnv("DELIVERY_LEASE_MS"),
    idleMs: numberFromEnv("DELIVERY_IDLE_MS"),
    retryPolicy: {
      baseMs: numberFromEnv("DELIVERY_RETRY_BASE_MS"),
      minMs: numberFromEnv("DELIVERY_RETRY_MIN_MS"),
      capMs: numberFromEnv("DELIVERY_RETRY_CAP_MS"),
    },
  });
}

/**
 * Starts the in-process worker once (unless DELIVERY_WORKER=off, e.g. when a separate
 * `npm run worker` process drains the outbox) and stops it cleanly on SIGTERM/SIGINT.
 */
export function ensureDeliveryWorker(): DeliveryWorker | null {
  if (process.env.DELIVERY_WORKER === "off") return null;
  tiktokClient();
  const runtime = globalThis.deliveryRuntime!;
  if (runtime.worker) return runtime.worker;
  const worker = createDeliveryWorker();
  runtime.worker = worker;
  worker.start();
  const stopRetention = startRetentionJob(prisma);
  const shutdown = (signal: NodeJS.Signals) => {
    console.info(`[delivery] ${signal}: finishing in-flight deliveries`);
    stopRetention();
    worker
      .stop()
      .catch((error) => console.error("[delivery] stop failed", error))
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  return worker;
}

/** Tells the in-process worker that new rows are due now. */
export function notifyDeliveryWorker(): void {
  globalThis.deliveryRuntime?.worker?.notify();
}

declare global {
  // eslint-disable-next-line no-var
  var ingestWriter: IngestWriter | undefined;
}

/** The process-wide group-commit writer for webhook and app proxy ingest. */
export function ingestWriter(): IngestWriter {
  globalThis.ingestWriter ??= new IngestWriter(prisma);
  return globalThis.ingestWriter;
}
