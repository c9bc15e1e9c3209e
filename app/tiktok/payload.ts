/**
 * Exact Events API v1.3 ("Events 2.0") request bodies for web events, and their validation.
 * Shape and types: reference §2; never any legacy 1.x field (§3).
 */
import { isIP } from "node:net";
import { isSupportedCurrency } from "./events";
import { isLowerSha256Hex, type HashedUserIdentifiers } from "./hashing";

/** Default `partner_name` sent at the top level of every request. */
export const PARTNER_NAME = "ShopifyServerSideTikTok";

/** Maximum events per request accepted by TikTok (reference §8). */
export const MAX_EVENTS_PER_REQUEST = 1000;

export interface TikTokUser {
  ttclid?: string;
  ttp?: string;
  email?: string[];
  phone?: string[];
  external_id?: string[];
  ip?: string;
  user_agent?: string;
  locale?: string;
}

export type ContentType = "product" | "product_group";

export interface TikTokContent {
  content_id: string;
  content_name?: string;
  content_category?: string;
  price?: number;
  quantity?: number;
  brand?: string;
}

export interface TikTokProperties {
  currency?: string;
  value?: number;
  content_type?: ContentType;
  contents?: TikTokContent[];
  order_id?: string;
  num_items?: number;
  query?: string;
}

export interface TikTokPage {
  url?: string;
  referrer?: string;
}

/** One element of `data[]`, exactly as sent. */
export interface TikTokEvent {
  event: string;
  event_time: number;
  event_id: string;
  user?: TikTokUser;
  properties?: TikTokProperties;
  page?: TikTokPage;
  limited_data_use?: boolean;
}

export interface TrackRequestBody {
  event_source: "web";
  event_source_id: string;
  partner_name?: string;
  test_event_code?: string;
  data: TikTokEvent[];
}

/** Raw text fields may be missing; ids and money may arrive as numbers or decimal strings (Shopify). */
type Text = string | null | undefined;
type Id = string | number | null | undefined;
type Amount = number | string | null | undefined;

export interface ContentInput {
  contentId: Id;
  contentName?: Text;
  contentCategory?: Text;
  price?: Amount;
  quantity?: Amount;
  brand?: Text;
}

export interface EventInput {
  eventName: string;
  /** Stable per business event (e.g. `<orderId>_Purchase`): TikTok deduplicates on it for 48 h. */
  eventId: string | number;
  /** A Date, or Unix seconds. Sent as integer seconds. */
  eventTime: Date | number;
  /** Hashed identifiers from `hashUserIdentifiers` plus values TikTok wants raw (never hashed). */
  user?: HashedUserIdentifiers & {
    ttclid?: Text;
    ttp?: Text;
    ip?: Text;
    userAgent?: Text;
    locale?: Text;
  };
  properties?: {
    currency?: Text;
    value?: Amount;
    contentType?: ContentType | null;
    contents?: ReadonlyArray<ContentInput>;
    orderId?: Id;
    numItems?: number | null;
    query?: Text;
  };
  page?: { url?: Text; referrer?: Text };
  /** Set when the consent policy requires Limited Data Use; sent only when true (TikTok's default is false). */
  limitedDataUse?: boolean;
}

function text(value: Text): string | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function id(value: Id): string | undefined {
  if (value === null || value === undefined) return undefined;
  return text(String(value));
}

/** Numbers stay numbers (0 kept); decimal strings become numbers; "" / null omitted; junk → NaN (caught by validation). */
function amount(value: Amount): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") return value;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : Number(trimmed);
}

function hashes(values: string[] | undefined): string[] | undefined {
  return values && values.length > 0 ? values : undefined;
}

/** Integer Unix seconds. */
export function toUnixSeconds(time: Date | number): number {
  return Math.floor(typeof time === "number" ? time : time.getTime() / 1000);
}

/**
 * Builds one event. Keys are written in a fixed order and empty values are left out, so the JSON
 * is deterministic and never carries "" or empty objects. Contents without an id are dropped
 * (TikTok cannot match them; the order value still counts).
 */
export function buildEvent(input: EventInput): TikTokEvent {
  const event: TikTokEvent = {
    event: input.eventName.trim(),
    event_time: toUnixSeconds(input.eventTime),
    event_id: String(input.eventId).trim(),
  };

  const u = input.user;
  if (u) {
    const user: TikTokUser = {};
    let hasUser = false;
    const ttclid = text(u.ttclid);
    if (ttclid) {
      user.ttclid = ttclid;
      hasUser = true;
    }
    const ttp = text(u.ttp);
    if (ttp) {
      user.ttp = ttp;
      hasUser = true;
    }
    const email = hashes(u.email);
    if (email) {
      user.email = email;
      hasUser = true;
    }
    const phone = hashes(u.phone);
    if (phone) {
      user.phone = phone;
      hasUser = true;
    }
    const externalId = hashes(u.external_id);
    if (externalId) {
      user.external_id = externalId;
      hasUser = true;
    }
    const ip = text(u.ip);
    if (ip) {
      user.ip = ip;
      hasUser = true;
    }
    const userAgent = text(u.userAgent);
    if (userAgent) {
      user.user_agent = userAgent;
      hasUser = true;
    }
    const locale = text(u.locale);
    if (locale) {
      user.locale = locale;
      hasUser = true;
    }
    if (hasUser) event.user = user;
  }

  const p = input.properties;
  if (p) {
    const properties: TikTokProperties = {};
    let hasProps = false;
    const currency = text(p.currency);
    if (currency) {
      properties.currency = currency.toUpperCase();
      hasProps = true;
    }
    const value = amount(p.value);
    if (value !== undefined) {
      properties.value = value;
      hasProps = true;
    }
    if (p.contentType) {
      properties.content_type = p.contentType;
      hasProps = true;
    }
    if (p.contents && p.contents.length > 0) {
      const contents: TikTokContent[] = [];
      for (const c of p.contents) {
        const contentId = id(c.contentId);
        if (!contentId) continue;
        const content: TikTokContent = { content_id: contentId };
        const name = text(c.contentName);
        if (name) content.content_name = name;
        const category = text(c.contentCategory);
        if (category) content.content_category = category;
        const price = amount(c.price);
        if (price !== undefined) content.price = price;
        const quantity = amount(c.quantity);
        if (quantity !== undefined) content.quantity = quantity;
        const brand = text(c.brand);
        if (brand) content.brand = brand;
        contents.push(content);
      }
      if (contents.length > 0) {
        properties.contents = contents;
        hasProps = true;
      }
    }
    const orderId = id(p.orderId);
    if (orderId) {
      properties.order_id = orderId;
      hasProps = true;
    }
    if (p.numItems !== null && p.numItems !== undefined) {
      properties.num_items = p.numItems;
      hasProps = true;
    }
    const query = text(p.query);
    if (query) {
      properties.query = query;
      hasProps = true;
    }
    if (hasProps) event.properties = properties;
  }

  if (input.page) {
    const page: TikTokPage = {};
    let hasPage = false;
    const url = text(input.page.url);
    if (url) {
      page.url = url;
      hasPage = true;
    }
    const referrer = text(input.page.referrer);
    if (referrer) {
      page.referrer = referrer;
      hasPage = true;
    }
    if (hasPage) event.page = page;
  }

  if (input.limitedDataUse === true) event.limited_data_use = true;
  return event;
}

export function buildTrackBody(args: {
  pixelCode: string;
  testEventCode?: string | null;
  events: TikTokEvent[];
  /** Defaults to PARTNER_NAME; pass null to leave it out. */
  partnerName?: string | null;
}): TrackRequestBody {
  const partnerName =
    args.partnerName === undefined ? PARTNER_NAME : text(args.partnerName);
  const testEventCode = text(args.testEventCode);
  // Keys in the documented order; test_event_code only at the top level and only when set.
  return {
    event_source: "web",
    event_source_id: args.pixelCode.trim(),
    ...(partnerName ? { partner_name: partnerName } : {}),
    ...(testEventCode ? { test_event_code: testEventCode } : {}),
    data: args.events,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation

const EVENT_KEYS = new Set([
  "event",
  "event_time",
  "event_id",
  "user",
  "properties",
  "page",
  "limited_data_use",
]);
const USER_KEYS = new Set([
  "ttclid",
  "ttp",
  "email",
  "phone",
  "external_id",
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

/**
 * Checks one event against the v1.3 rules. Returns human-readable problems; empty means valid.
 * Accepts `unknown` shapes too (the event may come from storage), so it checks types at run time.
 */
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

  const time = event.event_time;
  if (typeof time !== "number" || !Number.isInteger(time)) {
    errors.push("event_time must be an integer number of Unix seconds");
  } else if (time > MAX_EVENT_TIME) {
    errors.push("event_time looks like milliseconds; send Unix seconds");
  } else if (time < MIN_EVENT_TIME) {
    errors.push("event_time is not a plausible Unix time in seconds");
  } else if (options.now && time > options.now.getTime() / 1000 + 600) {
    errors.push("event_time is in the future");
  }

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

const HASHED_USER_KEYS = ["email", "phone", "external_id"] as const;
const RAW_USER_KEYS = ["ttclid", "ttp", "user_agent", "locale"] as const;

function validateUser(user: unknown, errors: string[]) {
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

function validateProperties(props: unknown, errors: string[]) {
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

function validateContent(content: unknown, i: number, errors: string[]) {
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

function validatePage(page: unknown, errors: string[]) {
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

// ---------------------------------------------------------------------------------------------
// Match quality

export type MatchKey =
  "ttclid" | "ttp" | "email" | "phone" | "external_id" | "ip_ua";

/** Which identifiers TikTok can match this event on (for the delivery log / match-quality view). */
export function matchKeysOf(event: TikTokEvent): MatchKey[] {
  const user = event.user;
  if (!user) return [];
  const keys: MatchKey[] = [];
  if (user.ttclid) keys.push("ttclid");
  if (user.ttp) keys.push("ttp");
  if (user.email && user.email.length > 0) keys.push("email");
  if (user.phone && user.phone.length > 0) keys.push("phone");
  if (user.external_id && user.external_id.length > 0) keys.push("external_id");
  if (user.ip && user.user_agent) keys.push("ip_ua");
  return keys;
}
