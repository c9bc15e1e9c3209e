// Delivery-log filters live in the URL query so a filtered view can be bookmarked or
// shared. Parsing is forgiving: an unknown or malformed value falls back to the default
// instead of failing, because these links are typed and pasted by people.
import type { Prisma } from "@prisma/client";
import { DELIVERY_STATUSES } from "~/delivery/outbox/states";

export const PAGE_SIZE = 50;

export const STATUS_FILTERS = ["all", ...DELIVERY_STATUSES] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export const SOURCE_FILTERS = ["order", "storefront", "test", "all"] as const;
export type SourceFilter = (typeof SOURCE_FILTERS)[number];

export const RANGE_FILTERS = ["all", "24h", "7d", "30d", "custom"] as const;
export type RangeFilter = (typeof RANGE_FILTERS)[number];

export interface DeliveryFilters {
  status: StatusFilter;
  source: SourceFilter;
  range: RangeFilter;
  /** YYYY-MM-DD, inclusive, UTC day; only with range "custom". */
  from: string | null;
  /** YYYY-MM-DD, inclusive, UTC day; only with range "custom". */
  to: string | null;
  /** Order name search as typed ("#1001" or "1001"). */
  q: string;
  /** One pixel's deliveries, by pixel code; "" for every pixel. */
  pixel: string;
}

export const DEFAULT_FILTERS: DeliveryFilters = {
  status: "all",
  source: "order",
  range: "all",
  from: null,
  to: null,
  q: "",
  pixel: "",
};

/** Keyset position: the page continues after (older) or before (newer) this row. */
export interface PageCursor {
  direction: "after" | "before";
  createdAt: Date;
  id: string;
}

const MAX_SEARCH_LENGTH = 100;
/**
 * Letters and digits, as pixel codes are (app/settings/settings-form.ts), loosely: the filter
 * only has to be harmless, a code that no delivery carries simply finds nothing. Matched as
 * stored (the filter's links are built from stored codes), not case-folded.
 */
const PIXEL_CODE = /^[A-Za-z0-9]{1,64}$/;
const RANGE_MS: Record<"24h" | "7d" | "30d", number> = {
  "24h": 24 * 3600_000,
  "7d": 7 * 24 * 3600_000,
  "30d": 30 * 24 * 3600_000,
};

function oneOf<T extends string>(
  allowed: readonly T[],
  value: string | null,
  fallback: T,
): T {
  return value !== null && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : fallback;
}

/** A real calendar date in YYYY-MM-DD form, or null. */
export function parseDay(value: string | null): string | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const date = new Date(`${value}T00:00:00.000Z`);
  // Rejects 2026-02-30 and the like, which Date would silently roll over.
  return !Number.isNaN(date.getTime()) &&
    date.toISOString().slice(0, 10) === value
    ? value
    : null;
}

export function parseFilters(params: URLSearchParams): DeliveryFilters {
  let from = parseDay(params.get("from"));
  let to = parseDay(params.get("to"));
  if (from && to && from > to) [from, to] = [to, from];
  const explicitRange = params.get("range");
  // Dates without a range (a hand-written link) still mean a custom range.
  const range =
    explicitRange === null && (from || to)
      ? "custom"
      : oneOf(RANGE_FILTERS, explicitRange, DEFAULT_FILTERS.range);
  return {
    status: oneOf(STATUS_FILTERS, params.get("status"), DEFAULT_FILTERS.status),
    source: oneOf(SOURCE_FILTERS, params.get("source"), DEFAULT_FILTERS.source),
    range,
    from: range === "custom" ? from : null,
    to: range === "custom" ? to : null,
    q: (params.get("q") ?? "").trim().slice(0, MAX_SEARCH_LENGTH),
    pixel: parsePixelCode(params.get("pixel")),
  };
}

/** The pixel filter's code, or "" (every pixel) for none or a malformed one. */
export function parsePixelCode(value: string | null): string {
  const code = (value ?? "").trim();
  return PIXEL_CODE.test(code) ? code : "";
}

export function encodeCursor(createdAt: Date, id: string): string {
  return `${createdAt.getTime()}.${id}`;
}

export function parseCursor(params: URLSearchParams): PageCursor | null {
  for (const direction of ["after", "before"] as const) {
    const value = params.get(direction);
    const match = value
      ? /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(value)
      : null;
    if (match)
      return { direction, createdAt: new Date(Number(match[1])), id: match[2] };
  }
  return null;
}

/** The query string for these filters (defaults omitted, so plain links stay short). */
export function filtersToSearch(
  filters: DeliveryFilters,
  page?: { after?: string; before?: string },
): string {
  const params = new URLSearchParams();
  if (filters.status !== DEFAULT_FILTERS.status)
    params.set("status", filters.status);
  if (filters.source !== DEFAULT_FILTERS.source)
    params.set("source", filters.source);
  if (filters.range !== DEFAULT_FILTERS.range)
    params.set("range", filters.range);
  if (filters.range === "custom") {
    if (filters.from) params.set("from", filters.from);
    if (filters.to) params.set("to", filters.to);
  }
  if (filters.q) params.set("q", filters.q);
  if (filters.pixel) params.set("pixel", filters.pixel);
  if (page?.after) params.set("after", page.after);
  else if (page?.before) params.set("before", page.before);
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function isFiltered(filters: DeliveryFilters): boolean {
  return filtersToSearch(filters) !== "";
}

/**
 * The order names a search stands for. A merchant looks an order up by its name as Shopify
 * shows it, typed with or without the "#": "#1001", "1001" and " # 1001 " all find "#1001",
 * and a shop with its own prefix or suffix types the name it sees ("TT-1001"). The match is
 * exact (not a substring: "100" does not find "#1001"), so it is one index lookup whatever
 * the size of the log.
 */
export function orderNameCandidates(q: string): string[] {
  const term = q.trim().replace(/^#\s*/, "").trim();
  return term ? [`#${term}`, term] : [];
}

/** The creation-time window, or null for all time. `to` days are inclusive. */
export function dateWindow(
  filters: DeliveryFilters,
  now: Date,
): { gte?: Date; lt?: Date } | null {
  if (filters.range === "all") return null;
  if (filters.range === "custom") {
    if (!filters.from && !filters.to) return null;
    const window: { gte?: Date; lt?: Date } = {};
    if (filters.from) window.gte = new Date(`${filters.from}T00:00:00.000Z`);
    if (filters.to)
      window.lt = new Date(
        new Date(`${filters.to}T00:00:00.000Z`).getTime() + 24 * 3600_000,
      );
    return window;
  }
  return { gte: new Date(now.getTime() - RANGE_MS[filters.range]) };
}

/** The rows these filters select, always inside the one shop; the search is `withinMatches`. */
export function deliveryWhere(
  shop: string,
  filters: DeliveryFilters,
  now: Date,
): Prisma.DeliveryWhereInput {
  const where: Prisma.DeliveryWhereInput = { shop };
  if (filters.status !== "all") where.status = filters.status;
  if (filters.source !== "all") where.source = filters.source;
  if (filters.pixel) where.pixelCode = filters.pixel;
  const window = dateWindow(filters, now);
  if (window) where.createdAt = window;
  return where;
}

/**
 * Narrows `where` to the deliveries a search found (`ids`, looked up by order name within the
 * shop). The shop condition is dropped because the ids already carry it: with it, SQLite's
 * planner, which has no statistics, prefers walking a (shop, …) index in list order over the
 * few rows the primary key names, and reads the shop's whole log to find them.
 */
export function withinMatches(
  where: Prisma.DeliveryWhereInput,
  ids: readonly string[],
): Prisma.DeliveryWhereInput {
  const { shop: _shop, ...rest } = where;
  return { ...rest, id: { in: [...ids] } };
}

/**
 * Rows strictly older (after) or newer (before) than the cursor, in list order. The bound on
 * `createdAt` alone is implied by the OR, and is there so the index is read from the cursor on.
 */
export function keysetWhere(
  cursor: Pick<PageCursor, "direction" | "createdAt" | "id">,
): Prisma.DeliveryWhereInput {
  const after = cursor.direction === "after";
  const op = after ? "lt" : "gt";
  return {
    createdAt: { [after ? "lte" : "gte"]: cursor.createdAt },
    OR: [
      { createdAt: { [op]: cursor.createdAt } },
      { createdAt: cursor.createdAt, id: { [op]: cursor.id } },
    ],
  };
}
