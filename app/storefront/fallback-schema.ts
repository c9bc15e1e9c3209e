import { z } from "zod";
import {
  httpUrl,
  isoTimestamp,
  money,
  relayItem,
  shopifyEventId,
  shortText,
  storefrontSessionId,
} from "~/checkout/relay-schema";

// What the web pixel (extensions/tiktok-web-pixel/src/relay.ts) posts, through the same app proxy
// path as its checkout relay, for a storefront event on a page where the theme app embed did not
// run (README, "Storefront fallback"). One body per Shopify customer event. Strict like the
// checkout relay: unknown keys are refused, and the request, not the body, gives IP and browser.

/**
 * The storefront standard events the pixel relays as a fallback
 * (https://shopify.dev/docs/api/web-pixels-api/standard-events).
 */
export const FALLBACK_EVENTS = [
  "page_viewed",
  "product_viewed",
  "product_added_to_cart",
  "search_submitted",
] as const;
export type FallbackEventName = (typeof FALLBACK_EVENTS)[number];

const WITH_ITEMS: readonly FallbackEventName[] = [
  "product_viewed",
  "product_added_to_cart",
];

export const fallbackBodySchema = z
  .strictObject({
    v: z.literal(1),
    event: z.enum(FALLBACK_EVENTS),
    /** Shopify's id of the customer event: the TikTok event_id, so a re-fire collapses. */
    id: shopifyEventId,
    ts: isoTimestamp,
    /** The page the event happened on (the event's context.document.location.href). */
    url: httpUrl,
    ref: httpUrl.optional(),
    /** The pixel relays only with marketing and sale-of-data consent. */
    consent: z.literal("granted"),
    ttclid: shortText(512).optional(),
    ttp: shortText(128).optional(),
    sid: storefrontSessionId.optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    value: money.optional(),
    items: z.array(relayItem).max(50).optional(),
    query: shortText(500).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.items !== undefined && !WITH_ITEMS.includes(body.event))
      ctx.addIssue({
        code: "custom",
        path: ["items"],
        message: `${body.event} carries no products`,
      });
    if (body.query !== undefined && body.event !== "search_submitted")
      ctx.addIssue({
        code: "custom",
        path: ["query"],
        message: "only search_submitted carries a query",
      });
  });

export type FallbackBody = z.infer<typeof fallbackBodySchema>;

/** Whether a body the pixel posted is a storefront fallback event (else a checkout step). */
export function isFallbackBody(body: { event: string }): body is FallbackBody {
  return (FALLBACK_EVENTS as readonly string[]).includes(body.event);
}
