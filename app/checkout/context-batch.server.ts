// Checkout contexts read and written a batch at a time, for the ingest writer's group commit
// (app/delivery/ingest-writer.server.ts): the relayed checkout steps of one batch cost one
// SELECT and one upsert, instead of an interactive transaction each (read, upsert, enqueue).
import { Prisma } from "@prisma/client";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";
import type { RawSql } from "~/db/adapter-sql.server";
import { jsonRowsSql, newIdSql, rowLockSql } from "~/db/sql.server";
import type { CheckoutContextState } from "./checkout-context";

/** One relayed checkout step, as the ingest writer runs it. */
export interface CheckoutStep {
  shop: string;
  checkoutToken: string;
  now: Date;
  /**
   * From the stored context (null for a new checkout; the batch's previous step of the same
   * checkout when there is one) to the new context and the deliveries the step queues. Pure:
   * the writer may run it again when it retries a request on its own.
   */
  merge(previous: CheckoutContextState | null): {
    context: CheckoutContextState;
    deliveries: NewDelivery[];
  };
}

export interface CheckoutContextWrite {
  shop: string;
  checkoutToken: string;
  context: CheckoutContextState;
  seenAt: Date;
}

export const checkoutKey = (shop: string, checkoutToken: string) =>
  `${shop}\u0000${checkoutToken}`;

type StoredRow = Omit<CheckoutContextState, "startedAt" | "completedAt"> & {
  shop: string;
  checkoutToken: string;
  startedAt: Date | string | null;
  completedAt: Date | string | null;
};

const asDate = (value: Date | string | null) =>
  value === null ? null : value instanceof Date ? value : new Date(value);

/**
 * The stored contexts of these checkouts, by checkoutKey, in one statement. On PostgreSQL the
 * rows stay locked until the transaction ends (in key order, so two writers cannot deadlock),
 * so another process cannot update a context between this read and the upsert.
 */
export async function readCheckoutContexts(
  tx: RawSql,
  steps: readonly Pick<CheckoutStep, "shop" | "checkoutToken">[],
): Promise<Map<string, CheckoutContextState>> {
  const source = jsonRowsSql(
    steps.map(({ shop, checkoutToken }) => ({ shop, checkoutToken })),
    [
      ["shop", "text"],
      ["checkoutToken", "text"],
    ],
  );
  const rows = await tx.$queryRaw<StoredRow[]>`
    SELECT c."shop", c."checkoutToken", c."ttclid", c."ttp", c."sessionKey", c."consent", c."ip",
      c."userAgent", c."emailHash", c."phoneHash", c."pageUrl", c."orderId", c."startedAt", c."completedAt"
    FROM ${source} AS s CROSS JOIN "CheckoutContext" AS c -- SQLite: the batch outside, the unique index inside
    WHERE c."shop" = s."shop" AND c."checkoutToken" = s."checkoutToken"
    ORDER BY c."shop", c."checkoutToken" ${rowLockSql("c")}`;
  const found = new Map<string, CheckoutContextState>();
  for (const { shop, checkoutToken, startedAt, completedAt, ...rest } of rows)
    found.set(checkoutKey(shop, checkoutToken), {
      ...rest,
      startedAt: asDate(startedAt),
      completedAt: asDate(completedAt),
    });
  return found;
}

/**
 * Creates or overwrites the given contexts (already merged with what was stored) in one
 * statement; each (shop, checkoutToken) at most once. `lateRelayAt` and `firstSeenAt` of an
 * existing row are left as they are.
 */
export function upsertCheckoutContextsSql(
  rows: readonly CheckoutContextWrite[],
): Prisma.Sql {
  const source = jsonRowsSql(
    rows.map(({ shop, checkoutToken, context, seenAt }) => ({
      shop,
      checkoutToken,
      ...context,
      startedAt: context.startedAt?.toISOString() ?? null,
      completedAt: context.completedAt?.toISOString() ?? null,
      seenAt: seenAt.toISOString(),
    })),
    [
      ["shop", "text"],
      ["checkoutToken", "text"],
      ["ttclid", "text"],
      ["ttp", "text"],
      ["sessionKey", "text"],
      ["consent", "text"],
      ["ip", "text"],
      ["userAgent", "text"],
      ["emailHash", "text"],
      ["phoneHash", "text"],
      ["pageUrl", "text"],
      ["orderId", "text"],
      ["startedAt", "timestamp(3)"],
      ["completedAt", "timestamp(3)"],
      ["seenAt", "timestamp(3)"],
    ],
  );
  return Prisma.sql`
    INSERT INTO "CheckoutContext" ("id", "shop", "checkoutToken", "ttclid", "ttp", "sessionKey", "consent", "ip",
      "userAgent", "emailHash", "phoneHash", "pageUrl", "orderId", "startedAt", "completedAt", "firstSeenAt", "lastSeenAt")
    SELECT ${newIdSql()}, s."shop", s."checkoutToken", s."ttclid", s."ttp", s."sessionKey", s."consent", s."ip",
      s."userAgent", s."emailHash", s."phoneHash", s."pageUrl", s."orderId", s."startedAt", s."completedAt",
      s."seenAt", s."seenAt"
    FROM ${source} AS s
    WHERE true -- SQLite needs a WHERE here, or it reads ON CONFLICT as a join constraint
    ON CONFLICT ("shop", "checkoutToken") DO UPDATE SET
      "ttclid" = excluded."ttclid", "ttp" = excluded."ttp", "sessionKey" = excluded."sessionKey",
      "consent" = excluded."consent", "ip" = excluded."ip", "userAgent" = excluded."userAgent",
      "emailHash" = excluded."emailHash", "phoneHash" = excluded."phoneHash", "pageUrl" = excluded."pageUrl",
      "orderId" = excluded."orderId", "startedAt" = excluded."startedAt", "completedAt" = excluded."completedAt",
      "lastSeenAt" = excluded."lastSeenAt"`;
}
