// Pure wording and presentation rules for the delivery log, shared by the list, the
// detail page and the home summary (and safe to import in the browser bundle).
import { MATCH_KEYS, PERSON_KEYS, type MatchKey } from "~/tiktok/match-keys";
import type { KeySource, SourcedKey } from "~/orders/browser-context";
import { deliveredResendable } from "~/delivery/outbox/retry-policy";
import {
  canTransition,
  isDeliveryStatus,
  type DeliveryStatus,
} from "~/delivery/outbox/states";

/** Badge tones used here (a subset of Polaris Badge's; undefined = neutral). */
export type BadgeTone =
  "success" | "attention" | "critical" | "info" | undefined;

export const STATUS_BADGES: Record<
  DeliveryStatus,
  { label: string; tone: BadgeTone }
> = {
  delivered: { label: "Delivered", tone: "success" },
  pending: { label: "Pending", tone: "attention" },
  failed: { label: "Failed", tone: "critical" },
  skipped: { label: "Skipped", tone: undefined },
};

export function knownStatus(value: string): DeliveryStatus | null {
  return isDeliveryStatus(value) ? value : null;
}

/** Unknown values (none are written today) are shown as pending rather than crashing the page. */
export function asStatus(value: string): DeliveryStatus {
  return knownStatus(value) ?? "pending";
}

export { MATCH_KEYS };

export const MATCH_KEY_LABELS: Record<MatchKey, string> = {
  ttclid: "ttclid",
  ttp: "ttp",
  email: "email",
  phone: "phone",
  external_id: "external_id",
  first_name: "first_name",
  last_name: "last_name",
  city: "city",
  state: "state",
  country: "country",
  zip_code: "zip_code",
  ip_ua: "IP + UA",
};

export const MATCH_KEY_HELP: Record<MatchKey, string> = {
  ttclid: "TikTok click id from the ad the shopper clicked",
  ttp: "TikTok browser cookie (_ttp)",
  email: "Email address (hashed)",
  phone: "Phone number (hashed)",
  external_id: "Shopify customer id (hashed)",
  first_name: "First name from the order's address (hashed)",
  last_name: "Last name from the order's address (hashed)",
  city: "City from the order's address",
  state: "State or province code from the order's address",
  country: "Country code from the order's address",
  zip_code: "Postal code from the order's address (hashed)",
  ip_ua: "IP address and browser user agent",
};

/** Parses the stored comma-separated list, in the canonical order, ignoring unknown words. */
export function parseMatchKeys(stored: string): MatchKey[] {
  const present = new Set(stored.split(",").map((k) => k.trim()));
  return MATCH_KEYS.filter((key) => present.has(key));
}

/** Where a key came from (Delivery.keySources values), in words. */
export const KEY_SOURCE_LABELS: Record<KeySource, string> = {
  cart_attributes: "cart attributes",
  checkout_pixel: "checkout pixel",
  storefront_session: "storefront session",
  landing_site: "order landing page",
  order: "order",
  billing_address: "order billing address",
  shipping_address: "order shipping address",
  storefront_script: "storefront script",
  app_proxy: "app proxy (signed by Shopify)",
};

/** The order the detail page lists sourced keys in. */
const SOURCED_KEYS = [
  ...PERSON_KEYS,
  "ip",
  "user_agent",
  "consent",
] as const satisfies readonly SourcedKey[];

export interface KeySourceRow {
  key: string;
  source: string;
}

/**
 * One row per key, in the canonical order, each source in words. Keys or sources this version
 * does not know (older or newer rows) are still shown, as stored, after the known ones.
 */
export function keySourceRows(
  sources: Readonly<Record<string, string>>,
): KeySourceRow[] {
  const known: readonly string[] = SOURCED_KEYS;
  const keys = [
    ...SOURCED_KEYS.filter((key) => Object.hasOwn(sources, key)),
    ...Object.keys(sources).filter((key) => !known.includes(key)),
  ];
  return keys.map((key) => {
    const source = sources[key];
    return {
      key,
      source: Object.hasOwn(KEY_SOURCE_LABELS, source)
        ? KEY_SOURCE_LABELS[source as KeySource]
        : source.replace(/_/g, " "),
    };
  });
}

export type DeliverySourceValue = "order" | "storefront" | "test";

/** What the log calls a delivery: its order name, or where it came from. */
export function deliveryLabel(
  source: string,
  orderName: string | null,
): string {
  if (source === "storefront") return "Storefront";
  if (source === "test") return "Test";
  return orderName ?? "Order";
}

/** `shopify://admin/orders/<id>` opens the order in the admin from inside the embedded app. */
export function orderAdminUrl(orderId: string | null): string | null {
  const match = orderId
    ? /^(?:gid:\/\/shopify\/Order\/)?(\d+)$/.exec(orderId)
    : null;
  return match ? `shopify://admin/orders/${match[1]}` : null;
}

export interface StatusExplanation {
  tone: "success" | "info" | "warning" | "critical";
  title: string;
  body: string;
}

/** The delivery's state in plain words, for the banner on the detail page. */
export function explainStatus(input: {
  status: string;
  lastError: string | null;
  attemptCount: number;
}): StatusExplanation {
  const { lastError, attemptCount } = input;
  switch (asStatus(input.status)) {
    case "delivered":
      return {
        tone: "success",
        title: "Delivered",
        body: `TikTok accepted this event${attemptCount > 1 ? ` after ${attemptCount} attempts` : ""}.`,
      };
    case "pending":
      return attemptCount === 0
        ? {
            tone: "info",
            title: "Waiting to be sent",
            body: "This event is queued and is normally sent within a few seconds.",
          }
        : {
            tone: "warning",
            title: "Waiting for the next try",
            body: `${lastError ?? "The last attempt did not go through."} The app tries again automatically.`,
          };
    case "failed":
      return {
        tone: "critical",
        title: "Not delivered",
        body:
          lastError ??
          "TikTok did not accept this event. Check the attempts below for TikTok's answer, fix the cause, then resend.",
      };
    case "skipped":
      return {
        tone: "info",
        title: "Not sent on purpose",
        body:
          lastError ??
          "This event was recorded but deliberately not sent to TikTok.",
      };
  }
}

export interface ResendAvailability {
  allowed: boolean;
  reason: string | null;
}

const RESEND_REFUSED: Partial<Record<DeliveryStatus, string>> = {
  pending: "This event is already queued; the app sends it automatically.",
  skipped:
    "Skipped events can't be resent: they were held back on purpose (for example the shopper declined marketing consent, or an order filter in Settings).",
};

export const RESEND_TOO_LATE =
  "Delivered too long ago to resend: TikTok recognises a repeated event id for 48 hours only, so sending it again now would count it twice.";

/**
 * The same rule the Resend write enforces: the states table's `requeue` transition, and for a
 * delivered event, TikTok's 48 h deduplication window.
 */
export function resendAvailability(
  status: string,
  timing?: { eventTime: Date; deliveredAt: Date | null; now: Date },
): ResendAvailability {
  const current = asStatus(status);
  if (
    current === "delivered" &&
    timing &&
    !deliveredResendable(timing.eventTime, timing.deliveredAt, timing.now)
  )
    return { allowed: false, reason: RESEND_TOO_LATE };
  if (canTransition("requeue", current)) return { allowed: true, reason: null };
  return {
    allowed: false,
    reason: RESEND_REFUSED[current] ?? "This event can't be resent.",
  };
}

export const OUTCOME_LABELS: Record<
  string,
  { label: string; tone: BadgeTone }
> = {
  accepted: { label: "Accepted", tone: "success" },
  retryable: { label: "Will retry", tone: "attention" },
  permanent: { label: "Rejected", tone: "critical" },
};

export function outcomeBadge(outcome: string): {
  label: string;
  tone: BadgeTone;
} {
  return OUTCOME_LABELS[outcome] ?? { label: outcome, tone: undefined };
}

/** Pretty-printed JSON of the stored payload, or the text as stored if it is not JSON. */
export function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

export function formatDuration(ms: number): string {
  return ms < 1000
    ? `${Math.round(ms)} ms`
    : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A date for people: medium date, short time, in the given zone (UTC when unset). */
export function formatDateTime(iso: string, timeZone = "UTC"): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // ICU versions differ on the space before AM/PM (U+202F or a plain space); one form
  // keeps the server's render and the browser's hydration identical.
  const text = new Intl.DateTimeFormat("en-US", {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone,
  })
    .format(date)
    .replace(/[\u202f\u00a0]/g, " ");
  return timeZone === "UTC" ? `${text} UTC` : text;
}

/** Whole percent, or null when there is nothing to divide by. */
export function percent(part: number, whole: number): number | null {
  return whole > 0 ? Math.round((part * 100) / whole) : null;
}

/** Heading over the JSON: only call it "sent" once TikTok has actually been asked. */
export function payloadHeading(status: string, attemptCount: number): string {
  if (asStatus(status) === "skipped") return "Event recorded (not sent)";
  return attemptCount > 0
    ? "JSON sent to TikTok"
    : "JSON that will be sent to TikTok";
}

export const NOT_FOUND_MESSAGE =
  "This event isn't in your delivery log. It may have been removed by log retention, or the link is for another store.";
