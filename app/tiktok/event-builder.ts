/**
 * Builds one v1.3 event from loosely typed input. Keys are written in a fixed order and empty
 * values are left out, so the JSON is deterministic and never carries "" or empty objects.
 * Each part of the event (user, properties, contents, page) has its own formatter; each returns
 * undefined when nothing in it is worth sending.
 */
import {
  formatAmount,
  formatHashes,
  formatId,
  formatText,
  toUnixSeconds,
  type Amount,
  type Id,
  type Text,
} from "./formatters";
import {
  NAME_AND_ADDRESS_KEYS,
  type HashedNameAndAddress,
  type HashedUserIdentifiers,
} from "./hashing";
import type {
  ContentType,
  TikTokContent,
  TikTokEvent,
  TikTokPage,
  TikTokProperties,
  TikTokUser,
} from "./wire-types";

export interface ContentInput {
  contentId: Id;
  contentName?: Text;
  contentCategory?: Text;
  price?: Amount;
  quantity?: Amount;
  brand?: Text;
}

/**
 * Hashed identifiers from `hashUserIdentifiers`, names and address from `hashNameAndAddress`,
 * plus values TikTok wants raw (never hashed).
 */
export type UserInput = HashedUserIdentifiers &
  HashedNameAndAddress & {
    ttclid?: Text;
    ttp?: Text;
    ip?: Text;
    userAgent?: Text;
    locale?: Text;
  };

export interface PropertiesInput {
  currency?: Text;
  value?: Amount;
  contentType?: ContentType | null;
  contents?: ReadonlyArray<ContentInput>;
  orderId?: Id;
  numItems?: number | null;
  query?: Text;
}

export interface PageInput {
  url?: Text;
  referrer?: Text;
}

export interface EventInput {
  eventName: string;
  /** Stable per business event (e.g. `<orderId>_Purchase`): TikTok deduplicates on it for 48 h. */
  eventId: string | number;
  /** A Date, or Unix seconds. Sent as integer seconds. */
  eventTime: Date | number;
  user?: UserInput;
  properties?: PropertiesInput;
  page?: PageInput;
  /** Set when the consent policy requires Limited Data Use; sent only when true (TikTok's default is false). */
  limitedDataUse?: boolean;
}

/**
 * Builds one event. Contents without an id are dropped (TikTok cannot match them; the order
 * value still counts).
 */
export function buildEvent(input: EventInput): TikTokEvent {
  const event: TikTokEvent = {
    event: input.eventName.trim(),
    event_time: toUnixSeconds(input.eventTime),
    event_id: String(input.eventId).trim(),
  };
  if (input.user) {
    const user = formatUser(input.user);
    if (user) event.user = user;
  }
  if (input.properties) {
    const properties = formatProperties(input.properties);
    if (properties) event.properties = properties;
  }
  if (input.page) {
    const page = formatPage(input.page);
    if (page) event.page = page;
  }
  if (input.limitedDataUse === true) event.limited_data_use = true;
  return event;
}

/** `user` in documented key order; undefined when no identifier is left. */
export function formatUser(u: UserInput): TikTokUser | undefined {
  const user: TikTokUser = {};
  let hasUser = false;
  const ttclid = formatText(u.ttclid);
  if (ttclid) {
    user.ttclid = ttclid;
    hasUser = true;
  }
  const ttp = formatText(u.ttp);
  if (ttp) {
    user.ttp = ttp;
    hasUser = true;
  }
  const email = formatHashes(u.email);
  if (email) {
    user.email = email;
    hasUser = true;
  }
  const phone = formatHashes(u.phone);
  if (phone) {
    user.phone = phone;
    hasUser = true;
  }
  const externalId = formatHashes(u.external_id);
  if (externalId) {
    user.external_id = externalId;
    hasUser = true;
  }
  for (const key of NAME_AND_ADDRESS_KEYS) {
    const value = formatText(u[key]);
    if (value) {
      user[key] = value;
      hasUser = true;
    }
  }
  const ip = formatText(u.ip);
  if (ip) {
    user.ip = ip;
    hasUser = true;
  }
  const userAgent = formatText(u.userAgent);
  if (userAgent) {
    user.user_agent = userAgent;
    hasUser = true;
  }
  const locale = formatText(u.locale);
  if (locale) {
    user.locale = locale;
    hasUser = true;
  }
  return hasUser ? user : undefined;
}

/** `properties` in documented key order; currency upper-cased; undefined when empty. */
export function formatProperties(
  p: PropertiesInput,
): TikTokProperties | undefined {
  const properties: TikTokProperties = {};
  let hasProps = false;
  const currency = formatText(p.currency);
  if (currency) {
    properties.currency = currency.toUpperCase();
    hasProps = true;
  }
  const value = formatAmount(p.value);
  if (value !== undefined) {
    properties.value = value;
    hasProps = true;
  }
  if (p.contentType) {
    properties.content_type = p.contentType;
    hasProps = true;
  }
  if (p.contents && p.contents.length > 0) {
    const contents = formatContents(p.contents);
    if (contents) {
      properties.contents = contents;
      hasProps = true;
    }
  }
  const orderId = formatId(p.orderId);
  if (orderId) {
    properties.order_id = orderId;
    hasProps = true;
  }
  if (p.numItems !== null && p.numItems !== undefined) {
    properties.num_items = p.numItems;
    hasProps = true;
  }
  const query = formatText(p.query);
  if (query) {
    properties.query = query;
    hasProps = true;
  }
  return hasProps ? properties : undefined;
}

/** The contents that have an id, in input order; undefined when none has. */
export function formatContents(
  items: ReadonlyArray<ContentInput>,
): TikTokContent[] | undefined {
  const contents: TikTokContent[] = [];
  for (const item of items) {
    const content = formatContent(item);
    if (content) contents.push(content);
  }
  return contents.length > 0 ? contents : undefined;
}

/** One `contents[]` element; undefined without a content id. */
export function formatContent(c: ContentInput): TikTokContent | undefined {
  const contentId = formatId(c.contentId);
  if (!contentId) return undefined;
  const content: TikTokContent = { content_id: contentId };
  const name = formatText(c.contentName);
  if (name) content.content_name = name;
  const category = formatText(c.contentCategory);
  if (category) content.content_category = category;
  const price = formatAmount(c.price);
  if (price !== undefined) content.price = price;
  const quantity = formatAmount(c.quantity);
  if (quantity !== undefined) content.quantity = quantity;
  const brand = formatText(c.brand);
  if (brand) content.brand = brand;
  return content;
}

/** `page`; undefined when neither URL is set. */
export function formatPage(input: PageInput): TikTokPage | undefined {
  const page: TikTokPage = {};
  let hasPage = false;
  const url = formatText(input.url);
  if (url) {
    page.url = url;
    hasPage = true;
  }
  const referrer = formatText(input.referrer);
  if (referrer) {
    page.referrer = referrer;
    hasPage = true;
  }
  return hasPage ? page : undefined;
}
