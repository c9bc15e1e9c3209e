// Pure wording for the settings page's list of pixels: each pixel's last delivery and last test
// event in the merchant's words (no server imports, so it is unit-tested alone).
import {
  describeOutcome,
  TIKTOK_CODES,
  type OutcomeReason,
} from "~/tiktok/outcome";
import { asStatus } from "~/delivery-log/present";

export type LineTone = "success" | "critical" | "caution" | "subdued";

/** One line about a pixel, with the tone its text is shown in. */
export interface StatusLine {
  tone: LineTone;
  text: string;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function timeAgo(at: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - at.getTime()) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

export interface LastDeliveryRow {
  status: string;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
  lastAttemptAt: Date | null;
}

/** The newest delivery for a pixel, e.g. "Delivered 5 min ago" or "Failed: <reason>". */
export function describeLastDelivery(
  row: LastDeliveryRow | null,
  now: Date,
): StatusLine {
  if (!row) return { tone: "subdued", text: "Nothing sent yet" };
  switch (asStatus(row.status)) {
    case "delivered":
      return {
        tone: "success",
        text: `Delivered ${timeAgo(row.deliveredAt ?? row.lastAttemptAt ?? row.createdAt, now)}`,
      };
    case "failed":
      // lastError is already in the merchant's words (describeOutcome, written by the worker).
      return {
        tone: "critical",
        text: `Failed: ${row.lastError ?? "TikTok did not accept the last event."}`,
      };
    case "pending":
      return {
        tone: "caution",
        text: `Waiting to be sent (queued ${timeAgo(row.createdAt, now)})`,
      };
    case "skipped":
      return {
        tone: "subdued",
        text: `Not sent on purpose ${timeAgo(row.createdAt, now)}${row.lastError ? `: ${row.lastError}` : ""}`,
      };
  }
}

export interface LastTest {
  at: string;
  ok: boolean;
  code: number | null;
  message: string | null;
}

/** TikTok's codes the merchant can act on; the rest are told as TikTok worded them. */
const REASONS: Record<number, OutcomeReason> = {
  [TIKTOK_CODES.NO_PERMISSION]: "permission",
  [TIKTOK_CODES.VALIDATION]: "validation",
  [TIKTOK_CODES.INVALID_VALUE]: "validation",
  [TIKTOK_CODES.INVALID_TOKEN]: "auth",
  [TIKTOK_CODES.RATE_LIMITED]: "rate_limited",
};

/**
 * The pixel's last test event. A pixel code TikTok does not know for the token comes back as
 * 40001 ("No permission to operate pixel code") or 40002 (invalid value), both told here as a
 * problem with this pixel's code or token.
 */
export function describeLastTest(test: LastTest | null, now: Date): StatusLine {
  if (!test) return { tone: "subdued", text: "No test event sent yet" };
  const when = timeAgo(new Date(test.at), now);
  if (test.ok) return { tone: "success", text: `Test event accepted ${when}` };
  const reason = test.code === null ? undefined : REASONS[test.code];
  const message = test.message ?? "";
  let words: string;
  if (test.code === TIKTOK_CODES.NO_PERMISSION)
    words =
      "TikTok does not accept this pixel code with this access token. Check the pixel code in TikTok Events Manager, and that the token was generated for this pixel.";
  else if (
    test.code === TIKTOK_CODES.VALIDATION &&
    /pixel|event_source_id/i.test(message)
  )
    words = `TikTok says the pixel code is not valid ("${message}"). Check the code in TikTok Events Manager.`;
  else if (reason)
    words = describeOutcome({
      kind: "permanent",
      reason,
      httpStatus: null,
      code: test.code,
      message,
      requestId: null,
    });
  else if (test.code === null)
    // No TikTok answer to read (timeout, network): the message says what happened.
    words = message
      ? `It did not reach TikTok: ${message}`
      : "It did not reach TikTok.";
  else words = message ? `TikTok refused it: ${message}` : "TikTok refused it.";
  const code = test.code !== null ? ` (TikTok code ${test.code})` : "";
  return {
    tone: "critical",
    text: `Test event failed ${when}${code}. ${words}`,
  };
}
