import { z } from "zod";
import { parseJsonBody, type ParsedBody } from "./parse-json-body";

// What the storefront script (extensions/tiktok-pixel/src/storefront.js, shipped minified as assets/storefront.js) posts through
// the app proxy. Strict: unknown keys are rejected, so nothing like an email can slip in.
export const MAX_COLLECT_BODY_BYTES = 64 * 1024;

export const STOREFRONT_EVENTS = [
  "PageView",
  "ViewContent",
  "AddToCart",
  "InitiateCheckout",
  "Search",
] as const;
export type StorefrontEventName = (typeof STOREFRONT_EVENTS)[number];

const shortText = (max: number) => z.string().trim().min(1).max(max);
const httpUrl = z
  .string()
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:";
    } catch {
      return false;
    }
  }, "not an http(s) URL");
const money = z.number().finite().min(0).max(1e9);

const content = z.strictObject({
  content_id: z.string().trim().min(1).max(64),
  content_name: shortText(255).optional(),
  content_category: shortText(255).optional(),
  price: money.optional(),
  quantity: z.number().int().min(0).max(100_000).optional(),
  brand: shortText(255).optional(),
});

const event = z.strictObject({
  event: z.enum(STOREFRONT_EVENTS),
  event_id: z
    .string()
    .regex(
      /^[A-Za-z0-9_.:-]{8,64}$/,
      "event_id must be 8-64 url-safe characters",
    ),
  event_time: z.number().int().min(1_500_000_000).max(4_000_000_000),
  properties: z
    .strictObject({
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/)
        .optional(),
      value: money.optional(),
      content_type: z.enum(["product", "product_group"]).optional(),
      contents: z.array(content).max(50).optional(),
      query: z.string().max(500).optional(),
    })
    .optional(),
});

export const collectBodySchema = z.strictObject({
  v: z.literal(1),
  session_id: z
    .string()
    .regex(
      /^[A-Za-z0-9_-]{16,64}$/,
      "session_id must be 16-64 url-safe characters",
    ),
  consent: z.enum(["granted", "denied", "unknown"]),
  ttclid: shortText(512).optional(),
  ttp: shortText(128).optional(),
  cart_token: shortText(256).optional(),
  page: z.strictObject({ url: httpUrl, referrer: httpUrl.optional() }),
  events: z.array(event).max(50),
});

export type CollectBody = z.infer<typeof collectBodySchema>;
export type CollectEvent = CollectBody["events"][number];

/** Parses and validates; a short reason on failure (never echoes the input). */
export function parseCollectBody(text: string): ParsedBody<CollectBody> {
  return parseJsonBody(collectBodySchema, text);
}
