// What the Reconciliation page and the home page show, and the page's actions. Every query is
// scoped to the shop.
import prisma from "~/db.server";
import { serverEnv } from "~/config.server";
import { resendDelivery } from "~/delivery-log/delivery-log.server";
import {
  ORDER_ACCESS_DAYS,
  summarize,
  type DaySummary,
  type Totals,
} from "./classify";
import { parseListFilter, type ListFilter, type NotSentRow } from "./report";
import { reconcileShop, sendOrderNow, type Trigger } from "./run.server";
import { errorSummary, logger } from "~/observability/logger.server";

/** Rows the page lists at most (the CSV has them all). */
const LIST_LIMIT = 250;

export interface RunView {
  id: string;
  trigger: string;
  status: string;
  reason: string | null;
  startedAt: string;
  finishedAt: string | null;
  windowStart: string;
  windowEnd: string;
  ordersSeen: number;
  backfilled: number;
  costUsed: number;
}

export interface LastRunSummary {
  run: RunView;
  coverage: number | null;
  missing: number;
  eligible: number;
  sent: number;
}

const toRunView = (run: {
  id: string;
  trigger: string;
  status: string;
  stopReason: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  windowStart: Date;
  windowEnd: Date;
  ordersSeen: number;
  backfilled: number;
  costUsed: number;
}): RunView => ({
  id: run.id,
  trigger: run.trigger,
  status: run.status,
  reason: run.stopReason,
  startedAt: run.startedAt.toISOString(),
  finishedAt: run.finishedAt?.toISOString() ?? null,
  windowStart: run.windowStart.toISOString(),
  windowEnd: run.windowEnd.toISOString(),
  ordersSeen: run.ordersSeen,
  backfilled: run.backfilled,
  costUsed: run.costUsed,
});

async function latestRuns(shop: string) {
  const [latest, completed] = await Promise.all([
    prisma.reconciliationRun.findFirst({
      where: { shop },
      orderBy: { startedAt: "desc" },
    }),
    prisma.reconciliationRun.findFirst({
      where: { shop, status: "completed" },
      orderBy: { startedAt: "desc" },
    }),
  ]);
  return { latest, completed };
}

async function resultRows(runId: string, shop: string) {
  return prisma.reconciliationOrder.findMany({
    where: { runId, shop },
    select: {
      orderId: true,
      orderName: true,
      orderCreatedAt: true,
      status: true,
      reason: true,
      value: true,
      currency: true,
      backfill: true,
      deliveryId: true,
    },
    orderBy: { orderCreatedAt: "desc" },
  });
}

const notSent = (status: string) => status !== "sent";

function matches(filter: ListFilter, q: string) {
  const needle = q.trim().toLowerCase();
  return (row: { status: string; orderName: string | null }) =>
    notSent(row.status) &&
    (filter === "all" || row.status === filter) &&
    (!needle || (row.orderName ?? "").toLowerCase().includes(needle));
}

const toNotSent = (
  row: Awaited<ReturnType<typeof resultRows>>[number],
): NotSentRow => ({
  ...row,
  orderCreatedAt: row.orderCreatedAt.toISOString(),
});

export interface ReconciliationPage {
  /** The run in progress, interrupted or stopped, when it is newer than the last completed one. */
  latest: RunView | null;
  /** The last completed run, whose orders the figures describe. */
  completed: RunView | null;
  days: DaySummary[];
  totals: Totals | null;
  filter: ListFilter;
  q: string;
  rows: NotSentRow[];
  /** Rows matching the filter (the list shows at most LIST_LIMIT). */
  matching: number;
  settings: {
    windowDays: number;
    backfill: boolean;
    intervalMinutes: number;
    /** Shopify returns older orders only with read_all_orders. */
    windowNeedsAllOrders: boolean;
  };
}

export async function loadReconciliationPage(
  shop: string,
  search: URLSearchParams,
): Promise<ReconciliationPage> {
  const env = serverEnv();
  const filter = parseListFilter(search.get("status"));
  const q = (search.get("q") ?? "").slice(0, 100);
  const { latest, completed } = await latestRuns(shop);
  const rows = completed ? await resultRows(completed.id, shop) : [];
  const { days, totals } = summarize(rows);
  const listed = rows.filter(matches(filter, q));
  return {
    latest: latest && latest.id !== completed?.id ? toRunView(latest) : null,
    completed: completed ? toRunView(completed) : null,
    days,
    totals: completed ? totals : null,
    filter,
    q,
    rows: listed.slice(0, LIST_LIMIT).map(toNotSent),
    matching: listed.length,
    settings: {
      windowDays: env.RECONCILIATION_WINDOW_DAYS,
      backfill: env.RECONCILIATION_BACKFILL === "on",
      intervalMinutes: env.RECONCILIATION_INTERVAL_MINUTES,
      windowNeedsAllOrders: env.RECONCILIATION_WINDOW_DAYS > ORDER_ACCESS_DAYS,
    },
  };
}

/** Every order of the last completed run that did not go out, matching the page's filter. */
export async function notSentRows(
  shop: string,
  search: URLSearchParams,
): Promise<NotSentRow[]> {
  const { completed } = await latestRuns(shop);
  if (!completed) return [];
  const filter = parseListFilter(search.get("status"));
  const q = (search.get("q") ?? "").slice(0, 100);
  return (await resultRows(completed.id, shop))
    .filter(matches(filter, q))
    .map(toNotSent);
}

/** The home page's card: the last completed run, and a stop reason if the newest run has one. */
export async function loadLastRun(shop: string): Promise<{
  last: LastRunSummary | null;
  problem: string | null;
}> {
  const { latest, completed } = await latestRuns(shop);
  const problem =
    latest && latest.status === "stopped" ? latest.stopReason : null;
  if (!completed) return { last: null, problem };
  const counts = await prisma.reconciliationOrder.groupBy({
    by: ["status", "backfill"],
    where: { shop, runId: completed.id },
    _count: true,
  });
  let missing = 0;
  let sent = 0;
  let eligible = 0;
  for (const c of counts) {
    if (c.status === "missing") missing += c._count;
    if (c.status === "sent") sent += c._count;
    if (!(
      c.status === "skipped" ||
      (c.status === "missing" && c.backfill === "skipped")
    ))
      eligible += c._count;
  }
  return {
    last: {
      run: toRunView(completed),
      coverage: eligible > 0 ? sent / eligible : null,
      missing,
      eligible,
      sent,
    },
    problem,
  };
}

export type ActionResult = { ok: boolean; message: string };

/** A run the merchant asked for; it goes on after the response (the page shows its progress). */
export async function startRun(
  shop: string,
  trigger: Trigger,
  options: { windowDays?: number; backfill?: boolean } = {},
): Promise<ActionResult & { status: number }> {
  const running = await prisma.reconciliationRun.findFirst({
    where: { shop, status: "running" },
    select: { id: true, updatedAt: true },
  });
  if (running && Date.now() - running.updatedAt.getTime() < 10 * 60_000)
    return { ok: false, status: 409, message: "A run is already in progress." };
  const run = reconcileShop(shop, { trigger, ...options });
  run.catch((error) =>
    logger().error(
      {
        component: "reconciliation",
        shop,
        trigger,
        error: errorSummary(error),
      },
      "reconciliation run failed",
    ),
  );
  return { ok: true, status: 202, message: "Reconciliation started." };
}

export async function resendFailed(
  shop: string,
  deliveryId: string,
): Promise<ActionResult & { status: number }> {
  const result = await resendDelivery(shop, deliveryId);
  if (result.ok) {
    // The row shows "pending" until the next run sees TikTok's answer.
    await prisma.reconciliationOrder.updateMany({
      where: { shop, deliveryId, status: "failed" },
      data: {
        status: "pending",
        reason: "Resent from the Reconciliation page.",
      },
    });
  }
  return result;
}

export { sendOrderNow };
