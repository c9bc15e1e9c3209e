// Pure rules of reconciliation: how one Shopify order compares with what we recorded for it,
// and the per-day figures the Reconciliation page shows.

export const ORDER_STATUSES = [
  "sent",
  "pending",
  "failed",
  "skipped",
  "missing",
  "too_old",
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/**
 * The oldest order a backfill sends. TikTok publishes no maximum `event_time` age for web events
 * (offline events must be within 28 days: https://docs.amperity.com/user/events_tiktok_ads_manager.html),
 * and an order is only worth sending while TikTok can still attribute it to the click: TikTok's
 * attribution overview takes a 7-day click window as its example
 * (https://ads.tiktok.com/help/article/attribution-overview). Older orders are reported, never sent.
 */
export const MAX_BACKFILL_AGE_DAYS = 7;
/** Without read_all_orders, the Admin API returns only the last 60 days of orders (https://shopify.dev/docs/api/admin-graphql/latest/objects/Order). */
export const ORDER_ACCESS_DAYS = 60;

/** What we recorded for the order's Purchase (the Delivery row), when anything. */
export interface RecordedPurchase {
  /** Delivery status: pending, delivered, failed or skipped. */
  status: string;
  lastError: string | null;
}

export type Classification =
  | { status: "sent" | "pending"; reason: null }
  | { status: "failed" | "skipped"; reason: string }
  | { status: "missing"; reason: null }
  | { status: "too_old"; reason: string }
  /** Not owed yet: the shop sends on orders/paid and the order is not paid. */
  | { status: "skipped"; reason: string; notOwed: true };

/**
 * One order's standing across the pixels that take Purchases: what needs the merchant's eye
 * first (missing somewhere, then failed, pending, skipped), "sent" only when every pixel has it.
 */
export function worstAcrossPixels(
  verdicts: readonly Classification[],
): Classification {
  const rank: Record<OrderStatus, number> = {
    missing: 0,
    too_old: 1,
    failed: 2,
    pending: 3,
    skipped: 4,
    sent: 5,
  };
  return verdicts.reduce((worst, v) =>
    rank[v.status] < rank[worst.status] ? v : worst,
  );
}

// orders/paid fires once an order is fully paid; these display statuses mean it was
// (https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderDisplayFinancialStatus).
const PAID = new Set(["PAID", "PARTIALLY_REFUNDED", "REFUNDED"]);

export function classifyOrder(input: {
  recorded: RecordedPurchase | null;
  createdAt: Date;
  financialStatus: string | null;
  purchaseTrigger: string;
  now: Date;
}): Classification {
  const { recorded } = input;
  if (recorded) {
    switch (recorded.status) {
      case "delivered":
        return { status: "sent", reason: null };
      case "failed":
        return {
          status: "failed",
          reason: recorded.lastError ?? "TikTok refused the event.",
        };
      case "skipped":
        return {
          status: "skipped",
          reason: recorded.lastError ?? "Not sent.",
        };
      default:
        return { status: "pending", reason: null };
    }
  }
  if (
    input.purchaseTrigger === "orders/paid" &&
    !PAID.has(input.financialStatus ?? "")
  )
    return {
      status: "skipped",
      reason:
        "Not paid yet: the shop sends Purchases when an order is paid (orders/paid).",
      notOwed: true,
    };
  const ageMs = input.now.getTime() - input.createdAt.getTime();
  if (ageMs > MAX_BACKFILL_AGE_DAYS * 86_400_000)
    return {
      status: "too_old",
      reason: `Never reached us, and older than ${MAX_BACKFILL_AGE_DAYS} days: too old to send to TikTok.`,
    };
  return { status: "missing", reason: null };
}

export interface ResultRow {
  orderCreatedAt: Date;
  status: string;
  backfill: string | null;
  value: string | null;
  reason: string | null;
}

export interface DaySummary {
  /** YYYY-MM-DD (UTC). */
  day: string;
  orders: number;
  eligible: number;
  sent: number;
  pending: number;
  failed: number;
  skipped: number;
  missing: number;
  tooOld: number;
  /** sent ÷ eligible, null when nothing was eligible. */
  coverage: number | null;
  /** Exact sums as decimal strings (cents precision). */
  revenueShopify: string;
  revenueSent: string;
}

/** Skipped by a filter or consent (also a missing order whose backfill was recorded as skipped): not owed to TikTok. */
export function isIneligible(row: Pick<ResultRow, "status" | "backfill">) {
  return (
    row.status === "skipped" ||
    (row.status === "missing" && row.backfill === "skipped")
  );
}

/** Decimal string → integer hundredths, without floating point. */
export function toCents(value: string | null): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value ?? "");
  if (!m) return 0n;
  const frac = ((m[3] ?? "") + "00").slice(0, 2);
  const cents = BigInt(m[2]) * 100n + BigInt(frac);
  return m[1] ? -cents : cents;
}

export function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  const text = `${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
  return negative ? `-${text}` : text;
}

export interface Totals extends Omit<DaySummary, "day"> {}

function emptyTotals(): Totals & { _shop: bigint; _sent: bigint } {
  return {
    orders: 0,
    eligible: 0,
    sent: 0,
    pending: 0,
    failed: 0,
    skipped: 0,
    missing: 0,
    tooOld: 0,
    coverage: null,
    revenueShopify: "0.00",
    revenueSent: "0.00",
    _shop: 0n,
    _sent: 0n,
  };
}

function add(t: ReturnType<typeof emptyTotals>, row: ResultRow) {
  t.orders += 1;
  t._shop += toCents(row.value);
  if (!isIneligible(row)) t.eligible += 1;
  switch (row.status) {
    case "sent":
      t.sent += 1;
      t._sent += toCents(row.value);
      break;
    case "pending":
      t.pending += 1;
      break;
    case "failed":
      t.failed += 1;
      break;
    case "skipped":
      t.skipped += 1;
      break;
    case "missing":
      t.missing += 1;
      break;
    case "too_old":
      t.tooOld += 1;
      break;
  }
}

function finish(t: ReturnType<typeof emptyTotals>): Totals {
  const { _shop, _sent, ...rest } = t;
  return {
    ...rest,
    coverage: t.eligible > 0 ? t.sent / t.eligible : null,
    revenueShopify: fromCents(_shop),
    revenueSent: fromCents(_sent),
  };
}

/** Per UTC day, newest first, plus the totals. */
export function summarize(rows: Iterable<ResultRow>): {
  days: DaySummary[];
  totals: Totals;
} {
  const days = new Map<string, ReturnType<typeof emptyTotals>>();
  const totals = emptyTotals();
  for (const row of rows) {
    const day = row.orderCreatedAt.toISOString().slice(0, 10);
    let t = days.get(day);
    if (!t) days.set(day, (t = emptyTotals()));
    add(t, row);
    add(totals, row);
  }
  return {
    days: [...days.entries()]
      .sort(([a], [b]) => (a < b ? 1 : -1))
      .map(([day, t]) => ({ day, ...finish(t) })),
    totals: finish(totals),
  };
}
