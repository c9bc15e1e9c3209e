/**
 * TikTok event names and currencies (Events API v1.3, web events).
 * Sources: TikTok help centre, "Supported standard events" (ads.tiktok.com/help, 2025);
 * currencies as in TikTok's business API SDK (tiktok/tiktok-business-api-sdk, PixelProperties.md).
 */

/** Standard events as TikTok lists them today (help centre, "supported standard events", 2025). */
export const STANDARD_EVENTS = [
  "AddPaymentInfo",
  "AddToCart",
  "AddToWishlist",
  "ApplicationApproval",
  "CompleteRegistration",
  "Contact",
  "CustomizeProduct",
  "Download",
  "FindLocation",
  "InitiateCheckout",
  "Lead",
  "Purchase",
  "Schedule",
  "Search",
  "StartTrial",
  "SubmitApplication",
  "Subscribe",
  "ViewContent",
] as const;

export type StandardEventName = (typeof STANDARD_EVENTS)[number];

/**
 * Older names TikTok still accepts and converts (CompletePayment → Purchase, SubmitForm → Lead)
 * or keeps until 2027 (ClickButton, PlaceAnOrder). A merchant whose pixel still sends one of these
 * may configure it so pixel and server events carry the same name and deduplicate.
 */
export const LEGACY_ACCEPTED_EVENTS = [
  "CompletePayment",
  "SubmitForm",
  "ClickButton",
  "PlaceAnOrder",
] as const;

export type LegacyEventName = (typeof LEGACY_ACCEPTED_EVENTS)[number];

const STANDARD_SET: ReadonlySet<string> = new Set(STANDARD_EVENTS);
const LEGACY_SET: ReadonlySet<string> = new Set(LEGACY_ACCEPTED_EVENTS);

export function isStandardEventName(name: string): name is StandardEventName {
  return STANDARD_SET.has(name);
}

export function isLegacyEventName(name: string): name is LegacyEventName {
  return LEGACY_SET.has(name);
}

/** The kinds of things the app reports; each maps to a TikTok event name the merchant may override. */
export type AppEventType =
  | "product_viewed"
  | "product_added_to_cart"
  | "search_submitted"
  | "checkout_started"
  | "payment_info_submitted"
  | "order";

/** Our default mapping of Shopify's standard events to TikTok's. Orders are `Purchase` since May 2025. */
export const DEFAULT_EVENT_NAMES: Readonly<
  Record<AppEventType, StandardEventName>
> = {
  product_viewed: "ViewContent",
  product_added_to_cart: "AddToCart",
  search_submitted: "Search",
  checkout_started: "InitiateCheckout",
  payment_info_submitted: "AddPaymentInfo",
  order: "Purchase",
};

/**
 * The event name to send for an app event type. Overrides exist so the server sends exactly the
 * name the merchant's pixel already uses (e.g. `CompletePayment`): TikTok deduplicates on
 * pixel + event + event_id, so differing names would double count.
 */
export function eventNameFor(
  type: AppEventType,
  overrides?: Partial<Record<AppEventType, string>>,
): string {
  const override = overrides?.[type]?.trim();
  return override ? override : DEFAULT_EVENT_NAMES[type];
}

/** ISO-4217 codes TikTok accepts for `currency` (Events API 2.0 docs: https://business-api.tiktok.com/portal/docs?id=1771100865818625). */
export const SUPPORTED_CURRENCIES = [
  "AED",
  "ARS",
  "AUD",
  "BDT",
  "BHD",
  "BIF",
  "BOB",
  "BRL",
  "CAD",
  "CHF",
  "CLP",
  "CNY",
  "COP",
  "CRC",
  "CZK",
  "DKK",
  "DZD",
  "EGP",
  "EUR",
  "GBP",
  "GTQ",
  "HKD",
  "HNL",
  "HUF",
  "IDR",
  "ILS",
  "INR",
  "ISK",
  "JPY",
  "KES",
  "KHR",
  "KRW",
  "KWD",
  "KZT",
  "MAD",
  "MOP",
  "MXN",
  "MYR",
  "NGN",
  "NIO",
  "NOK",
  "NZD",
  "OMR",
  "PEN",
  "PHP",
  "PKR",
  "PLN",
  "PYG",
  "QAR",
  "RON",
  "RUB",
  "SAR",
  "SEK",
  "SGD",
  "THB",
  "TRY",
  "TWD",
  "UAH",
  "USD",
  "VES",
  "VND",
  "ZAR",
] as const;

export type SupportedCurrency = (typeof SUPPORTED_CURRENCIES)[number];

const CURRENCY_SET: ReadonlySet<string> = new Set(SUPPORTED_CURRENCIES);

export function isSupportedCurrency(code: string): code is SupportedCurrency {
  return CURRENCY_SET.has(code);
}
