// reschedule: pending → pending. A retryable failure: the attempt is counted, the delivery
// stays pending and its outbox row is due again at the planned time, lease handed back.
import type { Prisma, PrismaClient } from "@prisma/client";
import { jsonRowsSql } from "~/db/sql.server";
import { leasedDeliveryIds } from "./claim.server";
import type { SettleDecision } from "./settle-plan";
import { STATUS } from "./states";

type Reschedule = Extract<SettleDecision, { kind: "reschedule" }>;

/**
 * The statements, to run in the settle transaction; the first of each group counts the
 * rescheduled deliveries. Rows sent in one request share tries, time and error, so the
 * Delivery side is one UPDATE per group; the outbox side is one UPDATE for all (each row
 * has its own jittered due time).
 */
export function rescheduleStatements(
  prisma: PrismaClient,
  owner: string,
  decisions: readonly Reschedule[],
  now: Date,
): {
  counted: Prisma.PrismaPromise<number>[];
  other: Prisma.PrismaPromise<number>[];
} {
  if (decisions.length === 0) return { counted: [], other: [] };
  const groups = new Map<
    string,
    {
      tries: number;
      lastAttemptAt: Date;
      lastError: string;
      outboxIds: string[];
    }
  >();
  for (const d of decisions) {
    const key = `${d.tries}|${d.lastAttemptAt.getTime()}|${d.lastError}`;
    const group = groups.get(key) ?? {
      tries: d.tries,
      lastAttemptAt: d.lastAttemptAt,
      lastError: d.lastError,
      outboxIds: [],
    };
    group.outboxIds.push(d.outboxId);
    groups.set(key, group);
  }
  const counted = [...groups.values()].map(
    (g) => prisma.$executeRaw`
      UPDATE "Delivery" SET "status" = ${STATUS.pending}, "lastError" = ${g.lastError}, "lastAttemptAt" = ${g.lastAttemptAt},
        "attemptCount" = "attemptCount" + ${g.tries}, "updatedAt" = ${now}
      WHERE "status" = ${STATUS.pending} AND "id" IN ${leasedDeliveryIds(owner, g.outboxIds)}`,
  );
  const due = jsonRowsSql(
    decisions.map((d) => ({
      id: d.outboxId,
      attempts: d.attempts,
      firstAttemptAt: d.firstAttemptAt.toISOString(),
      nextAttemptAt: d.retryAt.toISOString(),
    })),
    [
      ["id", "text"],
      ["attempts", "integer"],
      ["firstAttemptAt", "timestamp(3)"],
      ["nextAttemptAt", "timestamp(3)"],
    ],
  );
  const outbox = prisma.$executeRaw`
    UPDATE "OutboxEntry" SET "attempts" = r."attempts", "firstAttemptAt" = r."firstAttemptAt",
      "nextAttemptAt" = r."nextAttemptAt", "leaseOwner" = NULL, "leaseExpiresAt" = NULL
    FROM ${due} AS r
    WHERE "OutboxEntry"."id" = r."id" AND "OutboxEntry"."leaseOwner" = ${owner}`;
  return { counted, other: [outbox] };
}
