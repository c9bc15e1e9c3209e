// The demo's printed summary: what the TikTok stand-in received, and what was deliberately
// not sent, with the app's own reasons. Pure formatting.
import { PERSON_KEYS } from "~/tiktok/match-keys";

export interface ReceivedEvent {
  event: string;
  event_id?: string;
  user: Record<string, unknown>;
  properties: Record<string, unknown>;
  limited_data_use: boolean;
}

export interface DeliveryRow {
  source: string;
  eventName: string;
  eventId: string;
  orderName: string | null;
  status: string;
  matchKeys: string;
  /** JSON: where each match key came from (Delivery.keySources). */
  keySources?: string | null;
  attemptCount: number;
  lastError: string | null;
}

export interface NotSentRow {
  what: string;
  status: string;
  reason: string;
}

/** The user fields the report lists, in the app's order (IP and user agent apart). */
const USER_KEYS = [...PERSON_KEYS, "ip", "user_agent"] as const;

export function matchKeysOf(user: Record<string, unknown>): string[] {
  return USER_KEYS.filter((key) => {
    const value = user[key];
    return Array.isArray(value)
      ? value.length > 0
      : typeof value === "string" && value.length > 0;
  });
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) =>
    Math.max(...rows.map((row) => row[col]!.length)),
  );
  return rows.map((row) =>
    `  ${row.map((cell, col) => cell.padEnd(widths[col]!)).join("  ")}`.trimEnd(),
  );
}

function money(properties: Record<string, unknown>): string {
  const { value, currency } = properties;
  if (typeof value !== "number") return "-";
  return `${value.toFixed(2)} ${typeof currency === "string" ? currency : ""}`.trim();
}

export function receivedTable(events: ReceivedEvent[]): string[] {
  if (events.length === 0) return ["  (nothing)"];
  const rows = [["EVENT", "EVENT_ID", "MATCH KEYS", "VALUE", ""]];
  for (const e of events) {
    rows.push([
      e.event,
      e.event_id ?? "-",
      matchKeysOf(e.user).join(" ") || "-",
      money(e.properties),
      e.limited_data_use ? "limited data use" : "",
    ]);
  }
  return table(rows);
}

export function notSentTable(rows: NotSentRow[]): string[] {
  if (rows.length === 0) return ["  (nothing)"];
  return table([
    ["ORDER / EVENT", "STATUS", "REASON"],
    ...rows.map((r) => [r.what, r.status, r.reason]),
  ]);
}

/** Each sent Purchase: its match keys, and where each came from. */
export function provenanceTable(deliveries: DeliveryRow[]): string[] {
  const rows = deliveries.filter(
    (d) => d.eventName === "Purchase" && d.status === "delivered",
  );
  if (rows.length === 0) return ["  (nothing)"];
  return table([
    ["ORDER", "MATCH KEYS (WHERE EACH CAME FROM)"],
    ...rows.map((d) => {
      let sources: Record<string, string> = {};
      try {
        sources = JSON.parse(d.keySources ?? "{}") as Record<string, string>;
      } catch {
        // an older row without sources
      }
      const keys = Object.entries(sources)
        .filter(([key]) => key !== "consent")
        .map(([key, source]) => `${key}<-${source}`);
      if (sources.consent) keys.push(`consent<-${sources.consent}`);
      return [d.orderName ?? "-", keys.join(" ") || "-"];
    }),
  ]);
}

/** Deliveries the app recorded but did not (or could not) send. */
export function notSentFromDeliveries(deliveries: DeliveryRow[]): NotSentRow[] {
  return deliveries
    .filter((d) => d.status === "skipped" || d.status === "failed")
    .map((d) => ({
      what: `${d.orderName ?? d.source} ${d.eventName}`,
      status: d.status,
      reason: d.lastError ?? "",
    }));
}
