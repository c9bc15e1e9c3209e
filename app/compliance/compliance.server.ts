import type { Prisma } from "@prisma/client";
import { z } from "zod";
import { BULK_TRANSACTION } from "~/db/transactions";
import { parseShopifyJson } from "~/shopify-json";
import prisma from "~/db.server";
import { chunks, IN_LIST_CHUNK } from "~/db/chunks";
import {
  purgeDeliveries,
  purgeShopDeliveries,
  purgeStorefrontSessions,
  withSummary,
} from "~/delivery/outbox/purge.server";
import { skipPending } from "~/delivery/outbox/skip.server";
import { cachedSessionStorage } from "~/shopify.server";
import { forgetCachedPixels } from "~/pixels/pixels.server";

/** app/uninstalled: drop every credential (Shopify sessions, each pixel's token) and stop sending; logs stay until shop/redact. */
export async function handleUninstall(shop: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.session.deleteMany({ where: { shop } });
    await skipPending(tx, shop, "Not sent: the app was uninstalled.");
    // A run in progress or waiting to resume stops here, with its reason.
    await tx.reconciliationRun.updateMany({
      where: { shop, status: { in: ["running", "interrupted"] } },
      data: {
        status: "stopped",
        stopReason: "The app was uninstalled.",
        finishedAt: new Date(),
      },
    });
    await tx.shopSettings.updateMany({
      where: { shop },
      data: { uninstalledAt: new Date() },
    });
    // Every pixel's Events API token goes now: nothing may be sent for the shop any more. The
    // pixels' codes and switches stay (a reinstall shows them, asking only for the tokens)
    // until shop/redact removes them with the rest.
    await tx.pixel.updateMany({
      where: { shop },
      data: { accessTokenCiphertext: null, accessTokenLast4: null },
    });
  }, BULK_TRANSACTION);
  cachedSessionStorage.forgetShop(shop);
  forgetCachedPixels(shop);
}

/** shop/redact (48 h after uninstall): delete everything we hold for the shop. */
export async function purgeShop(shop: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.session.deleteMany({ where: { shop } });
    await purgeShopDeliveries(tx, shop);
    await tx.attributionSession.deleteMany({ where: { shop } });
    await tx.checkoutContext.deleteMany({ where: { shop } });
    await tx.webhookReceipt.deleteMany({ where: { shop } });
    await tx.reconciliationRun.deleteMany({ where: { shop } });
    await tx.pixel.deleteMany({ where: { shop } });
    await tx.shopSettings.deleteMany({ where: { shop } });
  }, BULK_TRANSACTION);
  cachedSessionStorage.forgetShop(shop);
  forgetCachedPixels(shop);
}

export interface CustomerRequest {
  customerId: string | null;
  orderIds: string[];
}

// Ids arrive exact, as digit strings, from parseShopifyJson; small ones may still be numbers.
const idLike = z
  .union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)])
  .transform(String);
const customerRequestSchema = z.object({
  customer: z.object({ id: idLike.nullish() }).nullish(),
  orders_to_redact: z.array(idLike).max(100_000).nullish(),
  orders_requested: z.array(idLike).max(100_000).nullish(),
});

export class CompliancePayloadError extends Error {}

/**
 * Reads a customers/redact or customers/data_request body into Shopify GIDs. Takes the raw
 * text: customer and order ids can exceed 2^53, which a plain JSON.parse would round.
 */
export function parseCustomerRequest(rawBody: string): CustomerRequest {
  let payload: unknown;
  try {
    payload = parseShopifyJson(rawBody);
  } catch {
    throw new CompliancePayloadError(
      "The compliance payload is not valid JSON.",
    );
  }
  const result = customerRequestSchema.safeParse(payload);
  if (!result.success)
    throw new CompliancePayloadError(
      "The compliance payload has an unexpected shape.",
    );
  const body = result.data;
  const id = body.customer?.id;
  const orders = body.orders_to_redact ?? body.orders_requested ?? [];
  return {
    customerId:
      id !== undefined && id !== null ? `gid://shopify/Customer/${id}` : null,
    orderIds: orders.map((o) => `gid://shopify/Order/${o}`),
  };
}

/** The customer's deliveries, found by customer id and by the listed orders (in chunks). */
async function customerDeliveries(
  shop: string,
  request: CustomerRequest,
  db: Prisma.TransactionClient = prisma,
) {
  const select = {
    id: true,
    sessionKey: true,
    eventName: true,
    eventId: true,
    orderName: true,
    status: true,
    matchKeys: true,
    createdAt: true,
  } as const;
  const found = new Map<
    string,
    Awaited<
      ReturnType<typeof prisma.delivery.findMany<{ select: typeof select }>>
    >[number]
  >();
  if (request.customerId) {
    for (const d of await db.delivery.findMany({
      where: { shop, customerId: request.customerId },
      select,
    }))
      found.set(d.id, d);
  }
  for (const ids of chunks(request.orderIds, IN_LIST_CHUNK)) {
    for (const d of await db.delivery.findMany({
      where: { shop, orderId: { in: ids } },
      select,
    }))
      found.set(d.id, d);
  }
  return [...found.values()];
}

/** customers/redact: delete the customer's deliveries and the storefront sessions they came from. */
export async function redactCustomer(
  shop: string,
  request: CustomerRequest,
): Promise<number> {
  if (!request.customerId && request.orderIds.length === 0) return 0;
  // Looked up inside the transaction, so a delivery enqueued meanwhile is not missed.
  return prisma.$transaction(async (tx) => {
    const deliveries = await customerDeliveries(shop, request, tx);
    const sessionKeys = [
      ...new Set(
        deliveries.map((d) => d.sessionKey).filter((k): k is string => !!k),
      ),
    ];
    const ids = deliveries.map((d) => d.id);
    // One summary update for both purges, in key order (see withSummary).
    await withSummary(tx, async (deltas) => {
      await purgeDeliveries(tx, shop, ids, deltas);
      await purgeStorefrontSessions(tx, shop, sessionKeys, deltas);
    });
    for (const part of chunks(sessionKeys, IN_LIST_CHUNK)) {
      await tx.attributionSession.deleteMany({
        where: { shop, sessionKey: { in: part } },
      });
      await tx.checkoutContext.deleteMany({
        where: { shop, sessionKey: { in: part } },
      });
    }
    // The checkouts the listed orders came from (stored by order id digits).
    const orderDigits = request.orderIds.map((gid) =>
      gid.slice(gid.lastIndexOf("/") + 1),
    );
    for (const part of chunks(orderDigits, IN_LIST_CHUNK)) {
      await tx.checkoutContext.deleteMany({
        where: { shop, orderId: { in: part } },
      });
    }
    // Reconciliation keeps order facts only (name, amount), but they go with the orders too.
    for (const part of chunks(request.orderIds, IN_LIST_CHUNK)) {
      await tx.reconciliationOrder.deleteMany({
        where: { shop, orderId: { in: part } },
      });
    }
    return ids.length;
  }, BULK_TRANSACTION);
}

export interface CustomerDataReport {
  deliveries: {
    eventName: string;
    eventId: string;
    orderName: string | null;
    status: string;
    matchKeys: string[];
    createdAt: string;
  }[];
  attributionSessions: number;
}

/** customers/data_request: what we hold about the customer (hashes and order facts only). */
export async function customerDataReport(
  shop: string,
  request: CustomerRequest,
): Promise<CustomerDataReport> {
  if (!request.customerId && request.orderIds.length === 0) {
    return { deliveries: [], attributionSessions: 0 };
  }
  const deliveries = await customerDeliveries(shop, request);
  const sessionKeys = [
    ...new Set(
      deliveries.map((d) => d.sessionKey).filter((k): k is string => !!k),
    ),
  ];
  let attributionSessions = 0;
  for (const part of chunks(sessionKeys, IN_LIST_CHUNK)) {
    attributionSessions += await prisma.attributionSession.count({
      where: { shop, sessionKey: { in: part } },
    });
  }
  return {
    deliveries: deliveries.map((d) => ({
      eventName: d.eventName,
      eventId: d.eventId,
      orderName: d.orderName,
      status: d.status,
      matchKeys: d.matchKeys ? d.matchKeys.split(",") : [],
      createdAt: d.createdAt.toISOString(),
    })),
    attributionSessions,
  };
}
