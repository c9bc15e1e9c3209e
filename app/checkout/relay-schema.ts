import { z } from "zod";
import { parseJsonBody, type ParsedBody } from "~/storefront/parse-json-body";

// What the checkout web pixel (extensions/tiktok-web-pixel/src/relay.ts) posts through the app
// proxy, one body per Shopify checkout event. Strict: unknown keys are refused, so nothing can
// claim to set our IP, user agent, consent or shop; those come from the request, not the body.
export const MAX_RELAY_BODY_BYTES = 16 * 1024;

/**
 * The standard events the pixel subscribes to
 * (https://shopify.dev/docs/api/web-pixels-api/standard-events).
 */
export const RELAY_EVENTS = [
  "checkout_started",
  "checkout_contact_info_submitted",
  "checkout_shipping_info_submitted",
  "payment_info_submitted",
  "checkout_completed",
] as const;
export type RelayEventName = (typeof RELAY_EVENTS)[number];

/** Only these carry the shopper's email and phone (the contact step, and the completed checkout). */
const CARRIES_CONTACT: readonly RelayEventName[] = [
  "checkout_contact_info_submitted",
  "checkout_completed",
];

export const shortText = (max: number) => z.string().trim().min(1).max(max);
export const httpUrl = z
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
export const money = z.number().finite().min(0).max(1e9);

/** Shopify's id of a customer event. */
export const shopifyEventId = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, "id must be 1-128 printable characters");
/** Shopify's ISO 8601 timestamp of an event. */
export const isoTimestamp = z
  .string()
  .max(40)
  .refine((v) => !Number.isNaN(Date.parse(v)), "not a date");
/** Our storefront session id (the theme script's _tt_sid cookie). */
export const storefrontSessionId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{16,64}$/, "sid must be 16-64 url-safe characters");

/** A line as the pixel sends it: variant id, quantity, unit price, title. */
export const relayItem = z.strictObject({
  id: z.string().trim().min(1).max(64),
  q: z.number().int().min(0).max(100_000),
  p: money.optional(),
  n: shortText(255).optional(),
});

export const relayBodySchema = z
  .strictObject({
    v: z.literal(1),
    event: z.enum(RELAY_EVENTS),
    /** Shopify's id of the customer event. */
    id: shopifyEventId,
    /** Shopify's ISO 8601 timestamp of the event. */
    ts: isoTimestamp,
    /** The checkout token; the order's `checkout_token` repeats it. */
    // Opaque to us: printable ASCII without spaces or quotes (it becomes part of an event_id).
    token: z
      .string()
      .regex(
        /^[\x21\x23-\x26\x28-\x7e]{8,256}$/,
        "token must be 8-256 printable characters",
      ),
    url: httpUrl.optional(),
    /** The pixel relays only with marketing consent; there is no other value to claim. */
    consent: z.literal("granted"),
    ttclid: shortText(512).optional(),
    ttp: shortText(128).optional(),
    /** Our storefront session id (the theme script's _tt_sid cookie). */
    sid: storefrontSessionId.optional(),
    /** Raw: hashed by the relay before anything is stored (app/tiktok/hashing.ts). */
    email: shortText(320).optional(),
    phone: shortText(64).optional(),
    /**
     * Raw name and place of the checkout's billing (else shipping) address, once the checkout
     * knows one: hashed or normalised by the relay (hashNameAndAddress) before anything is stored.
     */
    addr: z
      .strictObject({
        fn: shortText(255).optional(),
        ln: shortText(255).optional(),
        city: shortText(255).optional(),
        prov: shortText(16).optional(),
        cc: z
          .string()
          .regex(/^[A-Za-z]{2}$/)
          .optional(),
        zip: shortText(32).optional(),
      })
      .optional(),
    order_id: z
      .string()
      .regex(/^(gid:\/\/shopify\/Order\/)?\d{1,20}$/, "not an order id")
      .optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    value: money.optional(),
    items: z.array(relayItem).max(50).optional(),
  })
  .superRefine((body, ctx) => {
    if (
      (body.email !== undefined || body.phone !== undefined) &&
      !CARRIES_CONTACT.includes(body.event)
    )
      ctx.addIssue({
        code: "custom",
        path: ["email"],
        message: `${body.event} does not carry contact details`,
      });
    // The completed checkout becomes no event of its own (its order's Purchase has the address).
    if (body.addr !== undefined && body.event === "checkout_completed")
      ctx.addIssue({
        code: "custom",
        path: ["addr"],
        message: "checkout_completed does not carry an address",
      });
    if (body.order_id !== undefined && body.event !== "checkout_completed")
      ctx.addIssue({
        code: "custom",
        path: ["order_id"],
        message: "only checkout_completed carries an order id",
      });
  });

export type RelayBody = z.infer<typeof relayBodySchema>;

/** Parses and validates; a short reason on failure (never echoes the input). */
export function parseRelayBody(text: string): ParsedBody<RelayBody> {
  return parseJsonBody(relayBodySchema, text);
}

/** The order id's decimal digits, from either form the pixel may carry. */
export function orderDigits(orderId: string): string {
  return orderId.slice(orderId.lastIndexOf("/") + 1);
}
