// settle: pending → delivered or pending → failed, with the attempt records; reschedules
// (./reschedule.server.ts) are written in the same transaction. Every state change is guarded
// by the lease: a worker whose lease expired (another worker has the row now) or whose row
// was settled meanwhile (uninstall) changes nothing. Its requests did reach TikTok, though, so
// their attempt records are still written while the delivery exists: the log shows every request.
import type { PrismaClient } from "@prisma/client";
import { idList, newIdSql } from "~/db/sql.server";
import { leasedDeliveryIds } from "./claim.server";
import { settledSummaryStatement } from "./day-summary.server";
import { rescheduleStatements } from "./reschedule.server";
import type { AttemptWrite, SettleDecision, SettlePlan } from "./settle-plan";
import { STATUS } from "./states";

type Decision<K extends SettleDecision["kind"]> = Extract<
  SettleDecision,
  { kind: K }
>;

export interface SettleCounts {
  delivered: number;
  failed: number;
  rescheduled: number;
}

/** Writes a plan for rows leased to `owner`, in one transaction; returns the deliveries moved. */
export async function settle(
  prisma: PrismaClient,
  owner: string,
  plan: SettlePlan,
  now: Date,
): Promise<SettleCounts> {
  const of = <K extends SettleDecision["kind"]>(kind: K) =>
    plan.decisions.filter((d): d is Decision<K> => d.kind === kind);
  // Order matters. First the leased outbox rows are locked (a no-op UPDATE): until this
  // transaction ends, a claim skips them (SKIP LOCKED) and an uninstall or purge waits, so every
  // writer takes the outbox row before the delivery and the lease cannot change hands midway.
  // Delivery updates find their rows through that lease, so the outbox rows are deleted or
  // released last.
  const leased = plan.decisions
    .filter((d) => d.kind !== "untouched")
    .map((d) => d.outboxId);
  const lock = leased.length > 0 ? [lockLeasedRows(prisma, owner, leased)] : [];
  const attempts = plan.attempts.map((a) => attemptStatement(prisma, a));
  const delivered = deliverStatements(prisma, owner, of("delivered"), now);
  const failed = failStatements(prisma, owner, of("failed"), now);
  const rescheduled = rescheduleStatements(
    prisma,
    owner,
    of("reschedule"),
    now,
  );
  const counted = [delivered.counted, failed.counted, rescheduled.counted];
  // The day summary counts what the UPDATEs above moved, read while the outbox rows still
  // carry the lease (they are removed right after).
  const moved = [...of("delivered"), ...of("failed")].map((d) => d.outboxId);
  const summary =
    moved.length > 0
      ? [settledSummaryStatement(prisma, leasedDeliveryIds(owner, moved))]
      : [];
  const writes = [
    ...lock,
    ...attempts,
    ...counted.flat(),
    ...summary,
    ...delivered.other,
    ...failed.other,
    ...rescheduled.other,
  ];
  if (writes.length === 0) return { delivered: 0, failed: 0, rescheduled: 0 };
  const results = await prisma.$transaction(writes);
  // The counted UPDATEs come right after the lock and the attempts, in the order of `counted`.
  let at = lock.length + attempts.length;
  const [d, f, r] = counted.map((list) => {
    const sum = results.slice(at, at + list.length).reduce((a, b) => a + b, 0);
    at += list.length;
    return sum;
  });
  return { delivered: d, failed: f, rescheduled: r };
}

/**
 * One request to TikTok, recorded once per delivery it carried, with one INSERT … SELECT. Not
 * lease-guarded (the request happened whoever holds the row now); deliveries removed meanwhile
 * (redaction, retention) get no record.
 */
function attemptStatement(
  prisma: PrismaClient,
  { attempt: a, deliveryIds }: AttemptWrite,
) {
  return prisma.$executeRaw`
    INSERT INTO "DeliveryAttempt"
      ("id", "deliveryId", "startedAt", "durationMs", "httpStatus", "tiktokCode", "message", "requestId", "outcome", "batchSize")
    SELECT ${newIdSql()}, d."id", ${a.startedAt}, ${Math.round(a.durationMs)}, ${a.httpStatus}, ${a.code},
      ${a.message.slice(0, 1000)}, ${a.requestId}, ${a.outcome}, ${a.batchSize}
    FROM "Delivery" d WHERE d."id" IN ${idList(deliveryIds)}`;
}

/** Takes the row locks of the outbox rows still leased to `owner`, changing nothing. */
function lockLeasedRows(
  prisma: PrismaClient,
  owner: string,
  outboxIds: readonly string[],
) {
  return prisma.$executeRaw`
    UPDATE "OutboxEntry" SET "leaseOwner" = "leaseOwner"
    WHERE "id" IN ${idList(outboxIds)} AND "leaseOwner" = ${owner}`;
}

/** Groups rows that share the same values so each group is one UPDATE. */
function grouped<T extends { outboxId: string }>(
  items: readonly T[],
  key: (item: T) => string,
) {
  const groups = new Map<string, { first: T; outboxIds: string[] }>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k) ?? { first: item, outboxIds: [] };
    group.outboxIds.push(item.outboxId);
    groups.set(k, group);
  }
  return [...groups.values()];
}

/** A settled delivery owes nothing more: its outbox row goes. */
function removeOutboxRows(
  prisma: PrismaClient,
  owner: string,
  outboxIds: readonly string[],
) {
  return prisma.$executeRaw`DELETE FROM "OutboxEntry" WHERE "id" IN ${idList(outboxIds)} AND "leaseOwner" = ${owner}`;
}

function deliverStatements(
  prisma: PrismaClient,
  owner: string,
  decisions: readonly Decision<"delivered">[],
  now: Date,
) {
  const groups = grouped(
    decisions,
    (d) => `${d.tries}|${d.lastAttemptAt.getTime()}`,
  );
  return {
    counted: groups.map(
      ({ first, outboxIds }) => prisma.$executeRaw`
        UPDATE "Delivery" SET "status" = ${STATUS.delivered}, "deliveredAt" = ${now}, "updatedAt" = ${now},
          "lastError" = NULL, "lastAttemptAt" = ${first.lastAttemptAt}, "attemptCount" = "attemptCount" + ${first.tries}
        WHERE "status" = ${STATUS.pending} AND "id" IN ${leasedDeliveryIds(owner, outboxIds)}`,
    ),
    other: groups.map(({ outboxIds }) =>
      removeOutboxRows(prisma, owner, outboxIds),
    ),
  };
}

function failStatements(
  prisma: PrismaClient,
  owner: string,
  decisions: readonly Decision<"failed">[],
  now: Date,
) {
  const groups = grouped(
    decisions,
    (d) => `${d.tries}|${d.lastAttemptAt?.getTime()}|${d.reason}`,
  );
  return {
    counted: groups.map(({ first, outboxIds }) =>
      first.lastAttemptAt === null
        ? prisma.$executeRaw`
            UPDATE "Delivery" SET "status" = ${STATUS.failed}, "lastError" = ${first.reason}, "updatedAt" = ${now}
            WHERE "status" = ${STATUS.pending} AND "id" IN ${leasedDeliveryIds(owner, outboxIds)}`
        : prisma.$executeRaw`
            UPDATE "Delivery" SET "status" = ${STATUS.failed}, "lastError" = ${first.reason}, "updatedAt" = ${now},
              "lastAttemptAt" = ${first.lastAttemptAt}, "attemptCount" = "attemptCount" + ${first.tries}
            WHERE "status" = ${STATUS.pending} AND "id" IN ${leasedDeliveryIds(owner, outboxIds)}`,
    ),
    other: groups.map(({ outboxIds }) =>
      removeOutboxRows(prisma, owner, outboxIds),
    ),
  };
}
