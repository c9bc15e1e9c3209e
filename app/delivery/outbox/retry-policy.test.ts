import { describe, expect, it } from "vitest";
import { DEDUP_WINDOW_MS, nextRetry } from "./retry-policy";

const T0 = new Date("2025-06-01T00:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const H = 3_600_000;

describe("nextRetry", () => {
  it("uses full jitter under an exponential ceiling", () => {
    // random = 1 (upper bound) shows the ceiling: base·2^(attempt-1), capped.
    const top = (attempt: number) =>
      nextRetry({
        attempt,
        firstAttemptAt: T0,
        now: T0,
        random: () => 0.999999,
        baseMs: 1000,
        capMs: 16_000,
        minMs: 0,
      });
    expect(top(1)).toEqual({ retryAt: at(999) });
    expect(top(3)).toEqual({ retryAt: at(3999) });
    expect(top(5)).toEqual({ retryAt: at(15_999) });
    expect(top(12)).toEqual({ retryAt: at(15_999) }); // capped
    const half = nextRetry({
      attempt: 3,
      firstAttemptAt: T0,
      now: T0,
      random: () => 0.5,
      baseMs: 1000,
      minMs: 0,
    });
    expect(half).toEqual({ retryAt: at(2000) });
  });

  it("never fires sooner than minMs", () => {
    expect(
      nextRetry({
        attempt: 1,
        firstAttemptAt: T0,
        now: T0,
        random: () => 0,
        minMs: 1000,
      }),
    ).toEqual({ retryAt: at(1000) });
  });

  it("honours Retry-After when it is longer than the backoff", () => {
    expect(
      nextRetry({
        attempt: 1,
        firstAttemptAt: T0,
        now: T0,
        random: () => 0.1,
        baseMs: 1000,
        retryAfterMs: 60_000,
      }),
    ).toEqual({
      retryAt: at(60_000),
    });
  });

  it("gives up rather than schedule past the deadline (46 h by default)", () => {
    const now = at(45.9 * H);
    const r = nextRetry({
      attempt: 10,
      firstAttemptAt: T0,
      now,
      random: () => 0.9,
    });
    expect(r).toHaveProperty("giveUp");
    if ("giveUp" in r) expect(r.giveUp).toContain("48 h");
    const fine = nextRetry({
      attempt: 10,
      firstAttemptAt: T0,
      now: at(40 * H),
      random: () => 0.9,
    });
    expect(fine).toHaveProperty("retryAt");
  });

  it("counts the deadline from the event time when that is earlier, and never beyond 48 h", () => {
    const input = {
      attempt: 2,
      firstAttemptAt: at(10 * H),
      now: at(45.999 * H),
      random: () => 0.9,
    };
    expect(nextRetry(input)).toHaveProperty("retryAt"); // 36 h after the first attempt: fine
    expect(nextRetry({ ...input, eventTime: T0 })).toHaveProperty("giveUp"); // but 46 h after the event
    const wide = nextRetry({
      attempt: 2,
      firstAttemptAt: T0,
      now: at(47.99 * H),
      random: () => 0.9,
      deadlineMs: 100 * H,
    });
    expect(wide).toHaveProperty("giveUp");
    expect(DEDUP_WINDOW_MS).toBe(48 * H);
  });

  it("stops after maxAttempts", () => {
    expect(
      nextRetry({ attempt: 5, maxAttempts: 5, firstAttemptAt: T0, now: T0 }),
    ).toEqual({ giveUp: "Gave up after 5 attempts" });
  });

  it("never schedules past the deadline for any random draw (property check)", () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const now = at(rand() * 48 * H);
      const r = nextRetry({
        attempt: 1 + Math.floor(rand() * 30),
        firstAttemptAt: T0,
        now,
        random: rand,
        retryAfterMs: rand() < 0.2 ? rand() * 10 * H : undefined,
      });
      if ("retryAt" in r) {
        expect(r.retryAt.getTime()).toBeLessThanOrEqual(T0.getTime() + 46 * H);
        expect(r.retryAt.getTime()).toBeGreaterThan(now.getTime());
      }
    }
  });
});
