// The Reconciliation page's list of orders that did not go out, its filter and its CSV export.

export const LIST_FILTERS = [
  "all",
  "missing",
  "failed",
  "pending",
  "skipped",
  "too_old",
] as const;
export type ListFilter = (typeof LIST_FILTERS)[number];

export function parseListFilter(value: string | null): ListFilter {
  return (LIST_FILTERS as readonly string[]).includes(value ?? "")
    ? (value as ListFilter)
    : "all";
}

export interface NotSentRow {
  orderId: string;
  orderName: string | null;
  orderCreatedAt: string;
  status: string;
  reason: string | null;
  value: string | null;
  currency: string | null;
  backfill: string | null;
  deliveryId: string | null;
}

/** What the merchant can do about a row: send a missing order, resend a failed one. */
export function rowAction(row: Pick<NotSentRow, "status" | "backfill">) {
  if (row.status === "failed") return "resend" as const;
  if (row.status === "missing" && row.backfill === null) return "send" as const;
  return null;
}

/**
 * One CSV cell. Order names and reasons come from the shop and its customers; a spreadsheet
 * runs a cell that starts with =, +, - or @ as a formula (and tab or carriage return can hide
 * one), so such cells get a leading apostrophe, as OWASP recommends
 * (https://owasp.org/www-community/attacks/CSV_Injection). Every cell is quoted.
 */
export function csvCell(value: string | null | undefined): string {
  let text = value ?? "";
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export const CSV_HEADER = [
  "Order",
  "Order id",
  "Created (UTC)",
  "Status",
  "Reason",
  "Value",
  "Currency",
];

export function toCsv(rows: readonly NotSentRow[]): string {
  const lines = [CSV_HEADER.map(csvCell).join(",")];
  for (const row of rows)
    lines.push(
      [
        row.orderName,
        row.orderId,
        row.orderCreatedAt,
        row.status,
        row.reason,
        row.value,
        row.currency,
      ]
        .map(csvCell)
        .join(","),
    );
  // RFC 4180 line breaks.
  return `${lines.join("\r\n")}\r\n`;
}
