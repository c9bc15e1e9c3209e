// renew: pending → pending, lease only. A worker extends its lease on rows it is about to send,
// so a shop whose sends run long (several pixels, split batches, slow answers) does not see its
// rows claimed by another worker mid-cycle; rows it no longer holds are not sent.
import type { PrismaClient } from "@prisma/client";
import { idList } from "~/db/sql.server";

/** Extends `owner`'s lease on these outbox rows; returns the ids it still holds. */
export async function renew(
  prisma: PrismaClient,
  owner: string,
  outboxIds: readonly string[],
  leaseExpiresAt: Date,
): Promise<Set<string>> {
  if (outboxIds.length === 0) return new Set();
  const held = await prisma.$queryRaw<{ id: string }[]>`
    UPDATE "OutboxEntry" SET "leaseExpiresAt" = ${leaseExpiresAt}
    WHERE "id" IN ${idList(outboxIds)} AND "leaseOwner" = ${owner}
    RETURNING "id"`;
  return new Set(held.map((row) => row.id));
}
