// release: pending → pending, lease only. A stopping worker hands back the rows it still
// holds so another worker need not wait for the lease to expire.
import type { PrismaClient } from "@prisma/client";

/** Returns how many rows were released; only rows leased to `owner` are touched. */
export async function release(
  prisma: PrismaClient,
  owner: string,
): Promise<number> {
  return prisma.$executeRaw`
    UPDATE "OutboxEntry" SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL WHERE "leaseOwner" = ${owner}`;
}
