import { z } from "zod";

export const PURCHASE_TRIGGERS = ["orders/create", "orders/paid"] as const;
export const CONSENT_POLICIES = ["send", "limited", "skip"] as const;
export const VALUE_SOURCES = ["total", "subtotal"] as const;
export const PURCHASE_EVENT_NAMES = [
  "Purchase",
  "CompletePayment",
  "PlaceAnOrder",
] as const;

export const EVENT_TOGGLES = [
  "sendPurchase",
  "sendViewContent",
  "sendAddToCart",
  "sendInitiateCheckout",
  "sendAddPaymentInfo",
  "sendCheckoutSteps",
  "sendSearch",
] as const;
export const ORDER_FILTERS = [
  "skipTestOrders",
  "skipPosOrders",
  "skipDraftOrders",
  "skipSubscriptionRecurringOrders",
] as const;

export type PurchaseTrigger = (typeof PURCHASE_TRIGGERS)[number];
export type ConsentPolicy = (typeof CONSENT_POLICIES)[number];
export type ValueSource = (typeof VALUE_SOURCES)[number];
type Toggle = (typeof EVENT_TOGGLES)[number] | (typeof ORDER_FILTERS)[number];

/** One pixel's settings (app/pixels): everything but the shop-wide purchase trigger. */
export interface PixelInput extends Record<Toggle, boolean> {
  /** The merchant's name for the pixel. */
  name: string;
  pixelCode: string;
  /** undefined = keep the stored token */
  accessToken: string | undefined;
  testEventCode: string | null;
  purchaseEventName: (typeof PURCHASE_EVENT_NAMES)[number];
  consentPolicy: ConsentPolicy;
  valueSource: ValueSource;
}

/** A pixel's settings and the shop's purchase trigger, as one form saves them. */
export interface SettingsInput extends PixelInput {
  purchaseTrigger: PurchaseTrigger;
}

export const DEFAULT_PIXEL_NAME = "TikTok pixel";

export type SettingsField = keyof SettingsInput;

/**
 * What a shop gets until it changes something: every standard event on, purchases on
 * orders/create; the checkout's contact and shipping steps (custom events) off.
 */
export const DEFAULT_SETTINGS: Omit<
  SettingsInput,
  "pixelCode" | "accessToken"
> = {
  name: DEFAULT_PIXEL_NAME,
  testEventCode: null,
  sendPurchase: true,
  sendViewContent: true,
  sendAddToCart: true,
  sendInitiateCheckout: true,
  sendAddPaymentInfo: true,
  sendCheckoutSteps: false,
  sendSearch: true,
  purchaseEventName: "Purchase",
  purchaseTrigger: "orders/create",
  consentPolicy: "limited",
  valueSource: "total",
  skipTestOrders: true,
  skipPosOrders: true,
  skipDraftOrders: true,
  skipSubscriptionRecurringOrders: true,
};
export type FieldErrors = Partial<Record<SettingsField | "pixels", string>>;

const checkbox = z
  .enum(["true", "false", "on", "off"])
  .optional()
  .transform((v) => v === "true" || v === "on");

const pixelSchema = z.object({
  name: z
    .string()
    .trim()
    .max(60, "A pixel's name is at most 60 characters.")
    .optional()
    .transform((v) => v || DEFAULT_PIXEL_NAME),
  pixelCode: z
    .string()
    .trim()
    .toUpperCase()
    .min(1, "Enter your TikTok pixel code.")
    .regex(
      /^[A-Z0-9]{10,40}$/,
      "A pixel code is 10 to 40 letters and digits, for example CABC123DEF456GHI789J.",
    ),
  accessToken: z
    .string()
    .trim()
    .max(512, "That access token is too long.")
    .regex(
      /^[\x21-\x7e]*$/,
      "The access token has characters a TikTok token never has.",
    )
    .optional(),
  testEventCode: z
    .string()
    .trim()
    .max(64, "A test event code is at most 64 characters.")
    .regex(
      /^[A-Za-z0-9_-]*$/,
      "A test event code has only letters, digits, - and _.",
    )
    .optional()
    .transform((v) => (v ? v : null)),
  purchaseEventName: z
    .enum(PURCHASE_EVENT_NAMES, "Choose an event name.")
    .default("Purchase"),
  consentPolicy: z.enum(CONSENT_POLICIES, "Choose a consent policy."),
  valueSource: z
    .enum(VALUE_SOURCES, "Choose which amount is sent.")
    .default("total"),
  ...Object.fromEntries(
    [...EVENT_TOGGLES, ...ORDER_FILTERS].map((k) => [k, checkbox]),
  ),
});
const triggerSchema = z.enum(
  PURCHASE_TRIGGERS,
  "Choose when a purchase is sent.",
);

/** Validates the shop-wide purchase trigger, saved on its own from the settings list. */
export function parsePurchaseTrigger(
  value: unknown,
): { ok: true; value: PurchaseTrigger } | { ok: false; error: string } {
  const result = triggerSchema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, error: result.error.issues[0].message };
}

/**
 * Validates one pixel's form (no purchase trigger: that is the shop's). `hasStoredToken` decides
 * whether an empty token means "keep the saved one" or is an error (a new pixel).
 */
export function parsePixelForm(
  form: FormData | Record<string, string | undefined>,
  hasStoredToken: boolean,
): { ok: true; value: PixelInput } | { ok: false; errors: FieldErrors } {
  const raw: Record<string, string> = {};
  const entries =
    form instanceof FormData ? form.entries() : Object.entries(form);
  for (const [key, value] of entries) {
    if (typeof value === "string") raw[key] = value;
  }
  const result = pixelSchema.safeParse(raw);
  const errors: FieldErrors = {};
  if (!result.success) {
    for (const issue of result.error.issues) {
      const field = issue.path[0] as SettingsField;
      errors[field] ??= issue.message;
    }
  }
  const token = result.success
    ? result.data.accessToken
    : raw.accessToken?.trim();
  if (!token && !hasStoredToken && !errors.accessToken) {
    errors.accessToken =
      "Enter the Events API access token from TikTok Events Manager.";
  }
  if (!result.success || Object.keys(errors).length > 0)
    return { ok: false, errors };
  const data = result.data as PixelInput;
  return { ok: true, value: { ...data, accessToken: token || undefined } };
}
