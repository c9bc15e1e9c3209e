// The home page's "last 7 days" numbers, computed from the per-day summary rows the outbox
// keeps (DeliveryDaySummary), so the database returns a few rows per day, never the deliveries.
import type { MatchKey } from "~/tiktok/match-keys";
import type { PixelChoice } from "./pixels";
import {
  knownStatus,
  MATCH_KEYS,
  MATCH_KEY_LABELS,
  parseMatchKeys,
  percent,
} from "./present";

export const SUMMARY_DAYS = 7;

/** Order deliveries in the window with one status, set of match keys and journey (and pixel). */
export interface StatusKeysGroup {
  /** The pixel the deliveries went to; absent where the caller did not group by pixel. */
  pixelCode?: string;
  status: string;
  matchKeys: string;
  /** app/orders/journey.ts's value; "" when unknown (recorded before journeys were kept). */
  journey?: string;
  count: number;
}

export interface MatchKeyShare {
  key: MatchKey;
  label: string;
  /** Delivered or pending purchases carrying this key. */
  count: number;
  /** Whole percent of delivered + pending purchases; null when there were none. */
  percent: number | null;
}

export interface DeliverySummary {
  days: number;
  since: string;
  /** Order deliveries recorded in the window, whatever their status. */
  ordersSeen: number;
  sent: number;
  failed: number;
  pending: number;
  skipped: number;
  /** The base of the match-key shares: delivered + pending purchases. */
  matchKeyBase: number;
  matchKeyShare: MatchKeyShare[];
}

export function summarizeDeliveries(
  groups: StatusKeysGroup[],
  since: Date,
): DeliverySummary {
  const byStatus = { delivered: 0, pending: 0, failed: 0, skipped: 0 };
  const keyCounts = new Map<MatchKey, number>(MATCH_KEYS.map((k) => [k, 0]));
  let base = 0;
  for (const group of groups) {
    const status = knownStatus(group.status);
    if (!status) continue;
    byStatus[status] += group.count;
    // Failed and skipped purchases did not (or will not) reach TikTok, so their keys
    // say nothing about match quality.
    if (status !== "delivered" && status !== "pending") continue;
    base += group.count;
    for (const key of parseMatchKeys(group.matchKeys))
      keyCounts.set(key, (keyCounts.get(key) ?? 0) + group.count);
  }
  return {
    days: SUMMARY_DAYS,
    since: since.toISOString(),
    ordersSeen:
      byStatus.delivered +
      byStatus.pending +
      byStatus.failed +
      byStatus.skipped,
    sent: byStatus.delivered,
    failed: byStatus.failed,
    pending: byStatus.pending,
    skipped: byStatus.skipped,
    matchKeyBase: base,
    matchKeyShare: MATCH_KEYS.map((key) => {
      const count = keyCounts.get(key) ?? 0;
      return {
        key,
        label: MATCH_KEY_LABELS[key],
        count,
        percent: percent(count, base),
      };
    }),
  };
}

/**
 * The first instant of the window: the summary counts whole UTC days (what its rows hold),
 * today and the SUMMARY_DAYS - 1 days before it.
 */
export function summaryWindowStart(now: Date): Date {
  const today = Date.UTC(
    now.getUTCFullYear(),
    now.getUTCMonth(),
    now.getUTCDate(),
  );
  return new Date(today - (SUMMARY_DAYS - 1) * 86_400_000);
}

/** One pixel's share of the window: its own figures and match-key shares. */
export interface PixelSummary {
  code: string;
  label: string;
  removed: boolean;
  summary: DeliverySummary;
}

/**
 * The window per pixel, from the same groups as the total: each pixel of `choices` (the shop's
 * pixels, and the codes of the groups no current pixel has, see pixelChoices) with its own
 * figures, so the pixels' figures add up to the total's. Every pixel gets its own Purchase of an
 * order, so with several pixels the total counts an order once per pixel.
 */
export function summarizeByPixel(
  groups: readonly StatusKeysGroup[],
  since: Date,
  choices: readonly PixelChoice[],
): PixelSummary[] {
  const byCode = new Map<string, StatusKeysGroup[]>();
  for (const group of groups) {
    const code = group.pixelCode ?? "";
    const list = byCode.get(code) ?? [];
    list.push(group);
    byCode.set(code, list);
  }
  return choices.map((choice) => ({
    code: choice.code,
    label: choice.label,
    removed: choice.removed,
    summary: summarizeDeliveries(byCode.get(choice.code) ?? [], since),
  }));
}
