// The checkout relay's ingest: the checkout's context updated and the step it reports queued
// (through the outbox, the only writer of deliveries) in one transaction: the ingest writer's
// group commit for the steps before the order, one transaction of its own for checkout_completed.
import { Prisma } from "@prisma/client";
import prisma from "~/db.server";
import { ingestWriter, notifyDeliveryWorker } from "~/delivery/runtime.server";
import { enqueue, type NewDelivery } from "~/delivery/outbox/enqueue.server";
import { releaseHold } from "~/delivery/outbox/hold.server";
import { STATUS } from "~/delivery/outbox/states";
import { withCheckoutContext, type KeySources } from "~/orders/browser-context";
import { orderGid } from "~/orders/shop-order";
import type { TikTokEvent } from "~/tiktok/wire-types";
import { loadShopPixelsCached, sendingPixels } from "~/pixels/pixels.server";
import {
  checkoutEvent,
  checkoutEventName,
  checkoutKeySources,
  mergeContext,
  type CheckoutContextState,
  type CheckoutEventSwitches,
  type RelayRequest,
} from "./checkout-context";
import { readCheckoutContexts } from "./context-batch.server";

/** What a checkout_completed relay did to the order's Purchase. */
export type PurchaseEffect = "released" | "late" | "none";

export type RelayOutcome =
  | { status: "unknown_shop" }
  | { status: "stored"; queued: number; purchase: PurchaseEffect };

/** The TikTok event a relayed step becomes for this shop, or null (not a step we send, or turned off). */
export function relayedEventName(
  body: RelayRequest["body"],
  settings: CheckoutEventSwitches,
): string | null {
  return checkoutEventName(body.event, settings);
}

/** The pixels that take relays: the app installed, the pixel on; none for an unknown shop. */
export async function relayPixels(shop: string) {
  return sendingPixels(await loadShopPixelsCached(shop));
}

export async function ingestRelay(
  shop: string,
  request: RelayRequest,
): Promise<RelayOutcome> {
  const pixels = await relayPixels(shop);
  if (pixels.length === 0) return { status: "unknown_shop" };
  const { body, now } = request;
  // Each pixel whose switch takes the step gets it (the event name does not depend on the pixel).
  const targets = pixels.filter((p) => relayedEventName(body, p));
  const eventName =
    targets.length > 0 ? relayedEventName(body, targets[0]) : null;
  const deliveries = (context: CheckoutContextState): NewDelivery[] =>
    eventName ? stepDeliveries(shop, targets, eventName, request, context) : [];

  if (body.event !== "checkout_completed") {
    // The steps before the order touch only the context and their own deliveries: set-based,
    // with the other ingest requests of the moment (README, "Where the time goes").
    const written = await ingestWriter().submit({
      checkout: {
        shop,
        checkoutToken: body.token,
        now,
        merge: (previous) => {
          const context = mergeContext(previous, request);
          return { context, deliveries: deliveries(context) };
        },
      },
      deliveries: [],
    });
    const queued = written.deliveries.filter((d) => d.created).length;
    if (queued > 0) notifyDeliveryWorker();
    return { status: "stored", queued, purchase: "none" };
  }

  const write = () =>
    prisma.$transaction(async (tx) => {
      const where = {
        shop_checkoutToken: { shop, checkoutToken: body.token },
      };
      // Locked until the transaction ends (PostgreSQL), as the group-commit path reads it: a
      // step committed meanwhile by another process is not overwritten from a stale read.
      const previous =
        (await readCheckoutContexts(tx, [{ shop, checkoutToken: body.token }]))
          .values()
          .next().value ?? null;
      const context = mergeContext(previous, request);
      await tx.checkoutContext.upsert({
        where,
        create: {
          shop,
          checkoutToken: body.token,
          ...context,
          firstSeenAt: now,
          lastSeenAt: now,
        },
        update: { ...context, lastSeenAt: now },
      });
      let purchase: PurchaseEffect = "none";
      if (body.event === "checkout_completed" && context.orderId) {
        purchase = await completePurchase(tx, shop, context, now);
        if (purchase === "late")
          await tx.checkoutContext.update({
            where,
            data: { lateRelayAt: now },
          });
      }
      const queue = deliveries(context);
      if (queue.length === 0) return { queued: 0, purchase };
      const enqueued = await enqueue(tx, queue, now);
      return { queued: enqueued.filter((e) => e.created).length, purchase };
    });

  let result: { queued: number; purchase: PurchaseEffect };
  try {
    result = await write();
  } catch (error) {
    // Two relays of a new checkout at once: the loser of the insert race retries as an update.
    if (
      !(error instanceof Prisma.PrismaClientKnownRequestError) ||
      error.code !== "P2002"
    )
      throw error;
    result = await write();
  }
  if (result.queued > 0 || result.purchase === "released")
    notifyDeliveryWorker();
  return { status: "stored", ...result };
}

/** The deliveries of a relayed step's TikTok event: one per pixel that takes it. */
function stepDeliveries(
  shop: string,
  pixels: readonly { pixelCode: string }[],
  eventName: string,
  { body, now }: RelayRequest,
  context: CheckoutContextState,
): NewDelivery[] {
  const event = checkoutEvent(eventName, body, context, now);
  const keySources = JSON.stringify(checkoutKeySources(event));
  return pixels.map(({ pixelCode }) => ({
    shop,
    source: "storefront",
    pixelCode,
    sessionKey: context.sessionKey,
    event,
    keySources,
  }));
}

/**
 * The completed checkout's order already has its Purchase: while it is held (the order found
 * no browser context) it is rebuilt with this context and released; once it has left (or was
 * queued with the keys it had) nothing sent changes, and the relay is noted as late.
 */
async function completePurchase(
  tx: Prisma.TransactionClient,
  shop: string,
  context: CheckoutContextState,
  now: Date,
): Promise<PurchaseEffect> {
  const purchases = await tx.delivery.findMany({
    where: { shop, source: "order", orderId: orderGid(context.orderId!) },
    select: { id: true, status: true, payload: true, keySources: true },
  });
  if (purchases.length === 0) return "none"; // the webhook will find the context
  let released = false;
  for (const purchase of purchases) {
    if (purchase.status !== STATUS.pending) continue;
    const rebuilt = withCheckoutContext(
      JSON.parse(purchase.payload) as TikTokEvent,
      purchase.keySources
        ? (JSON.parse(purchase.keySources) as KeySources)
        : {},
      context,
    );
    released =
      (await releaseHold(
        tx,
        shop,
        purchase.id,
        {
          event: rebuilt.event,
          keySources: JSON.stringify(rebuilt.sources),
        },
        now,
      )) || released;
  }
  return released ? "released" : "late";
}

/** Whether the shop already holds this checkout (so a client over its new-checkout cap may go on). */
export async function knownCheckout(
  shop: string,
  checkoutToken: string,
): Promise<boolean> {
  const row = await prisma.checkoutContext.findUnique({
    where: { shop_checkoutToken: { shop, checkoutToken } },
    select: { id: true },
  });
  return row !== null;
}
