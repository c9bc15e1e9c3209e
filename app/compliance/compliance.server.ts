import prisma from "~/db.server";
import { cachedSessionStorage } from "~/shopify.server";
import { forgetCachedSettings } from "~/settings/settings.server";

/** app/uninstalled: drop credentials to act for the shop and stop sending; logs stay until shop/redact. */
export async function handleUninstall(shop: string): Promise<void> {
  await prisma.$transaction([
    prisma.session.deleteMany({ where: { shop } }),
    prisma.outboxEntry.deleteMany({ where: { shop } }),
    prisma.delivery.updateMany({
      where: { shop, status: "pending" },
      data: { status: "skipped", lastError: "Not sent: the app was uninstalled." },
    }),
    prisma.shopSettings.updateMany({ where: { shop }, data: { uninstalledAt: new Date() } }),
  ]);
  cachedSessionStorage.forgetShop(shop);
  forgetCachedSettings(shop);
}

/** shop/redact (48 h after uninstall): delete everything we hold for the shop. */
export async function purgeShop(shop: string): Promise<void> {
  await prisma.$transaction([
    prisma.session.deleteMany({ where: { shop } }),
    prisma.outboxEntry.deleteMany({ where: { shop } }),
    prisma.deliveryAttempt.deleteMany({ where: { delivery: { shop } } }),
    prisma.delivery.deleteMany({ where: { shop } }),
    prisma.attributionSession.deleteMany({ where: { shop } }),
    prisma.webhookReceipt.deleteMany({ where: { shop } }),
    prisma.shopSettings.deleteMany({ where: { shop } }),
  ]);
  cachedSessionStorage.forgetShop(shop);
  forgetCachedSettings(shop);
}

export interface CustomerRequest {
  customerId: string | null;
  orderIds: string[];
}

/** Reads a customers/redact or customers/data_request payload into Shopify GIDs. */
export function parseCustomerRequest(payload: unknown): CustomerRequest {
  const body = (payload ?? {}) as {
    customer?: { id?: number | string };
    orders_to_redact?: (number | string)[];
    orders_requested?: (number | string)[];
  };
  const id = body.customer?.id;
  const orders = body.orders_to_redact ?? body.orders_requested ?? [];
  return {
    customerId: id !== undefined && id !== null ? `gid://shopify/Customer/${id}` : null,
    orderIds: orders.map((o) => `gid://shopify/Order/${o}`),
  };
}

function customerDeliveriesWhere(shop: string, request: CustomerRequest) {
  const or: { customerId?: string; orderId?: { in: string[] } }[] = [];
  if (request.customerId) or.push({ customerId: request.customerId });
  if (request.orderIds.length > 0) or.push({ orderId: { in: request.orderIds } });
  return { shop, OR: or };
}

/** customers/redact: delete the customer's deliveries and the storefront sessions they came from. */
export async function redactCustomer(shop: string, request: CustomerRequest): Promise<number> {
  if (!request.customerId && request.orderIds.length === 0) return 0;
  const where = customerDeliveriesWhere(shop, request);
  const deliveries = await prisma.delivery.findMany({ where, select: { id: true, sessionKey: true } });
  const sessionKeys = [...new Set(deliveries.map((d) => d.sessionKey).filter((k): k is string => !!k))];
  const ids = deliveries.map((d) => d.id);
  await prisma.$transaction([
    prisma.outboxEntry.deleteMany({ where: { shop, deliveryId: { in: ids } } }),
    prisma.deliveryAttempt.deleteMany({ where: { deliveryId: { in: ids } } }),
    prisma.delivery.deleteMany({ where: { shop, id: { in: ids } } }),
    prisma.delivery.deleteMany({ where: { shop, source: "storefront", sessionKey: { in: sessionKeys } } }),
    prisma.attributionSession.deleteMany({ where: { shop, sessionKey: { in: sessionKeys } } }),
  ]);
  return ids.length;
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
export async function customerDataReport(shop: string, request: CustomerRequest): Promise<CustomerDataReport> {
  if (!request.customerId && request.orderIds.length === 0) {
    return { deliveries: [], attributionSessions: 0 };
  }
  const deliveries = await prisma.delivery.findMany({
    where: customerDeliveriesWhere(shop, request),
    select: { eventName: true, eventId: true, orderName: true, status: true, matchKeys: true, createdAt: true, sessionKey: true },
  });
  const sessionKeys = [...new Set(deliveries.map((d) => d.sessionKey).filter((k): k is string => !!k))];
  const attributionSessions = sessionKeys.length
    ? await prisma.attributionSession.count({ where: { shop, sessionKey: { in: sessionKeys } } })
    : 0;
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
