/**
 * Checks built events and request bodies against the Events API v1.3 rules before anything is
 * sent: one bad event makes TikTok reject its whole batch (code 40002), so it is caught here.
 * Field rules follow TikTok's Events API 2.0 docs
 * (https://business-api.tiktok.com/portal/docs?id=1771100865818625). Accepts `unknown` shapes
 * too (an event may come from storage), so every type is checked at run time. Messages are
 * human-readable and shown in the delivery log.
 */
import { isIP } from "node:net";
import { isSupportedCurrency } from "./events";
import { isLowerSha256Hex } from "./hashing";
import { PERSON_KEYS } from "./match-keys";
import { MAX_EVENTS_PER_REQUEST } from "./track-body";
import type { TikTokEvent, TrackRequestBody } from "./wire-types";

const EVENT_KEYS = new Set([
  "event",
  "event_time",
  "event_id",
  "user",
  "properties",
  "page",
  "limited_data_use",
]);
const USER_KEYS = new Set<string>([
  ...PERSON_KEYS,
  "ip",
  "user_agent",
  "locale",
]);
const PROPERTY_KEYS = new Set([
  "currency",
  "value",
  "content_type",
  "contents",
  "order_id",
  "num_items",
  "query",
]);
const CONTENT_KEYS = new Set([
  "content_id",
  "content_name",
  "content_category",
  "price",
  "quantity",
  "brand",
]);
const PAGE_KEYS = new Set(["url", "referrer"]);

/** 1.x fields whose presence means a legacy payload leaked in; named so the error says why. */
const LEGACY_FIELDS: Readonly<Record<string, string>> = {
  pixel_code:
    "legacy 1.x field pixel_code (use event_source_id at the top level)",
  timestamp: "legacy 1.x field timestamp (use integer event_time)",
  context: "legacy 1.x field context (use user, page)",
  phone_number: "legacy 1.x field phone_number (use phone)",
  test_event_code:
    "test_event_code belongs at the top level of the request, not in an event",
  content_type: "content_type belongs in properties",
};

/** Earliest/latest plausible seconds: catches milliseconds and missing times. */
const MIN_EVENT_TIME = 1_500_000_000; // 2017-07
const MAX_EVENT_TIME = 9_999_999_999; // anything larger is milliseconds

export interface ValidateOptions {
  /** When given, an event_time more than 10 minutes in the future is rejected. */
  now?: Date;
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

const HTTP_SCHEME = /^https?:\/\//i;

function isAbsoluteHttpUrl(value: string): boolean {
  // The scheme test first so URL parsing (the costly part) runs once.
  return HTTP_SCHEME.test(value) && URL.canParse(value);
}

function unknownKeys(
  where: string,
  obj: Obj,
  allowed: ReadonlySet<string>,
  errors: string[],
) {
  // for-in rather than Object.keys: no array per object (this runs for every event sent).
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    if (allowed.has(key)) continue;
    errors.push(
      LEGACY_FIELDS[key]
        ? `${where}: ${LEGACY_FIELDS[key]}`
        : `${where}: unknown field ${key}`,
    );
  }
}

/** Checks one event. Returns human-readable problems; empty means valid. */
export function validateEvent(
  event: TikTokEvent | unknown,
  options: ValidateOptions = {},
): string[] {
  const errors: string[] = [];
  if (!isObj(event)) return ["event must be an object"];
  unknownKeys("event", event, EVENT_KEYS, errors);

  if (!nonEmptyString(event.event))
    errors.push("event name must be a non-empty string");
  else if (event.event !== event.event.trim())
    errors.push("event name has surrounding spaces");

  validateEventTime(event.event_time, options, errors);

  if (typeof event.event_id !== "string")
    errors.push("event_id must be a string");
  else if (event.event_id.trim() === "")
    errors.push("event_id must not be empty");

  if (event.user !== undefined) validateUser(event.user, errors);
  if (event.properties !== undefined)
    validateProperties(event.properties, errors);
  if (event.page !== undefined) validatePage(event.page, errors);
  if (
    event.limited_data_use !== undefined &&
    typeof event.limited_data_use !== "boolean"
  ) {
    errors.push("limited_data_use must be a boolean");
  }
  return errors;
}

/** event_time: integer Unix seconds, plausible, and (when `now` is given) not in the future. */
export function validateEventTime(
  time: unknown,
  options: ValidateOptions,
  errors: string[],
) {
  if (typeof time !== "number" || !Number.isInteger(time)) {
    errors.push("event_time must be an integer number of Unix seconds");
  } else if (time > MAX_EVENT_TIME) {
    errors.push("event_time looks like milliseconds; send Unix seconds");
  } else if (time < MIN_EVENT_TIME) {
    errors.push("event_time is not a plausible Unix time in seconds");
  } else if (options.now && time > options.now.getTime() / 1000 + 600) {
    errors.push("event_time is in the future");
  }
}

const HASHED_USER_KEYS = ["email", "phone", "external_id"] as const;
const RAW_USER_KEYS = ["ttclid", "ttp", "user_agent", "locale"] as const;
/** One SHA-256 hex string each (TikTok's `user` object takes these as single strings). */
const HASHED_SINGLE_USER_KEYS = [
  "first_name",
  "last_name",
  "zip_code",
] as const;
/** Sent plain but normalised (app/tiktok/hashing.ts): anything else is raw input leaking through. */
const PLAIN_USER_KEYS: ReadonlyArray<readonly [string, RegExp, string]> = [
  ["city", /^[a-z0-9]{1,100}$/, "lower-case letters and digits only"],
  ["state", /^[a-z0-9]{1,10}$/, "a lower-case region code"],
  ["country", /^[a-z]{2}$/, "a lower-case two-letter country code"],
];

/**
 * `user`: email/phone/external_id/first_name/last_name/zip_code only as lowercase SHA-256 hex,
 * city/state/country normalised, ip a real address.
 */
export function validateUser(user: unknown, errors: string[]) {
  if (!isObj(user)) {
    errors.push("user must be an object");
    return;
  }
  unknownKeys("user", user, USER_KEYS, errors);
  for (const key of HASHED_USER_KEYS) {
    const value = user[key];
    if (value === undefined) continue;
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) errors.push(`user.${key} must not be empty`);
    for (const item of list) {
      if (typeof item !== "string" || !isLowerSha256Hex(item)) {
        errors.push(
          `user.${key} must hold lowercase SHA-256 hex hashes, never raw values`,
        );
        break;
      }
    }
  }
  for (const key of HASHED_SINGLE_USER_KEYS) {
    const value = user[key];
    if (
      value !== undefined &&
      (typeof value !== "string" || !isLowerSha256Hex(value))
    )
      errors.push(
        `user.${key} must be a lowercase SHA-256 hex hash, never a raw value`,
      );
  }
  for (const [key, pattern, rule] of PLAIN_USER_KEYS) {
    const value = user[key];
    if (
      value !== undefined &&
      (typeof value !== "string" || !pattern.test(value))
    )
      errors.push(`user.${key} must be ${rule}`);
  }
  for (const key of RAW_USER_KEYS) {
    const value = user[key];
    if (value !== undefined && !nonEmptyString(value))
      errors.push(`user.${key} must be a non-empty string`);
  }
  if (
    user.ip !== undefined &&
    (typeof user.ip !== "string" || isIP(user.ip) === 0)
  ) {
    errors.push("user.ip must be an IPv4 or IPv6 address");
  }
}

/** `properties`: a supported currency whenever there is a value, numbers as numbers. */
export function validateProperties(props: unknown, errors: string[]) {
  if (!isObj(props)) {
    errors.push("properties must be an object");
    return;
  }
  unknownKeys("properties", props, PROPERTY_KEYS, errors);
  if (props.currency !== undefined) {
    if (
      typeof props.currency !== "string" ||
      !isSupportedCurrency(props.currency)
    ) {
      errors.push(
        `currency ${JSON.stringify(props.currency)} is not supported by TikTok`,
      );
    }
  }
  if (props.value !== undefined) {
    if (typeof props.value !== "number" || !Number.isFinite(props.value)) {
      errors.push("value must be a number");
    } else if (props.value < 0) {
      errors.push("value must not be negative");
    } else if (props.currency === undefined) {
      errors.push("currency is required when value is set");
    }
  }
  if (
    props.content_type !== undefined &&
    props.content_type !== "product" &&
    props.content_type !== "product_group"
  ) {
    errors.push('content_type must be "product" or "product_group"');
  }
  if (props.contents !== undefined) {
    if (!Array.isArray(props.contents) || props.contents.length === 0) {
      errors.push("contents must be a non-empty array");
    } else {
      props.contents.forEach((content: unknown, i) =>
        validateContent(content, i, errors),
      );
    }
  }
  if (props.order_id !== undefined && !nonEmptyString(props.order_id)) {
    errors.push("order_id must be a non-empty string");
  }
  if (
    props.num_items !== undefined &&
    (typeof props.num_items !== "number" ||
      !Number.isInteger(props.num_items) ||
      props.num_items < 0)
  ) {
    errors.push("num_items must be a non-negative integer");
  }
  if (props.query !== undefined && !nonEmptyString(props.query)) {
    errors.push("query must be a non-empty string");
  }
}

/** One `contents[i]`: a string content_id, non-negative numbers, no blank text. */
export function validateContent(content: unknown, i: number, errors: string[]) {
  const where = `contents[${i}]`;
  if (!isObj(content)) {
    errors.push(`${where} must be an object`);
    return;
  }
  unknownKeys(where, content, CONTENT_KEYS, errors);
  if (!nonEmptyString(content.content_id))
    errors.push(`${where}.content_id must be a non-empty string`);
  for (const key of ["price", "quantity"] as const) {
    const value = content[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      errors.push(`${where}.${key} must be a non-negative number`);
    }
  }
  for (const key of ["content_name", "content_category", "brand"] as const) {
    const value = content[key];
    if (value !== undefined && !nonEmptyString(value))
      errors.push(`${where}.${key} must be a non-empty string`);
  }
}

/** `page`: absolute http(s) URLs only. */
export function validatePage(page: unknown, errors: string[]) {
  if (!isObj(page)) {
    errors.push("page must be an object");
    return;
  }
  unknownKeys("page", page, PAGE_KEYS, errors);
  for (const key of ["url", "referrer"] as const) {
    const value = page[key];
    if (value === undefined) continue;
    if (typeof value !== "string" || !isAbsoluteHttpUrl(value)) {
      errors.push(`page.${key} must be an absolute http(s) URL`);
    }
  }
}

/** Top-level body checks (the per-event ones are `validateEvent`). */
export function validateTrackBody(body: TrackRequestBody | unknown): string[] {
  if (!isObj(body)) return ["body must be an object"];
  const errors: string[] = [];
  if (body.event_source !== "web") errors.push('event_source must be "web"');
  if (!nonEmptyString(body.event_source_id))
    errors.push("event_source_id (pixel code) is required");
  if (body.pixel_code !== undefined)
    errors.push(`body: ${LEGACY_FIELDS.pixel_code}`);
  if (
    body.test_event_code !== undefined &&
    !nonEmptyString(body.test_event_code)
  ) {
    errors.push("test_event_code must be a non-empty string when present");
  }
  if (!Array.isArray(body.data) || body.data.length === 0)
    errors.push("data must hold 1 to 1000 events");
  else if (body.data.length > MAX_EVENTS_PER_REQUEST)
    errors.push("data holds more than 1000 events");
  return errors;
}
