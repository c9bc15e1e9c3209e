// Queries behind the delivery log and the home summary. Every query is scoped to the
// authenticated shop: an id from another shop is indistinguishable from a missing one.
import type { PrismaClient } from "@prisma/client";
import defaultPrisma from "~/db.server";
import { orderDigits } from "~/checkout/relay-schema";
import { requeue } from "~/delivery/outbox/requeue.server";
import { notifyDeliveryWorker } from "~/delivery/runtime.server";
import type { MatchKey } from "~/tiktok/match-keys";
import {
  PAGE_SIZE,
  deliveryWhere,
  encodeCursor,
  keysetWhere,
  orderNameCandidates,
  parseCursor,
  parseFilters,
  withinMatches,
  type DeliveryFilters,
} from "./filters";
import type { DeliveryStatus } from "~/delivery/outbox/states";
import {
  asStatus,
  deliveryLabel,
  explainStatus,
  NOT_FOUND_MESSAGE,
  orderAdminUrl,
  parseMatchKeys,
  prettyPayload,
  resendAvailability,
  type ResendAvailability,
  type StatusExplanation,
} from "./present";
import { utcDay } from "~/delivery/outbox/day-summary.server";
import { pixelChoices, pixelLabeler, type PixelChoice } from "./pixels";
import {
  summarizeDeliveries,
  summaryWindowStart,
  type DeliverySummary,
  type StatusKeysGroup,
} from "./summary";

export interface DeliveryRowView {
  id: string;
  label: string;
  source: string;
  eventName: string;
  pixelCode: string;
  /** The pixel's name (app/delivery-log/pixels.ts). */
  pixel: string;
  status: DeliveryStatus;
  attempts: number;
  lastAttemptAt: string | null;
  createdAt: string;
  matchKeys: MatchKey[];
}

export interface DeliveryListView {
  filters: DeliveryFilters;
  rows: DeliveryRowView[];
  page: {
    hasNext: boolean;
    hasPrevious: boolean;
    nextCursor: string | null;
    previousCursor: string | null;
  };
  /** Why the list is empty, so the page can say the right thing. */
  empty: "none" | "no-deliveries" | "no-matches";
  /** The pixel filter's choices: the shop's pixels, then codes in the log of removed ones. */
  pixels: PixelChoice[];
}

const rowSelect = {
  id: true,
  source: true,
  eventName: true,
  pixelCode: true,
  orderName: true,
  status: true,
  attemptCount: true,
  lastAttemptAt: true,
  createdAt: true,
  matchKeys: true,
} as const;

/** More deliveries than one order ever has (a Purchase, its resends, the odd other event). */
export const MAX_SEARCH_MATCHES = 1000;

/** More pixel codes than a log holds (10 pixels at a time, and the odd removed one). */
export const MAX_LOGGED_CODES = 50;

/**
 * The distinct pixel codes in the shop's log, one index seek each: the smallest code, then the
 * next after each one found, through the (shop, pixelCode, …) indexes, so the cost follows the
 * number of codes, not of deliveries (neither database skips through an index by itself for a
 * DISTINCT). One statement, the same SQL on SQLite and PostgreSQL. This is how a removed pixel's
 * deliveries stay filterable.
 */
export async function loggedPixelCodes(
  shop: string,
  prisma: PrismaClient = defaultPrisma,
): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ code: string }[]>`
    WITH RECURSIVE codes(code) AS (
      SELECT (SELECT MIN("pixelCode") FROM "Delivery" WHERE "shop" = ${shop})
      UNION ALL
      SELECT (SELECT MIN("pixelCode") FROM "Delivery" WHERE "shop" = ${shop} AND "pixelCode" > codes.code)
      FROM codes WHERE codes.code IS NOT NULL
    )
    SELECT code FROM codes WHERE code IS NOT NULL LIMIT ${MAX_LOGGED_CODES}`;
  return rows.map((r) => r.code);
}

/** The shop's current pixels, as the settings page lists them (oldest first). */
function currentPixels(shop: string, prisma: PrismaClient) {
  return prisma.pixel.findMany({
    where: { shop },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: { pixelCode: true, name: true },
  });
}

/** The delivery log's pixel filter choices. */
export async function loadPixelChoices(
  shop: string,
  prisma: PrismaClient = defaultPrisma,
): Promise<PixelChoice[]> {
  const [current, logged] = await Promise.all([
    currentPixels(shop, prisma),
    loggedPixelCodes(shop, prisma),
  ]);
  return pixelChoices(current, logged);
}

export async function listDeliveries(
  shop: string,
  search: URLSearchParams,
  options: { now?: Date; prisma?: PrismaClient } = {},
): Promise<DeliveryListView> {
  const prisma = options.prisma ?? defaultPrisma;
  const filters = parseFilters(search);
  const cursor = parseCursor(search);
  let base = deliveryWhere(shop, filters, options.now ?? new Date());
  // False when a search found nothing: there is no page to read then.
  let searchable = true;
  const names = orderNameCandidates(filters.q);
  if (names.length > 0) {
    // A search is two lookups: the order's deliveries by name, through the (shop, orderName)
    // index, then the filters and the page over those few rows (see withinMatches).
    const matches = await prisma.delivery.findMany({
      where: { shop, orderName: { in: names } },
      select: { id: true },
      take: MAX_SEARCH_MATCHES,
    });
    base = withinMatches(
      base,
      matches.map((m) => m.id),
    );
    searchable = matches.length > 0;
  }
  const backwards = cursor?.direction === "before";
  const order = backwards ? "asc" : "desc";

  const found = searchable
    ? await prisma.delivery.findMany({
        where: cursor ? { AND: [base, keysetWhere(cursor)] } : base,
        orderBy: [{ createdAt: order }, { id: order }],
        take: PAGE_SIZE + 1,
        select: rowSelect,
      })
    : [];
  const more = found.length > PAGE_SIZE;
  const page = found.slice(0, PAGE_SIZE);
  if (backwards) page.reverse();

  const first = page[0];
  const last = page.at(-1);
  // The side we came from is checked, not assumed: rows may have been purged since.
  const existsBeyond = async (
    direction: "after" | "before",
    row: { createdAt: Date; id: string },
  ) =>
    (await prisma.delivery.findFirst({
      where: {
        AND: [
          base,
          keysetWhere({ direction, createdAt: row.createdAt, id: row.id }),
        ],
      },
      select: { id: true },
    })) !== null;
  const hasNext = backwards
    ? last
      ? await existsBeyond("after", last)
      : false
    : more;
  const hasPrevious = backwards
    ? more
    : cursor && first
      ? await existsBeyond("before", first)
      : false;

  let empty: DeliveryListView["empty"] = "none";
  if (page.length === 0) {
    const any = await prisma.delivery.findFirst({
      where: { shop },
      select: { id: true },
    });
    empty = any ? "no-matches" : "no-deliveries";
  }
  const pixels = await loadPixelChoices(shop, prisma);
  const pixelLabel = pixelLabeler(pixels);

  return {
    filters,
    pixels,
    rows: page.map((row) => ({
      id: row.id,
      label: deliveryLabel(row.source, row.orderName),
      source: row.source,
      eventName: row.eventName,
      pixelCode: row.pixelCode,
      pixel: pixelLabel(row.pixelCode),
      status: asStatus(row.status),
      attempts: row.attemptCount,
      lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      createdAt: row.createdAt.toISOString(),
      matchKeys: parseMatchKeys(row.matchKeys),
    })),
    page: {
      hasNext,
      hasPrevious,
      nextCursor:
        hasNext && last ? encodeCursor(last.createdAt, last.id) : null,
      previousCursor:
        hasPrevious && first ? encodeCursor(first.createdAt, first.id) : null,
    },
    empty,
  };
}

export interface AttemptView {
  id: string;
  startedAt: string;
  durationMs: number;
  httpStatus: number | null;
  tiktokCode: number | null;
  message: string | null;
  requestId: string | null;
  outcome: string;
  batchSize: number;
}

export interface DeliveryDetailView {
  id: string;
  label: string;
  source: string;
  orderName: string | null;
  orderAdminUrl: string | null;
  eventName: string;
  eventId: string;
  pixelCode: string;
  /** The pixel's name (its code once removed). */
  pixel: string;
  status: DeliveryStatus;
  explanation: StatusExplanation;
  matchKeys: MatchKey[];
  attemptCount: number;
  eventTime: string;
  createdAt: string;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  /** Oldest first; at most MAX_ATTEMPTS_SHOWN of the most recent. */
  attempts: AttemptView[];
  attemptsOmitted: number;
  payloadJson: string;
  resend: ResendAvailability;
  /** Where each match key came from ({"ttclid":"checkout_pixel",…}); null for older rows. */
  keySources: Record<string, string> | null;
  /** Set when the checkout pixel's completed checkout came after this Purchase had left. */
  lateCheckoutRelayAt: string | null;
  /**
   * An order's Purchase at every pixel (this one included), pixel by pixel as the settings page
   * lists them; null for other events, and when the shop has one pixel and this is its only
   * Purchase (nothing to compare).
   */
  orderPixels: OrderPixelView[] | null;
}

export interface OrderPixelView {
  id: string;
  pixelCode: string;
  pixel: string;
  eventName: string;
  status: DeliveryStatus;
  attempts: number;
  lastAttemptAt: string | null;
}

export const MAX_ATTEMPTS_SHOWN = 200;
/** More deliveries than one order has: one Purchase per pixel, 10 pixels at a time. */
export const MAX_ORDER_PIXELS = 50;

/**
 * The order's deliveries at every pixel, through the (shop, orderId) index, with the shop's
 * current pixels to name them.
 */
async function loadOrderPixels(
  prisma: PrismaClient,
  shop: string,
  orderId: string,
): Promise<{ rows: OrderPixelView[]; choices: PixelChoice[] }> {
  const [found, current] = await Promise.all([
    prisma.delivery.findMany({
      // Not ordered by creation time: SQLite would then walk a (shop, source, createdAt) index
      // over the shop's orders rather than look the order up; the few rows are ordered below.
      where: { shop, orderId, source: "order" },
      take: MAX_ORDER_PIXELS,
      select: {
        id: true,
        pixelCode: true,
        eventName: true,
        status: true,
        attemptCount: true,
        lastAttemptAt: true,
        createdAt: true,
      },
    }),
    currentPixels(shop, prisma),
  ]);
  const choices = pixelChoices(
    current,
    found.map((r) => r.pixelCode),
  );
  const label = pixelLabeler(choices);
  const position = new Map(choices.map((c, i) => [c.code, i]));
  const rows = found
    // Pixel by pixel; one pixel's several events of the order in creation order.
    .sort(
      (a, b) =>
        position.get(a.pixelCode)! - position.get(b.pixelCode)! ||
        a.createdAt.getTime() - b.createdAt.getTime() ||
        (a.id < b.id ? -1 : 1),
    )
    .map((r) => ({
      id: r.id,
      pixelCode: r.pixelCode,
      pixel: label(r.pixelCode),
      eventName: r.eventName,
      status: asStatus(r.status),
      attempts: r.attemptCount,
      lastAttemptAt: r.lastAttemptAt?.toISOString() ?? null,
    }));
  return { rows, choices };
}

export async function getDeliveryDetail(
  shop: string,
  id: string,
  options: { prisma?: PrismaClient } = {},
): Promise<DeliveryDetailView | null> {
  const prisma = options.prisma ?? defaultPrisma;
  const row = await prisma.delivery.findFirst({
    where: { id, shop },
    include: {
      attempts: {
        orderBy: [{ startedAt: "desc" }, { id: "desc" }],
        take: MAX_ATTEMPTS_SHOWN,
      },
    },
  });
  if (!row) return null;
  const late =
    row.source === "order" && row.orderId
      ? await prisma.checkoutContext.findFirst({
          where: {
            shop,
            orderId: orderDigits(row.orderId),
            lateRelayAt: { not: null },
          },
          select: { lateRelayAt: true },
        })
      : null;
  const order =
    row.source === "order" && row.orderId
      ? await loadOrderPixels(prisma, shop, row.orderId)
      : null;
  const pixels =
    order?.choices ??
    pixelChoices(await currentPixels(shop, prisma), [row.pixelCode]);
  // Counted only when the page of attempts is full. Prisma's relation count (`_count`) groups
  // the whole DeliveryAttempt table before joining, which grows with every shop's log.
  const attemptTotal =
    row.attempts.length < MAX_ATTEMPTS_SHOWN
      ? row.attempts.length
      : await prisma.deliveryAttempt.count({ where: { deliveryId: row.id } });
  return {
    id: row.id,
    label: deliveryLabel(row.source, row.orderName),
    source: row.source,
    orderName: row.orderName,
    orderAdminUrl: row.source === "order" ? orderAdminUrl(row.orderId) : null,
    eventName: row.eventName,
    eventId: row.eventId,
    pixelCode: row.pixelCode,
    pixel: pixelLabeler(pixels)(row.pixelCode),
    status: asStatus(row.status),
    explanation: explainStatus(row),
    matchKeys: parseMatchKeys(row.matchKeys),
    attemptCount: row.attemptCount,
    eventTime: row.eventTime.toISOString(),
    createdAt: row.createdAt.toISOString(),
    lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    attempts: row.attempts.reverse().map((a) => ({
      id: a.id,
      startedAt: a.startedAt.toISOString(),
      durationMs: a.durationMs,
      httpStatus: a.httpStatus,
      tiktokCode: a.tiktokCode,
      message: a.message,
      requestId: a.requestId,
      outcome: a.outcome,
      batchSize: a.batchSize,
    })),
    attemptsOmitted: Math.max(0, attemptTotal - row.attempts.length),
    payloadJson: prettyPayload(row.payload),
    resend: resendAvailability(row.status, {
      eventTime: row.eventTime,
      deliveredAt: row.deliveredAt,
      now: new Date(),
    }),
    keySources: parseKeySources(row.keySources),
    lateCheckoutRelayAt: late?.lateRelayAt?.toISOString() ?? null,
    orderPixels:
      order && (order.rows.length > 1 || pixels.length > 1) ? order.rows : null,
  };
}

function parseKeySources(text: string | null): Record<string, string> | null {
  if (!text) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object"
      ? (value as Record<string, string>)
      : null;
  } catch {
    return null;
  }
}

export type ResendResult =
  | { ok: true; status: 200; message: string }
  | { ok: false; status: 404 | 409; message: string };

/** Requeues a delivered or failed event with its original event id, then wakes the worker. */
export async function resendDelivery(
  shop: string,
  id: string,
  options: { prisma?: PrismaClient } = {},
): Promise<ResendResult> {
  const prisma = options.prisma ?? defaultPrisma;
  const now = new Date();
  const outcome = await prisma.$transaction(async (tx) => {
    if (await requeue(tx, shop, id, now)) return { queued: true as const };
    const row = await tx.delivery.findFirst({
      where: { id, shop },
      select: { status: true, eventTime: true, deliveredAt: true },
    });
    return { queued: false as const, row };
  });
  if (outcome.queued) {
    notifyDeliveryWorker();
    return { ok: true, status: 200, message: "Queued for resend" };
  }
  const { row } = outcome;
  if (!row) return { ok: false, status: 404, message: NOT_FOUND_MESSAGE };
  return {
    ok: false,
    status: 409,
    message:
      resendAvailability(row.status, { ...row, now }).reason ??
      "This event can't be resent right now.",
  };
}

/**
 * The shop's order deliveries of the summary window, per pixel, status, match keys and journey,
 * from the day summary the outbox keeps: at most 7 days × a few groups of rows, whatever the
 * volume.
 */
export async function loadSummaryGroups(
  shop: string,
  since: Date,
  prisma: PrismaClient = defaultPrisma,
): Promise<StatusKeysGroup[]> {
  const groups = await prisma.deliveryDaySummary.groupBy({
    by: ["pixelCode", "status", "matchKeys", "journey"],
    where: { shop, source: "order", day: { gte: utcDay(since) } },
    _sum: { count: true },
  });
  return groups
    .map((g) => ({
      pixelCode: g.pixelCode,
      status: g.status,
      matchKeys: g.matchKeys,
      journey: g.journey,
      count: g._sum.count ?? 0,
    }))
    .filter((g) => g.count > 0);
}

/** The home page's last-7-days numbers. */
export async function loadDeliverySummary(
  shop: string,
  options: { now?: Date; prisma?: PrismaClient } = {},
): Promise<DeliverySummary> {
  const since = summaryWindowStart(options.now ?? new Date());
  const groups = await loadSummaryGroups(shop, since, options.prisma);
  return summarizeDeliveries(groups, since);
}
