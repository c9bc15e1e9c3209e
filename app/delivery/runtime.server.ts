import prisma from "~/db.server";
import { serverEnv } from "~/config.server";
import { createTikTokClient, type TikTokClient } from "~/tiktok/client.server";
import { DeliveryWorker } from "./worker.server";
import { IngestWriter } from "./ingest-writer.server";
import {
  retentionPolicy,
  startRetentionJob,
} from "~/retention/retention.server";
import { startReconciliationJob } from "~/reconciliation/schedule.server";
import {
  errorSummary,
  exitAfterLogs,
  logger,
} from "~/observability/logger.server";

declare global {
  // eslint-disable-next-line no-var
  var deliveryRuntime:
    { client: TikTokClient; worker: DeliveryWorker | null } | undefined;
}

/** The process-wide TikTok client (keep-alive connections are shared). */
export function tiktokClient(): TikTokClient {
  globalThis.deliveryRuntime ??= {
    client: createTikTokClient({
      baseUrl: serverEnv().TIKTOK_API_BASE_URL,
      timeoutMs: serverEnv().TIKTOK_TIMEOUT_MS,
    }),
    worker: null,
  };
  return globalThis.deliveryRuntime.client;
}

export function createDeliveryWorker(): DeliveryWorker {
  const env = serverEnv();
  return new DeliveryWorker({
    prisma,
    client: tiktokClient(),
    batchSize: env.DELIVERY_BATCH_SIZE,
    leaseMs: env.DELIVERY_LEASE_MS,
    idleMs: env.DELIVERY_IDLE_MS,
    retryPolicy: {
      baseMs: env.DELIVERY_RETRY_BASE_MS,
      minMs: env.DELIVERY_RETRY_MIN_MS,
      capMs: env.DELIVERY_RETRY_CAP_MS,
    },
  });
}

/**
 * Runs deliveries in this process, once: the outbox worker and, beside it, the hourly
 * retention task and the reconciliation with Shopify's orders (so both run in whichever process
 * delivers: the web process with its embedded worker, or `npm run worker`). SIGTERM/SIGINT stop claiming, let the requests in
 * flight finish and record their outcome, release the remaining leases, then exit.
 */
export function runDeliveries(): DeliveryWorker {
  tiktokClient();
  const runtime = globalThis.deliveryRuntime!;
  if (runtime.worker) return runtime.worker;
  const worker = createDeliveryWorker();
  runtime.worker = worker;
  worker.start();
  const log = logger().child({ component: "delivery", workerId: worker.id });
  log.info(`delivery worker ${worker.id} started`);
  const stopRetention = startRetentionJob(prisma, retentionPolicy(serverEnv()));
  const stopReconciliation = startReconciliationJob(
    serverEnv().RECONCILIATION_INTERVAL_MINUTES,
  );
  const shutdown = (signal: NodeJS.Signals) => {
    const signalledAt = Date.now();
    log.info({ signal }, `${signal}: finishing in-flight deliveries`);
    stopRetention();
    stopReconciliation();
    worker
      .stop()
      .then(() => {
        log.info(
          { signal, exitCode: 0, drainMs: Date.now() - signalledAt },
          "drained: in-flight deliveries recorded, leases released; exiting",
        );
        exitAfterLogs(0);
      })
      .catch((error: unknown) => {
        log.error(
          { signal, exitCode: 1, error: errorSummary(error) },
          "drain failed; exiting",
        );
        exitAfterLogs(1);
      });
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  return worker;
}

/** The web process's embedded worker, unless DELIVERY_WORKER=off (a separate `npm run worker` drains the outbox). */
export function ensureDeliveryWorker(): DeliveryWorker | null {
  if (serverEnv().DELIVERY_WORKER === "off") return null;
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
