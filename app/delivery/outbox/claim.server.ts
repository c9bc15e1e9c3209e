// claim: pending → pending, lease only. A worker leases due outbox rows (an outbox row exists
// only while its delivery is pending) that nobody else holds.
import { Prisma, type PrismaClient } from "@prisma/client";
import { idList, skipLockedSql } from "~/db/sql.server";
import type { ClaimedEntry } from "./types";

export interface ClaimOptions {
  owner: string;
  now: Date;
  leaseMs: number;
  limit: number;
}

export async function claim(
  prisma: PrismaClient,
  { owner, now, leaseMs, limit }: ClaimOptions,
): Promise<ClaimedEntry[]> {
  const leaseExpiresAt = new Date(now.getTime() + leaseMs);
  // One conditional UPDATE is the claim: rows another worker leased in between no longer
  // match the outer condition. Raw SQL (portable quoting, Prisma placeholders) because
  // the equivalent Prisma calls need id lists of the batch size, which cost several times more.
  const claimed = await prisma.$queryRaw<{ id: string }[]>`
    UPDATE "OutboxEntry" SET "leaseOwner" = ${owner}, "leaseExpiresAt" = ${leaseExpiresAt}
    WHERE "id" IN (
      SELECT "id" FROM "OutboxEntry"
      WHERE "nextAttemptAt" <= ${now} AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < ${now})
      ORDER BY "nextAttemptAt" LIMIT ${limit} ${skipLockedSql()}
    ) AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < ${now})
    RETURNING "id"`;
  if (claimed.length === 0) return [];
  const rows = await prisma.$queryRaw<
    {
      id: string;
      shop: string;
      attempts: number;
      firstAttemptAt: Date | string | null;
      deliveryId: string;
      pixelCode: string;
      payload: string;
      eventTime: Date | string;
    }[]
  >`
    SELECT o."id", o."shop", o."attempts", o."firstAttemptAt", d."id" AS "deliveryId", d."pixelCode", d."payload", d."eventTime"
    FROM "OutboxEntry" o JOIN "Delivery" d ON d."id" = o."deliveryId"
    WHERE o."id" IN ${idList(claimed.map((r) => r.id))} AND o."leaseOwner" = ${owner}`;
  return rows.map((r) => ({
    id: r.id,
    shop: r.shop,
    attempts: Number(r.attempts),
    firstAttemptAt:
      r.firstAttemptAt === null ? null : new Date(r.firstAttemptAt),
    delivery: {
      id: r.deliveryId,
      pixelCode: r.pixelCode,
      payload: r.payload,
      eventTime: new Date(r.eventTime),
    },
  }));
}

/** The deliveries of those outbox rows that are still leased to `owner`: the guard of every settle write. */
export function leasedDeliveryIds(
  owner: string,
  outboxIds: readonly string[],
): Prisma.Sql {
  return Prisma.sql`(SELECT "deliveryId" FROM "OutboxEntry" WHERE "id" IN ${idList(outboxIds)} AND "leaseOwner" = ${owner})`;
}
