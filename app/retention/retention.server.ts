import type { PrismaClient } from "@prisma/client";
import { BULK_TRANSACTION } from "~/db/transactions";
import { purgeExpired } from "~/delivery/outbox/purge.server";
import { parseEnv, type Env } from "~/config/env";
import { recordRetention } from "~/observability/metrics.server";
import { errorSummary, logger } from "~/observability/logger.server";

export interface RetentionPolicy {
  /** Storefront attribution sessions not seen for this long are deleted. Default 60. */
  attributionDays: number;
  /** Delivery log entries (and their attempts) older than this are deleted. Default 90. */
  deliveryLogDays: number;
  /** Webhook ids kept for duplicate detection (Shopify retries a webhook for hours). Default 7. */
  webhookReceiptDays: number;
}

/** The policy from the parsed environment (defaults and bounds live in app/config/env.ts). */
export function retentionPolicy(
  env: Pick<
    Env,
    | "ATTRIBUTION_RETENTION_DAYS"
    | "DELIVERY_LOG_RETENTION_DAYS"
    | "WEBHOOK_RECEIPT_RETENTION_DAYS"
  >,
): RetentionPolicy {
  return {
    attributionDays: env.ATTRIBUTION_RETENTION_DAYS,
    deliveryLogDays: env.DELIVERY_LOG_RETENTION_DAYS,
    webhookReceiptDays: env.WEBHOOK_RECEIPT_RETENTION_DAYS,
  };
}

/** retentionPolicy of a raw environment; throws a ConfigError naming any bad variable. */
export function retentionPolicyFromEnv(
  env: Record<string, string | undefined>,
): RetentionPolicy {
  return retentionPolicy(parseEnv(env));
}

const daysAgo = (now: Date, days: number) =>
  new Date(now.getTime() - days * 86_400_000);

/** Deletes what has outlived its purpose. Deliveries still owed to TikTok are kept. */
export async function applyRetention(
  prisma: PrismaClient,
  policy: RetentionPolicy,
  now = new Date(),
) {
  const removed = await prisma.$transaction(async (tx) => {
    const attribution = await tx.attributionSession.deleteMany({
      where: { lastSeenAt: { lt: daysAgo(now, policy.attributionDays) } },
    });
    // Checkout contexts carry the same click data, so they live as long.
    await tx.checkoutContext.deleteMany({
      where: { lastSeenAt: { lt: daysAgo(now, policy.attributionDays) } },
    });
    const deliveries = await purgeExpired(
      tx,
      daysAgo(now, policy.deliveryLogDays),
    );
    const receipts = await tx.webhookReceipt.deleteMany({
      where: { receivedAt: { lt: daysAgo(now, policy.webhookReceiptDays) } },
    });
    // Reconciliation runs (and their per-order results) live as long as the delivery log.
    await tx.reconciliationRun.deleteMany({
      where: { startedAt: { lt: daysAgo(now, policy.deliveryLogDays) } },
    });
    return {
      attributionSessions: attribution.count,
      deliveries,
      webhookReceipts: receipts.count,
    };
  }, BULK_TRANSACTION);
  // Counted once committed, so a rolled-back run adds nothing.
  recordRetention("attribution_sessions", removed.attributionSessions);
  recordRetention("deliveries", removed.deliveries);
  recordRetention("webhook_receipts", removed.webhookReceipts);
  return removed;
}

/** Runs applyRetention now and then every `intervalMs` (default hourly) until stopped. */
export function startRetentionJob(
  prisma: PrismaClient,
  policy: RetentionPolicy,
  intervalMs = 3_600_000,
): () => void {
  const log = logger().child({ component: "retention" });
  const run = () =>
    applyRetention(prisma, policy).then(
      (removed) => log.info({ outcome: "applied", ...removed }, "retention"),
      (error: unknown) =>
        log.error(
          { outcome: "failed", error: errorSummary(error) },
          "retention failed (tried again next hour)",
        ),
    );
  void run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
