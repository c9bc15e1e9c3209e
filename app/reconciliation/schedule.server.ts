// The periodic reconciliation, run by whichever process delivers (see delivery/runtime.server.ts).
// One shop after another, so one process never holds more than one shop's page in memory and
// the shops share the Admin API budget of nobody (each app-and-store pair has its own bucket).
import prisma from "~/db.server";
import { reconcileShop, type ReconcileOutcome } from "./run.server";
import { errorSummary, logger } from "~/observability/logger.server";

/** How long a shop whose access was lost waits before the schedule tries it again. */
export const STOPPED_RETRY_MS = 24 * 3_600_000;

/**
 * Shops due now: configured, installed, sending Purchases, whose last run is older than the
 * interval or was interrupted. A shop whose last run stopped (access lost) is tried again once a
 * day (or at once from its admin page): no retry storm against a revoked token, and a shop that
 * reinstalled the app is picked up again.
 */
export async function dueShops(
  now: Date,
  intervalMs: number,
): Promise<string[]> {
  const shops = await prisma.shopSettings.findMany({
    where: {
      uninstalledAt: null,
      pixels: { some: { enabled: true, sendPurchase: true } },
    },
    select: { shop: true },
    orderBy: { shop: "asc" },
  });
  const due: string[] = [];
  for (const { shop } of shops) {
    const last = await prisma.reconciliationRun.findFirst({
      where: { shop },
      orderBy: { startedAt: "desc" },
      select: { status: true, startedAt: true, finishedAt: true },
    });
    if (!last || last.status === "interrupted") due.push(shop);
    else if (last.status === "stopped") {
      const stoppedAt = (last.finishedAt ?? last.startedAt).getTime();
      if (now.getTime() - stoppedAt >= STOPPED_RETRY_MS) due.push(shop);
    } else if (now.getTime() - last.startedAt.getTime() >= intervalMs)
      due.push(shop);
  }
  return due;
}

/** Reconciles every due shop once; errors of one shop do not stop the others. */
export async function runDueReconciliations(
  intervalMs: number,
  now = new Date(),
): Promise<Record<string, ReconcileOutcome | { error: string }>> {
  const results: Record<string, ReconcileOutcome | { error: string }> = {};
  for (const shop of await dueShops(now, intervalMs)) {
    try {
      results[shop] = await reconcileShop(shop, { trigger: "schedule" });
    } catch (error) {
      results[shop] = { error: (error as Error).message };
      logger().error(
        { component: "reconciliation", shop, error: errorSummary(error) },
        "scheduled reconciliation failed",
      );
    }
  }
  return results;
}

/** Checks for due shops every few minutes (at most the interval) until stopped; 0 = off. */
export function startReconciliationJob(intervalMinutes: number): () => void {
  if (intervalMinutes <= 0) return () => {};
  const intervalMs = intervalMinutes * 60_000;
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    runDueReconciliations(intervalMs)
      .catch((error) =>
        logger().error(
          { component: "reconciliation", error: errorSummary(error) },
          "reconciliation schedule failed",
        ),
      )
      .finally(() => {
        running = false;
      });
  };
  const timer = setInterval(tick, Math.min(intervalMs, 5 * 60_000));
  timer.unref();
  return () => clearInterval(timer);
}
