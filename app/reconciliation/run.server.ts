// One reconciliation of a shop: read its Shopify orders in the window page by page, compare
// each with the Purchase we recorded, and (backfill on) record the Purchase of each order we
// never heard of through the webhook path's own mapping, so it gets the same event_id and a
// webhook arriving later finds it already there (Delivery is unique per shop + event + event_id).
// Each page's classification, backfill and the run's cursor commit in one transaction, so a run
// interrupted by a Shopify 5xx resumes after the last committed page and sends nothing twice.
import type { Prisma } from "@prisma/client";
import prisma from "~/db.server";
import { serverEnv } from "~/config.server";
import { BULK_TRANSACTION } from "~/db/transactions";
import { enqueue, type NewDelivery } from "~/delivery/outbox/enqueue.server";
import { notifyDeliveryWorker } from "~/delivery/runtime.server";
import {
  fromGraphqlOrder,
  parseGraphqlOrder,
  type GraphqlOrder,
} from "~/orders/graphql-order";
import { purchaseDelivery } from "~/orders/order-webhook.server";
import { purchaseEventId } from "~/orders/purchase";
import { orderGid, type ShopOrder } from "~/orders/shop-order";
import {
  AdminAccessError,
  AdminOrdersReader,
  AdminTransientError,
} from "./admin-orders.server";
import { classifyOrder } from "./classify";
import { errorSummary, logger } from "~/observability/logger.server";

/** Must equal API_VERSION in app/shopify.server.ts (a test checks); not imported, so the worker process does not load the Shopify app. */
export const ADMIN_API_VERSION = "2026-10";

export type Trigger = "schedule" | "manual" | "install";

export interface ReconcileOptions {
  trigger: Trigger;
  /** Days back from now; default RECONCILIATION_WINDOW_DAYS. */
  windowDays?: number;
  /** Send missing orders; default RECONCILIATION_BACKFILL. */
  backfill?: boolean;
  now?: () => Date;
  /** Reader overrides (tests). */
  adminBaseUrl?: string;
  sleep?: (ms: number) => Promise<void>;
  pageSize?: number;
}

export type ReconcileOutcome =
  | {
      runId: string;
      status: "completed" | "interrupted" | "stopped";
      reason: string | null;
      ordersSeen: number;
      backfilled: number;
      costUsed: number;
    }
  | { runId: null; status: "not_run"; reason: string };

export const BEFORE_SETUP =
  "Placed before the app was set up: not sent automatically. The setup checklist on the home page can send these.";

/** Orders per transaction (read ahead over several pages). */
const COMMIT_ORDERS = 250;

/** A run not touched for this long is taken to have died with its process. */
const STALE_RUN_MS = 10 * 60_000;

const notRun = (reason: string): ReconcileOutcome => ({
  runId: null,
  status: "not_run",
  reason,
});

export async function reconcileShop(
  shop: string,
  options: ReconcileOptions,
): Promise<ReconcileOutcome> {
  const env = serverEnv();
  const now = options.now ?? (() => new Date());
  const settings = await prisma.shopSettings.findUnique({ where: { shop } });
  if (!settings || settings.uninstalledAt)
    return notRun("The app is not installed on this shop.");
  if (!settings.pixelCode)
    return notRun("No TikTok pixel is configured for this shop.");
  if (!settings.sendPurchase) return notRun("Purchase events are turned off.");
  const pixelCode = settings.pixelCode;

  const latest = await prisma.reconciliationRun.findFirst({
    where: { shop },
    orderBy: { startedAt: "desc" },
  });
  if (
    latest?.status === "running" &&
    now().getTime() - latest.updatedAt.getTime() < STALE_RUN_MS
  )
    return notRun("A reconciliation of this shop is already running.");

  // An interrupted run (or one whose process died) resumes from its cursor, same window.
  const resumable =
    latest &&
    (latest.status === "interrupted" || latest.status === "running") &&
    options.trigger !== "install"
      ? latest
      : null;
  const started = now();
  const windowDays = options.windowDays ?? env.RECONCILIATION_WINDOW_DAYS;
  const run = resumable
    ? await prisma.reconciliationRun.update({
        where: { id: resumable.id },
        data: { status: "running", stopReason: null },
      })
    : await prisma.reconciliationRun.create({
        data: {
          shop,
          trigger: options.trigger,
          windowStart: new Date(started.getTime() - windowDays * 86_400_000),
          windowEnd: started,
          backfill: options.backfill ?? env.RECONCILIATION_BACKFILL === "on",
        },
      });

  const session = await prisma.session.findUnique({
    where: { id: `offline_${shop}` },
    select: { accessToken: true },
  });
  if (!session?.accessToken)
    return finish(run.id, "stopped", {
      reason:
        "The app has no offline access to this shop. Open the app from the Shopify admin to restore it.",
    });

  const reader = new AdminOrdersReader({
    shop,
    accessToken: session.accessToken,
    apiVersion: ADMIN_API_VERSION,
    baseUrl: options.adminBaseUrl ?? env.SHOPIFY_ADMIN_API_URL,
    pageSize: options.pageSize,
    sleep: options.sleep,
  });
  // Search syntax: https://shopify.dev/docs/api/usage/search-syntax
  const query = `created_at:>='${run.windowStart.toISOString()}' created_at:<'${run.windowEnd.toISOString()}'`;
  const eventName = settings.purchaseEventName || "Purchase";
  const cursor = run.cursor;
  let backfilledTotal = run.backfilled;
  let seenTotal = run.ordersSeen;
  const costBefore = run.costUsed;

  // Pages are read ahead and committed in groups of about COMMIT_ORDERS orders: one transaction
  // per group, not per page. What was read before an error is committed before the run stops.
  let buffered: { graphql: GraphqlOrder; order: ShopOrder }[] = [];
  let bufferedNodes = 0;
  let bufferedCursor = cursor;
  const flush = async () => {
    if (bufferedNodes === 0) return;
    const at = now();
    const plan = await planPage({
      runId: run.id,
      shop,
      orders: buffered,
      eventName,
      settings: { ...settings, pixelCode },
      backfill: run.backfill,
      // Orders from before the shop set the app up are sent only when the merchant asks
      // (the setup checklist's offer): another integration may have sent them already.
      backfillFrom: run.trigger === "install" ? null : settings.createdAt,
      now: at,
    });
    const seen = seenTotal + bufferedNodes;
    const backfilledBefore = backfilledTotal;
    const nextCursor = bufferedCursor;
    // The group's results, its backfilled deliveries and the cursor past it commit together.
    const backfilled = await prisma.$transaction(async (tx) => {
      const count = await commitPage(tx, plan, at);
      await tx.reconciliationRun.update({
        where: { id: run.id },
        data: {
          cursor: nextCursor,
          ordersSeen: seen,
          backfilled: backfilledBefore + count,
          costUsed: costBefore + reader.costUsed,
        },
      });
      return count;
    }, BULK_TRANSACTION);
    // A Delivery's outbox row makes the worker send it; wake it now.
    if (backfilled > 0) notifyDeliveryWorker();
    backfilledTotal += backfilled;
    seenTotal = seen;
    buffered = [];
    bufferedNodes = 0;
  };

  try {
    for (;;) {
      const page = await reader.page(query, bufferedCursor);
      for (const node of page.nodes) {
        try {
          const graphql = parseGraphqlOrder(node);
          buffered.push({ graphql, order: fromGraphqlOrder(graphql) });
        } catch (error) {
          logger().warn(
            { component: "reconciliation", shop, error: errorSummary(error) },
            "order skipped: unreadable",
          );
        }
      }
      bufferedNodes += page.nodes.length;
      bufferedCursor = page.endCursor ?? bufferedCursor;
      if (!page.hasNextPage) break;
      if (bufferedNodes >= COMMIT_ORDERS) await flush();
    }
    await flush();
  } catch (error) {
    // Keep what was read before Shopify failed: the next run resumes after it.
    if (
      error instanceof AdminAccessError ||
      error instanceof AdminTransientError
    )
      await flush();
    if (error instanceof AdminAccessError)
      return finish(run.id, "stopped", {
        reason: error.message,
        costUsed: costBefore + reader.costUsed,
      });
    const reason =
      error instanceof AdminTransientError
        ? `${error.message} The next run resumes where this one stopped.`
        : `Interrupted: ${(error as Error).message}`;
    const outcome = await finish(run.id, "interrupted", {
      reason,
      costUsed: costBefore + reader.costUsed,
    });
    if (!(error instanceof AdminTransientError)) throw error;
    return outcome;
  }
  const outcome = await finish(run.id, "completed", {
    reason: null,
    costUsed: costBefore + reader.costUsed,
  });
  // Only the latest completed run's orders are kept; older runs keep their counts.
  await prisma.reconciliationOrder.deleteMany({
    where: { shop, runId: { not: run.id } },
  });
  return outcome;
}

async function finish(
  runId: string,
  status: "completed" | "interrupted" | "stopped",
  data: { reason: string | null; costUsed?: number },
): Promise<ReconcileOutcome> {
  const run = await prisma.reconciliationRun.update({
    where: { id: runId },
    data: {
      status,
      stopReason: data.reason,
      costUsed: data.costUsed,
      finishedAt: status === "interrupted" ? null : new Date(),
    },
  });
  return {
    runId,
    status,
    reason: data.reason,
    ordersSeen: run.ordersSeen,
    backfilled: run.backfilled,
    costUsed: run.costUsed,
  };
}

interface PageInput {
  runId: string;
  shop: string;
  orders: { graphql: GraphqlOrder; order: ShopOrder }[];
  eventName: string;
  settings: Parameters<typeof purchaseDelivery>[2] & {
    purchaseTrigger: string;
  };
  backfill: boolean;
  /** Missing orders created before this are reported, not sent; null = no limit. */
  backfillFrom: Date | null;
  now: Date;
}

type Row = Prisma.ReconciliationOrderCreateManyInput;
interface PagePlan {
  rows: Row[];
  toBackfill: { row: Row; delivery: NewDelivery }[];
}

/**
 * Classifies one page against the deliveries recorded so far and maps the missing orders
 * (the attribution lookup reads the database, so this runs before the page's transaction).
 */
async function planPage(input: PageInput): Promise<PagePlan> {
  const { shop, eventName, settings, now } = input;
  const eventIds = input.orders.map(({ order }) =>
    purchaseEventId(shop, order.id, eventName),
  );
  const recorded = new Map(
    (
      await prisma.delivery.findMany({
        where: { shop, eventName, eventId: { in: eventIds } },
        select: { id: true, eventId: true, status: true, lastError: true },
      })
    ).map((d) => [d.eventId, d]),
  );

  const plan: PagePlan = { rows: [], toBackfill: [] };
  for (const [i, { graphql, order }] of input.orders.entries()) {
    const existing = recorded.get(eventIds[i]) ?? null;
    const createdAt = order.createdAt ?? now;
    const value =
      (settings.valueSource === "subtotal"
        ? order.amounts.subtotal
        : order.amounts.total) ?? order.amounts.total;
    const verdict = classifyOrder({
      recorded: existing,
      createdAt,
      financialStatus: graphql.displayFinancialStatus ?? null,
      purchaseTrigger: settings.purchaseTrigger,
      now,
    });
    const row: Row = {
      runId: input.runId,
      shop,
      orderId: orderGid(order.id),
      orderName: order.name,
      orderCreatedAt: createdAt,
      currency: order.currency,
      value,
      status: verdict.status,
      reason: verdict.reason,
      deliveryId: existing?.id ?? null,
    };
    plan.rows.push(row);
    const beforeSetup =
      input.backfillFrom !== null && createdAt < input.backfillFrom;
    if (verdict.status === "missing" && input.backfill && beforeSetup)
      row.reason = BEFORE_SETUP;
    else if (verdict.status === "missing" && input.backfill)
      plan.toBackfill.push({
        row,
        delivery: await purchaseDelivery(shop, order, settings),
      });
  }
  return plan;
}

/** Records the planned Purchases (the unique event id refuses any a webhook recorded meanwhile) and the results. */
async function commitPage(
  tx: Prisma.TransactionClient,
  plan: PagePlan,
  now: Date,
): Promise<number> {
  let backfilled = 0;
  if (plan.toBackfill.length > 0) {
    const results = await enqueue(
      tx,
      plan.toBackfill.map((b) => b.delivery),
      now,
    );
    results.forEach((result, i) => {
      const { row, delivery } = plan.toBackfill[i];
      row.deliveryId = result.deliveryId;
      if (!result.created) {
        // A webhook recorded it meanwhile: nothing was missing after all.
        row.status = "pending";
        return;
      }
      row.backfill = delivery.skippedReason ? "skipped" : "queued";
      row.reason = delivery.skippedReason ?? "Sent by reconciliation.";
      if (!delivery.skippedReason) backfilled += 1;
    });
  }
  if (plan.rows.length > 0)
    await tx.reconciliationOrder.createMany({ data: plan.rows });
  return backfilled;
}

export type SendNowResult =
  | { ok: true; status: 200; message: string }
  | { ok: false; status: 404 | 409 | 502; message: string };

/**
 * The merchant's "Send now" for one order a run reported missing: the order is read again from
 * Shopify (it may have changed, and we keep no customer data to rebuild it from), then recorded
 * exactly as a backfill would, under the webhook path's event id.
 */
export async function sendOrderNow(
  shop: string,
  orderId: string,
  options: { adminBaseUrl?: string; now?: Date } = {},
): Promise<SendNowResult> {
  const digits = /^gid:\/\/shopify\/Order\/(\d{1,20})$/.exec(orderId)?.[1];
  const known = digits
    ? await prisma.reconciliationOrder.findFirst({
        where: { shop, orderId },
        select: { id: true },
      })
    : null;
  if (!digits || !known)
    return {
      ok: false,
      status: 404,
      message: "No such order in the last run.",
    };
  const settings = await prisma.shopSettings.findUnique({ where: { shop } });
  if (!settings?.pixelCode || settings.uninstalledAt || !settings.sendPurchase)
    return {
      ok: false,
      status: 409,
      message: "Purchases are not being sent for this shop.",
    };
  const pixelCode = settings.pixelCode;
  const session = await prisma.session.findUnique({
    where: { id: `offline_${shop}` },
    select: { accessToken: true },
  });
  if (!session?.accessToken)
    return {
      ok: false,
      status: 409,
      message: "The app has no offline access to this shop.",
    };
  const reader = new AdminOrdersReader({
    shop,
    accessToken: session.accessToken,
    apiVersion: ADMIN_API_VERSION,
    baseUrl: options.adminBaseUrl ?? serverEnv().SHOPIFY_ADMIN_API_URL,
    pageSize: 1,
  });
  let node: unknown;
  try {
    node = (await reader.page(`id:${digits}`, null)).nodes[0];
  } catch (error) {
    return {
      ok: false,
      status: 502,
      message: `Could not read the order from Shopify: ${(error as Error).message}`,
    };
  }
  if (!node)
    return {
      ok: false,
      status: 404,
      message: "Shopify no longer has this order.",
    };
  let graphql: GraphqlOrder;
  try {
    graphql = parseGraphqlOrder(node);
  } catch (error) {
    return { ok: false, status: 502, message: (error as Error).message };
  }
  const order = fromGraphqlOrder(graphql);
  const now = options.now ?? new Date();
  const eventName = settings.purchaseEventName || "Purchase";
  const recorded = await prisma.delivery.findUnique({
    where: {
      shop_eventName_eventId: {
        shop,
        eventName,
        eventId: purchaseEventId(shop, order.id, eventName),
      },
    },
    select: { status: true, lastError: true },
  });
  const verdict = classifyOrder({
    recorded,
    createdAt: order.createdAt ?? now,
    financialStatus: graphql.displayFinancialStatus ?? null,
    purchaseTrigger: settings.purchaseTrigger,
    now,
  });
  if (verdict.status !== "missing")
    return {
      ok: false,
      status: 409,
      message:
        verdict.status === "too_old" || "notOwed" in verdict
          ? verdict.reason
          : "A Purchase for this order is already recorded.",
    };
  const delivery = await purchaseDelivery(shop, order, {
    ...settings,
    pixelCode,
  });
  const created = await prisma.$transaction(async (tx) => {
    const [result] = await enqueue(tx, [delivery], now);
    if (result.created)
      await tx.reconciliationOrder.updateMany({
        where: { shop, orderId },
        data: {
          backfill: delivery.skippedReason ? "skipped" : "queued",
          reason:
            delivery.skippedReason ?? "Sent from the Reconciliation page.",
          deliveryId: result.deliveryId,
        },
      });
    return result.created;
  });
  if (!created)
    return {
      ok: false,
      status: 409,
      message: "A Purchase for this order is already recorded.",
    };
  if (delivery.skippedReason)
    return { ok: true, status: 200, message: delivery.skippedReason };
  notifyDeliveryWorker();
  return { ok: true, status: 200, message: "Queued for TikTok." };
}
