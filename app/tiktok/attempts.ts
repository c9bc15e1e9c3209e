/**
 * The records a send leaves behind: a TrackResult per request, an AttemptRecord per event per
 * request (the delivery log), and the outcomes decided locally, without asking TikTok.
 */
import type { DeliveryOutcome } from "./outcome";

/** One request's classified answer plus when it started and how long it took. */
export interface TrackResult extends DeliveryOutcome {
  startedAt: Date;
  durationMs: number;
}

export interface AttemptRecord {
  startedAt: Date;
  durationMs: number;
  httpStatus: number | null;
  code: number | null;
  message: string;
  requestId: string | null;
  outcome: DeliveryOutcome["kind"];
  /** Events in the request this attempt was part of. */
  batchSize: number;
}

/** The attempt every event of a `batchSize`-event request gets from its result. */
export function attemptRecordOf(
  r: TrackResult,
  batchSize: number,
): AttemptRecord {
  return {
    startedAt: r.startedAt,
    durationMs: r.durationMs,
    httpStatus: r.httpStatus,
    code: r.code,
    message: r.message,
    requestId: r.requestId,
    outcome: r.kind,
    batchSize,
  };
}

/** The outcome part of a track() result (drops timing). */
export function outcomeOf(r: TrackResult): DeliveryOutcome {
  const outcome: DeliveryOutcome = {
    kind: r.kind,
    reason: r.reason,
    httpStatus: r.httpStatus,
    code: r.code,
    message: r.message,
    requestId: r.requestId,
  };
  if (r.retryAfterMs !== undefined) outcome.retryAfterMs = r.retryAfterMs;
  return outcome;
}

/** A permanent failure found before sending (bad token, no pixel, unsendable request). */
export function localFailure(
  reason: DeliveryOutcome["reason"],
  message: string,
): DeliveryOutcome {
  return {
    kind: "permanent",
    reason,
    httpStatus: null,
    code: null,
    message,
    requestId: null,
  };
}

/** An event refused locally (fails validation or is too large): never sent. */
export function invalidOutcome(message: string): DeliveryOutcome {
  return localFailure("invalid_event", message);
}

/** Placeholder until a send decides; replaced for every event before sendEvents returns. */
export function pendingOutcome(): DeliveryOutcome {
  return {
    kind: "retryable",
    reason: "network",
    httpStatus: null,
    code: null,
    message: "not attempted",
    requestId: null,
  };
}
