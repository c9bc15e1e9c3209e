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
 * Runs deliveries in this process, once: the outbox worker and, beside it, the hourly
 * retention task (so retention runs in whichever process delivers: the web process with its
 * embedded worker, or `npm run worker`). SIGTERM/SIGINT stop claiming, let the requests in
 * flight finish and record their outcome, release the remaining leases, then exit.
 */
export function runDeliveries(): DeliveryWorker {
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
      .then(() => process.exit(0))
      .catch((error) => {
        console.error("[delivery] stop failed", error);
        process.exit(1);
      });
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  return worker;
}

/** The web process's embedded worker, unless DELIVERY_WORKER=off (a separate `npm run worker` drains the outbox). */
export function ensureDeliveryWorker(): DeliveryWorker | null {
  if (process.env.DELIVERY_WORKER === "off") return null;
  return runDeliveries();
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
