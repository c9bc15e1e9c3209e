import type { Prisma, PrismaClient } from "@prisma/client";

/** A client or an interactive transaction: the writes that need atomicity say which they take. */
export type Db = Prisma.TransactionClient | PrismaClient;

/** An outbox row leased by a worker, with what it needs from its delivery to send it. */
export interface ClaimedEntry {
  /** The OutboxEntry id. */
  id: string;
  shop: string;
  /** Attempts made before this claim. */
  attempts: number;
  firstAttemptAt: Date | null;
  delivery: { id: string; pixelCode: string; payload: string; eventTime: Date };
}
