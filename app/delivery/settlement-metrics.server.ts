// What a settled plan adds to the metrics, recorded by the worker once settle() has written it
// (app/delivery/outbox stays free of metrics).
import type { SendEventResult } from "~/tiktok/client.server";
import {
  recordSettled,
  recordTikTokRequest,
  type SettledOutcome,
} from "~/observability/metrics.server";
import type { SettlePlan } from "./outbox/settle-plan";

const OUTCOME: Record<string, SettledOutcome | undefined> = {
  delivered: "delivered",
  failed: "failed",
  reschedule: "rescheduled",
};

export function recordSettlement(
  plan: SettlePlan,
  results: ReadonlyMap<string, SendEventResult> = new Map(),
): void {
  for (const decision of plan.decisions) {
    const outcome = OUTCOME[decision.kind];
    // "untouched" rows were not written: they are sent again once their lease lapses.
    if (!outcome) continue;
    recordSettled(
      outcome,
      results.get(decision.outboxId)?.outcome.code ?? null,
    );
  }
  // The plan holds one attempt per distinct request, so a batch is observed once.
  for (const { attempt } of plan.attempts) recordTikTokRequest(attempt);
}
