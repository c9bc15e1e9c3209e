// The checkout relay's ingest: one transaction that updates the checkout's context and queues
// the checkout step it reports (through the outbox, the only writer of deliveries).
import { Prisma } from "@prisma/client";
import prisma from "~/db.server";
import { notifyDeliveryWorker } from "~/delivery/runtime.server";
import { enqueue, type NewDelivery } from "~/delivery/outbox/enqueue.server";
import { getShopSettingsCached } from "~/settings/settings.server";
import {
  CHECKOUT_EVENTS,
  checkoutEvent,
  mergeContext,
  type CheckoutContextState,
  type RelayRequest,
} from "./checkout-context";

export type RelayOutcome =
  { status: "unknown_shop" } | { status: "stored"; queued: number };

const CONTEXT_SELECT = {
  ttclid: true,
  ttp: true,
  sessionKey: true,
  consent: true,
  ip: true,
  userAgent: true,
  emailHash: true,
  phoneHash: true,
  pageUrl: true,
  orderId: true,
  startedAt: true,
  completedAt: true,
} as const;

/** The TikTok event a relayed step becomes for this shop, or null (not a step we send, or turned off). */
export function relayedEventName(
  body: RelayRequest["body"],
  settings: { sendInitiateCheckout: boolean },
): string | null {
  const name = CHECKOUT_EVENTS[body.event];
  // InitiateCheckout and AddPaymentInfo follow the shop's "checkout" event switch.
  return name && settings.sendInitiateCheckout ? name : null;
}

/** Whether the shop takes relays at all: installed, with a pixel. */
export async function relaySettings(shop: string) {
  const settings = await getShopSettingsCached(shop);
  return settings?.pixelCode && !settings.uninstalledAt ? settings : null;
}

export async function ingestRelay(
  shop: string,
  request: RelayRequest,
): Promise<RelayOutcome> {
  const settings = await relaySettings(shop);
  if (!settings) return { status: "unknown_shop" };
  const { body, now } = request;
  const eventName = relayedEventName(body, settings);

  const write = () =>
    prisma.$transaction(async (tx) => {
      const where = {
        shop_checkoutToken: { shop, checkoutToken: body.token },
      };
      const previous = await tx.checkoutContext.findUnique({
        where,
        select: CONTEXT_SELECT,
      });
      const context = mergeContext(
        previous as CheckoutContextState | null,
        request,
      );
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
      if (!eventName) return 0;
      const delivery: NewDelivery = {
        shop,
        source: "storefront",
        pixelCode: settings.pixelCode!,
        sessionKey: context.sessionKey,
        event: checkoutEvent(eventName, body, context, now),
      };
      const [enqueued] = await enqueue(tx, [delivery], now);
      return enqueued.created ? 1 : 0;
    });

  let queued: number;
  try {
    queued = await write();
  } catch (error) {
    // Two relays of a new checkout at once: the loser of the insert race retries as an update.
    if (
      !(error instanceof Prisma.PrismaClientKnownRequestError) ||
      error.code !== "P2002"
    )
      throw error;
    queued = await write();
  }
  if (queued > 0) notifyDeliveryWorker();
  return { status: "stored", queued };
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
