// What to write after a send, decided without I/O: for each claimed outbox row and TikTok's
// answer for it, whether its delivery is delivered, tried again later, failed, or left alone,
// and the attempt records to keep. settle.server.ts and reschedule.server.ts write the plan.
import type { AttemptRecord, SendEventResult } from "~/tiktok/client.server";
import { describeOutcome } from "~/tiktok/outcome";
import { nextRetry, type RetryPolicyOptions } from "./retry-policy";
import type { ClaimedEntry } from "./types";

interface Settled {
  outboxId: string;
  deliveryId: string;
  /** Requests made for it in this send (at least 1). */
  tries: number;
  lastAttemptAt: Date;
}

export type SettleDecision =
  | ({ kind: "delivered" } & Settled)
  | ({
      kind: "reschedule";
      retryAt: Date;
      /** Attempts in total, this send included. */
      attempts: number;
      firstAttemptAt: Date;
      lastError: string;
    } & Settled)
  /** `tries` 0 and `lastAttemptAt` null: failed without a request (the shop cannot send). */
  | ({ kind: "failed"; reason: string } & Omit<Settled, "lastAttemptAt"> & {
        lastAttemptAt: Date | null;
      })
  /** No answer for the row: nothing is written and its lease expires, so it is sent again. */
  | { kind: "untouched"; outboxId: string; deliveryId: string };

export interface AttemptWrite {
  attempt: AttemptRecord;
  /** The deliveries the request carried. */
  deliveryIds: string[];
}

export interface SettlePlan {
  decisions: SettleDecision[];
  /** One record per distinct request; events sent together share it. */
  attempts: AttemptWrite[];
}

export interface PlanInput {
  entries: readonly ClaimedEntry[];
  /** Keyed by outbox row id. */
  results: ReadonlyMap<string, SendEventResult>;
  policy: RetryPolicyOptions;
  now: Date;
  /** The retry jitter's random source (default Math.random). */
  random?: () => number;
}

export function planSettlement({
  entries,
  results,
  policy,
  now,
  random,
}: PlanInput): SettlePlan {
  const decisions: SettleDecision[] = [];
  const attemptGroups = new Map<string, AttemptWrite>();
  for (const entry of entries) {
    const ids = { outboxId: entry.id, deliveryId: entry.delivery.id };
    const result = results.get(entry.id);
    if (!result) {
      decisions.push({ kind: "untouched", ...ids });
      continue;
    }
    const { outcome, attempts } = result;
    const tries = Math.max(attempts.length, 1);
    const firstAttemptAt =
      entry.firstAttemptAt ?? attempts[0]?.startedAt ?? now;
    const attemptCount = entry.attempts + tries;
    const lastAttemptAt = attempts.at(-1)?.startedAt ?? now;
    for (const a of attempts) {
      const key = [
        a.startedAt.getTime(),
        a.durationMs,
        a.httpStatus,
        a.code,
        a.requestId,
        a.outcome,
        a.batchSize,
        a.message,
      ].join("|");
      const group = attemptGroups.get(key) ?? { attempt: a, deliveryIds: [] };
      group.deliveryIds.push(entry.delivery.id);
      attemptGroups.set(key, group);
    }
    const settled = { ...ids, tries, lastAttemptAt };
    if (outcome.kind === "accepted") {
      decisions.push({ kind: "delivered", ...settled });
      continue;
    }
    const next =
      outcome.kind === "retryable"
        ? nextRetry({
            ...policy,
            attempt: attemptCount,
            firstAttemptAt,
            eventTime: entry.delivery.eventTime,
            now,
            retryAfterMs: outcome.retryAfterMs,
            random,
          })
        : null;
    if (next && "retryAt" in next) {
      decisions.push({
        kind: "reschedule",
        ...settled,
        retryAt: next.retryAt,
        attempts: attemptCount,
        firstAttemptAt,
        lastError: describeOutcome(outcome),
      });
    } else {
      const reason = next
        ? `${describeOutcome(outcome)} ${next.giveUp}`
        : describeOutcome(outcome);
      // An event refused before any request (validation, setup) made no attempt: count none.
      const made = {
        tries: attempts.length,
        lastAttemptAt: attempts.at(-1)?.startedAt ?? null,
      };
      decisions.push({ kind: "failed", ...settled, ...made, reason });
    }
  }
  return { decisions, attempts: [...attemptGroups.values()] };
}

/** Every claimed row fails with `reason` and no request was made (no token, app uninstalled). */
export function planFailAll(
  entries: readonly ClaimedEntry[],
  reason: string,
): SettlePlan {
  return {
    decisions: entries.map((e) => ({
      kind: "failed",
      outboxId: e.id,
      deliveryId: e.delivery.id,
      tries: 0,
      lastAttemptAt: null,
      reason,
    })),
    attempts: [],
  };
}
