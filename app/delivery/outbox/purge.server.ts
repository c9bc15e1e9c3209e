// purge: any state → deleted. Compliance (shop/redact, customers/redact) and log retention.
// A delivery's outbox row and attempts go with it, explicitly rather than by relying on the
// foreign keys' ON DELETE CASCADE being enforced by the connection.
import type { Prisma } from "@prisma/client";
import { chunks, IN_LIST_CHUNK } from "~/db/chunks";
import { STATUS } from "./states";

type Tx = Prisma.TransactionClient;

/** Deletes the matching deliveries with their outbox rows and attempts; returns how many deliveries. */
async function purgeWhere(
  tx: Tx,
  where: Prisma.DeliveryWhereInput,
): Promise<number> {
  await tx.outboxEntry.deleteMany({ where: { delivery: where } });
  await tx.deliveryAttempt.deleteMany({ where: { delivery: where } });
  return (await tx.delivery.deleteMany({ where })).count;
}

/** Everything the shop has in the outbox tables (shop/redact). Run inside the caller's transaction. */
export async function purgeShopDeliveries(
  tx: Tx,
  shop: string,
): Promise<number> {
  await tx.outboxEntry.deleteMany({ where: { shop } });
  return purgeWhere(tx, { shop });
}

/** The given deliveries of the shop, whatever their state. Run inside the caller's transaction. */
export async function purgeDeliveries(
  tx: Tx,
  shop: string,
  ids: readonly string[],
): Promise<number> {
  let count = 0;
  for (const part of chunks(ids, IN_LIST_CHUNK))
    count += await purgeWhere(tx, { shop, id: { in: part } });
  return count;
}

/** Storefront deliveries that came from these shopper sessions (customers/redact). */
export async function purgeStorefrontSessions(
  tx: Tx,
  shop: string,
  sessionKeys: readonly string[],
): Promise<number> {
  let count = 0;
  for (const part of chunks(sessionKeys, IN_LIST_CHUNK)) {
    count += await purgeWhere(tx, {
      shop,
      source: "storefront",
      sessionKey: { in: part },
    });
  }
  return count;
}

/** Log retention: finished deliveries created before `before`; what is still owed to TikTok stays. */
export async function purgeExpired(tx: Tx, before: Date): Promise<number> {
  return purgeWhere(tx, {
    createdAt: { lt: before },
    status: { not: STATUS.pending },
  });
}
