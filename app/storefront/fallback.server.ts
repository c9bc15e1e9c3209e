// Ingest of the web pixel's storefront fallback (README, "Storefront fallback"): one event, queued
// through the outbox unless the shop turned it off or the theme app embed already reported the
// same shopper action. The pixel stays silent when it sees the embed's cookie for the page; this is
// the server's half, for a page where that signal failed but the embed's report arrived first.
import prisma from "~/db.server";
import { notifyDeliveryWorker } from "~/delivery/runtime.server";
import { enqueue, type NewDelivery } from "~/delivery/outbox/enqueue.server";
import { loadShopPixelsCached, sendingPixels } from "~/pixels/pixels.server";
import { checkFallbackBody } from "~/checkout/relay-limits.server";
import type { TikTokEvent } from "~/tiktok/wire-types";
import { customerGid } from "~/orders/shop-order";
import { hashUserIdentifiers } from "~/tiktok/hashing";
import { loggedInCustomer } from "./collect.server";
import {
  EMBED_EVENT_ID,
  fallbackEvent,
  fallbackKeySources,
  fallbackEventName,
  sameAction,
  type FallbackRequest,
  type StorefrontEventSwitches,
} from "./fallback";

/**
 * How far back an embed report may match. The embed's own events reach the app within seconds
 * of the action, and the pixel waits a few seconds before it relays; minutes leave room for slow
 * networks without matching an older visit to the page.
 */
export const EMBED_EVENT_WINDOW_MS = 10 * 60_000;
/**
 * The embed sends no page view to the app (the browser pixel sends it), but every page it runs on
 * posts to the app at once, which marks the session as seen: seen this recently, it ran on the
 * page the fallback page view comes from.
 */
export const EMBED_PAGE_WINDOW_MS = 30_000;

export type FallbackOutcome =
  | { status: "unknown_shop" }
  | {
      status: "stored";
      /** Deliveries queued: one per pixel whose switch takes the event. */
      queued: number;
      /** Why nothing was queued: the pixels' switches, the embed's report, or a Shopify re-fire. */
      dropped?: "switched_off" | "embed_reported" | "duplicate";
    };

/** The pixels that take fallbacks: the app installed, the pixel on; none for an unknown shop. */
export async function fallbackPixels(shop: string) {
  return sendingPixels(await loadShopPixelsCached(shop));
}

/** Whether the theme app embed already reported this action for the same storefront session. */
export async function embedReported(
  shop: string,
  sessionKey: string,
  event: TikTokEvent,
  now: Date,
): Promise<boolean> {
  if (event.event === "Pageview") {
    const session = await prisma.attributionSession.findUnique({
      where: { shop_sessionKey: { shop, sessionKey } },
      select: { lastSeenAt: true, consent: true },
    });
    return (
      session !== null &&
      session.consent === "granted" &&
      session.lastSeenAt.getTime() >= now.getTime() - EMBED_PAGE_WINDOW_MS
    );
  }
  // Bounded by the shop's recent storefront rows (index shop, source, createdAt): a shop without
  // the embed has none from it, and with the embed the pixel rarely relays.
  const recent = await prisma.delivery.findMany({
    where: {
      shop,
      source: "storefront",
      createdAt: { gte: new Date(now.getTime() - EMBED_EVENT_WINDOW_MS) },
      sessionKey,
      eventName: event.event,
    },
    select: { eventId: true, payload: true },
    // The newest first: a busy session's matching report is among its latest.
    orderBy: { createdAt: "desc" },
    take: 50,
  });
  return recent.some(
    (row) =>
      EMBED_EVENT_ID.test(row.eventId) &&
      sameAction(JSON.parse(row.payload) as TikTokEvent, event),
  );
}

export async function ingestFallback(
  shop: string,
  request: FallbackRequest & {
    /** Every logged_in_customer_id of the signed app proxy query (never the JSON body). */
    loggedInCustomerIds?: readonly string[];
  },
): Promise<FallbackOutcome> {
  const pixels = await fallbackPixels(shop);
  if (pixels.length === 0) return { status: "unknown_shop" };
  const { body, now } = request;
  const targets = pixels.filter((p) => fallbackEventName(body.event, p));
  const eventName =
    targets.length > 0 ? fallbackEventName(body.event, targets[0]) : null;
  if (!eventName)
    return { status: "stored", queued: 0, dropped: "switched_off" };
  // Hashed exactly as the Purchase's, so TikTok joins this shopper's events to their orders.
  const customerId = loggedInCustomer(request.loggedInCustomerIds);
  const { external_id } = hashUserIdentifiers({ externalIds: [customerId] });
  const event = fallbackEvent(eventName, {
    ...request,
    externalId: external_id,
  });
  if (body.sid && (await embedReported(shop, body.sid, event, now)))
    return { status: "stored", queued: 0, dropped: "embed_reported" };

  const keySources = JSON.stringify(fallbackKeySources(event));
  const deliveries: NewDelivery[] = targets.map((pixel) => ({
    shop,
    source: "storefront",
    pixelCode: pixel.pixelCode,
    sessionKey: body.sid ?? null,
    // Lets a customers/redact or data request find the row too.
    customerId: customerId ? customerGid(customerId) : null,
    keySources,
    event,
  }));
  const enqueued = await prisma.$transaction((tx) =>
    enqueue(tx, deliveries, now),
  );
  const queued = enqueued.filter((e) => e.created).length;
  if (queued === 0)
    return { status: "stored", queued: 0, dropped: "duplicate" };
  notifyDeliveryWorker();
  return { status: "stored", queued };
}

/**
 * The relay route's fallback flow once the request is signed, within the flood guard and parsed:
 * the client's session and event budget, then the ingest. Null when taken (the route answers
 * 204); otherwise the refusal to send (429 over a budget, 404 for a shop without a pixel).
 */
export async function relayFallback(
  shop: string,
  request: Parameters<typeof ingestFallback>[1],
  pixels: readonly StorefrontEventSwitches[],
): Promise<Response | null> {
  const { body } = request;
  const overCap = await checkFallbackBody(
    shop,
    request.ip,
    body.sid,
    pixels.some((p) => fallbackEventName(body.event, p) !== null),
  );
  if (overCap) return overCap;
  const outcome = await ingestFallback(shop, request);
  if (outcome.status === "unknown_shop")
    return new Response("This shop does not take checkout relays.", {
      status: 404,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  return null;
}
