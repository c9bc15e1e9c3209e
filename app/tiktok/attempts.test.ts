import { describe, expect, it } from "vitest";
import {
  attemptRecordOf,
  invalidOutcome,
  localFailure,
  outcomeOf,
  pendingOutcome,
  type TrackResult,
} from "./attempts";

const result = (extra: Partial<TrackResult> = {}): TrackResult => ({
  kind: "retryable",
  reason: "rate_limited",
  httpStatus: 200,
  code: 40100,
  message: "Too many requests",
  requestId: "req-1",
  startedAt: new Date("2025-06-01T12:00:00Z"),
  durationMs: 42,
  ...extra,
});

describe("attemptRecordOf", () => {
  it("copies what the log shows and the size of the request", () => {
    expect(attemptRecordOf(result({ retryAfterMs: 7000 }), 250)).toEqual({
      startedAt: new Date("2025-06-01T12:00:00Z"),
      durationMs: 42,
      httpStatus: 200,
      code: 40100,
      message: "Too many requests",
      requestId: "req-1",
      outcome: "retryable",
      batchSize: 250,
    });
  });
});

describe("outcomeOf", () => {
  it("drops timing and keeps retryAfterMs only when TikTok gave one", () => {
    const withRetry = outcomeOf(result({ retryAfterMs: 7000 }));
    expect(withRetry).toEqual({
      kind: "retryable",
      reason: "rate_limited",
      httpStatus: 200,
      code: 40100,
      message: "Too many requests",
      requestId: "req-1",
      retryAfterMs: 7000,
    });
    expect("retryAfterMs" in outcomeOf(result())).toBe(false);
    expect("startedAt" in withRetry || "durationMs" in withRetry).toBe(false);
  });
});

describe("local outcomes", () => {
  it("are permanent without any HTTP detail, except the pending placeholder which is retryable", () => {
    expect(localFailure("auth", "bad token")).toEqual({
      kind: "permanent",
      reason: "auth",
      httpStatus: null,
      code: null,
      message: "bad token",
      requestId: null,
    });
    expect(invalidOutcome("Not sent: x")).toMatchObject({
      kind: "permanent",
      reason: "invalid_event",
      message: "Not sent: x",
    });
    expect(pendingOutcome()).toMatchObject({
      kind: "retryable",
      reason: "network",
      message: "not attempted",
    });
    expect(pendingOutcome()).not.toBe(pendingOutcome());
  });
});
