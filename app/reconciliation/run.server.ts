// One reconciliation of a shop: read its Shopify orders in the window page by page, compare
// each with the Purchase we recorded, and (backfill on) record the Purchase of each order we
// never heard of through the webhook path's own mapping, so it gets the same event_id and a
// webhook arriving later finds it already there (Delivery is unique per shop + event + event_id).
// Each page's classification, backfill and the run's cursor commit in one transaction, so a run
// interrupted by a Shopify 5xx resumes after the last committed page and sends nothing twice.
import type { Pixel, Prisma } from "@prisma/client";
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
import { purchaseDeliveries } from "~/orders/order-webhook.server";
import { loadShopPixels, sendingPixels } from "~/pixels/pixels.server";
import { purchaseEventId } from "~/orders/purchase";
import { orderGid, type ShopOrder } from "~/orders/shop-order";
import {
  AdminAccessError,
  AdminOrdersReader,
  AdminTransientError,
} from "./admin-orders.server";
import {
  classifyOrder,
  worstAcrossPixels,
  type Classification,
} from "./classify";
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
  const shopPixels = await loadShopPixels(shop);
  const { settings } = shopPixels;
  if (!settings || settings.uninstalledAt)
    return notRun("The app is not installed on this shop.");
  if (sendingPixels(shopPixels).length === 0)
    return notRun("No TikTok pixel is configured for this shop.");
  // Each order is compared with its Purchase at every pixel that takes Purchases.
  const pixels = purchasePixels(shopPixels);
  if (pixels.length === 0) return notRun("Purchase events are turned off.");

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
      pixels,
      purchaseTrigger: settings.purchaseTrigger,
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
  /** The pixels that take Purchases. */
  pixels: readonly Pixel[];
  purchaseTrigger: string;
  backfill: boolean;
  /**
   * Missing orders created before this (or before the pixel that lacks them was added) are
   * reported, not sent; null = no limit.
   */
  backfillFrom: Date | null;
  now: Date;
}

type Row = Prisma.ReconciliationOrderCreateManyInput;
interface PagePlan {
  rows: Row[];
  /** Per missing order, the Purchases of the pixels that lack it. */
  toBackfill: { row: Row; deliveries: NewDelivery[] }[];
}

/** The enabled pixels that take Purchases, oldest first. */
function purchasePixels(
  shopPixels: Parameters<typeof sendingPixels>[0],
): Pixel[] {
  return sendingPixels(shopPixels).filter((p) => p.sendPurchase);
}

const purchaseName = (pixel: Pixel) => pixel.purchaseEventName || "Purchase";

/**
 * Orders placed before this are not owed to the pixel: it was added, turned back on or given
 * another code later (another integration may have sent it those, and while off it was not to
 * get any).
 */
const owedSince = (pixel: Pixel) => pixel.sendingSince ?? pixel.createdAt;

interface Recorded {
  id: string;
  pixelCode: string;
  eventId: string;
  status: string;
  lastError: string | null;
}

/** What each pixel recorded for these orders, keyed by pixel code and event id (the unique index's order). */
async function recordedPurchases(
  shop: string,
  orderIds: readonly string[],
  pixels: readonly Pixel[],
): Promise<Map<string, Recorded>> {
  const rows = await prisma.delivery.findMany({
    where: {
      shop,
      OR: pixels.map((pixel) => ({
        pixelCode: pixel.pixelCode,
        eventName: purchaseName(pixel),
        eventId: {
          in: orderIds.map((id) =>
            purchaseEventId(shop, id, purchaseName(pixel)),
          ),
        },
      })),
    },
    select: {
      id: true,
      pixelCode: true,
      eventId: true,
      status: true,
      lastError: true,
    },
  });
  return new Map(rows.map((r) => [`${r.pixelCode}\u0000${r.eventId}`, r]));
}

/** The order's standing at each pixel, the pixels that lack it, and the first recorded delivery. */
function classifyAtPixels(
  shop: string,
  order: ShopOrder,
  recorded: Map<string, Recorded>,
  pixels: readonly Pixel[],
  facts: Omit<Parameters<typeof classifyOrder>[0], "recorded">,
  /** Null: every pixel is owed every order (the merchant asked). */
  backfillFrom: Date | null = null,
): { verdict: Classification; missing: Pixel[]; deliveryId: string | null } {
  const verdicts: Classification[] = [];
  const missing: Pixel[] = [];
  let deliveryId: string | null = null;
  const found = pixels.map(
    (pixel) =>
      recorded.get(
        `${pixel.pixelCode}\u0000${purchaseEventId(shop, order.id, purchaseName(pixel))}`,
      ) ?? null,
  );
  // An order placed before the pixel was owed it (owedSince) is no gap there; unless it
  // predates every pixel, which the shop-wide "placed before the app was set up" rule reports.
  const owed = pixels.map(
    (pixel, i) =>
      found[i] !== null ||
      backfillFrom === null ||
      facts.createdAt >= owedSince(pixel),
  );
  const counted = owed.some(Boolean) ? owed : pixels.map(() => true);
  for (const [i, pixel] of pixels.entries()) {
    if (!counted[i]) continue;
    const existing = found[i];
    deliveryId ??= existing?.id ?? null;
    const verdict = classifyOrder({ ...facts, recorded: existing });
    if (verdict.status === "missing") missing.push(pixel);
    verdicts.push(verdict);
  }
  return { verdict: worstAcrossPixels(verdicts), missing, deliveryId };
}

/**
 * Classifies one page against the deliveries recorded so far and maps the missing orders
 * (the attribution lookup reads the database, so this runs before the page's transaction).
 */
async function planPage(input: PageInput): Promise<PagePlan> {
  const { shop, pixels, now } = input;
  const recorded = await recordedPurchases(
    shop,
    input.orders.map(({ order }) => order.id),
    pixels,
  );
  // The amount shown is the first pixel's (each pixel may send total or subtotal).
  const valueSource = pixels[0].valueSource;

  const plan: PagePlan = { rows: [], toBackfill: [] };
  for (const { graphql, order } of input.orders) {
    const createdAt = order.createdAt ?? now;
    const value =
      (valueSource === "subtotal"
        ? order.amounts.subtotal
        : order.amounts.total) ?? order.amounts.total;
    const { verdict, missing, deliveryId } = classifyAtPixels(
      shop,
      order,
      recorded,
      pixels,
      {
        createdAt,
        financialStatus: graphql.displayFinancialStatus ?? null,
        purchaseTrigger: input.purchaseTrigger,
        now,
      },
      input.backfillFrom,
    );
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
      deliveryId,
    };
    plan.rows.push(row);
    const owed = missing.filter(
      (pixel) =>
        input.backfillFrom === null ||
        (createdAt >= input.backfillFrom && createdAt >= owedSince(pixel)),
    );
    if (verdict.status === "missing" && input.backfill && owed.length === 0)
      row.reason = BEFORE_SETUP;
    else if (verdict.status === "missing" && input.backfill)
      plan.toBackfill.push({
        row,
        deliveries: await purchaseDeliveries(shop, order, owed),
      });
  }
  return plan;
}

/** How a backfill of one order's missing Purchases went, from enqueue's answers. */
function backfillOutcome(
  deliveries: readonly NewDelivery[],
  results: readonly { deliveryId: string; created: boolean }[],
): {
  created: boolean;
  queued: boolean;
  deliveryId: string;
  reason: string | null;
} {
  const created = results.findIndex((r) => r.created);
  const queued = results.findIndex(
    (r, i) => r.created && !deliveries[i].skippedReason,
  );
  const first = queued >= 0 ? queued : Math.max(created, 0);
  return {
    created: created >= 0,
    queued: queued >= 0,
    deliveryId: results[first].deliveryId,
    reason: queued >= 0 ? null : (deliveries[first].skippedReason ?? null),
  };
}

/** Records the planned Purchases (the unique event id refuses any a webhook recorded meanwhile) and the results. */
async function commitPage(
  tx: Prisma.TransactionClient,
  plan: PagePlan,
  now: Date,
): Promise<number> {
  let backfilled = 0;
  const all = plan.toBackfill.flatMap((b) => b.deliveries);
  if (all.length > 0) {
    const results = await enqueue(tx, all, now);
    let at = 0;
    for (const { row, deliveries } of plan.toBackfill) {
      const mine = results.slice(at, (at += deliveries.length));
      const outcome = backfillOutcome(deliveries, mine);
      row.deliveryId ??= outcome.deliveryId;
      if (!outcome.created) {
        // A webhook recorded it meanwhile: nothing was missing after all.
        row.status = "pending";
        continue;
      }
      row.backfill = outcome.queued ? "queued" : "skipped";
      row.reason = outcome.reason ?? "Sent by reconciliation.";
      if (outcome.queued) backfilled += 1;
    }
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
  const shopPixels = await loadShopPixels(shop);
  const pixels = purchasePixels(shopPixels);
  const { settings } = shopPixels;
  if (!settings || pixels.length === 0)
    return {
      ok: false,
      status: 409,
      message: "Purchases are not being sent for this shop.",
    };
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
  const recorded = await recordedPurchases(shop, [order.id], pixels);
  const { verdict, missing } = classifyAtPixels(shop, order, recorded, pixels, {
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
  const deliveries = await purchaseDeliveries(shop, order, missing);
  const outcome = await prisma.$transaction(async (tx) => {
    const result = backfillOutcome(
      deliveries,
      await enqueue(tx, deliveries, now),
    );
    if (result.created)
      await tx.reconciliationOrder.updateMany({
        where: { shop, orderId },
        data: {
          backfill: result.queued ? "queued" : "skipped",
          reason: result.reason ?? "Sent from the Reconciliation page.",
          deliveryId: result.deliveryId,
        },
      });
    return result;
  });
  if (!outcome.created)
    return {
      ok: false,
      status: 409,
      message: "A Purchase for this order is already recorded.",
    };
  if (!outcome.queued)
    return { ok: true, status: 200, message: outcome.reason ?? "Not sent." };
  notifyDeliveryWorker();
  return { ok: true, status: 200, message: "Queued for TikTok." };
}
