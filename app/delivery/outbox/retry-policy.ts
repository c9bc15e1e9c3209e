/**
 * When to try a retryable delivery again. Pure: the clock and the random source are inputs.
 *
 * Exponential backoff with full jitter (delay uniform in [0, min(cap, base·2^(attempt-1))]),
 * floored at `minMs`, raised to Retry-After when TikTok sent one. Hard deadline: TikTok
 * deduplicates the same event + event_id only within 48 h of the first one it saw, so a resend
 * after that could double count an event TikTok had in fact accepted. We stop `safetyMarginMs`
 * before 48 h, counted from the earliest of the first attempt and the event time (the pixel may
 * have sent the same event_id at event time). Window: https://ads.tiktok.com/help/article/event-deduplication
 */

export const DEDUP_WINDOW_MS = 48 * 60 * 60 * 1000;

export interface RetryPolicyOptions {
  /** First backoff ceiling. Default 30 s. */
  baseMs?: number;
  /** Largest backoff ceiling. Default 1 h. */
  capMs?: number;
  /** Smallest delay, so full jitter never fires immediately. Default 1 s. */
  minMs?: number;
  /** Time after the first attempt beyond which we never send. Default 48 h − 2 h. */
  deadlineMs?: number;
  /** Attempts allowed in total (first one included). Default 25. */
  maxAttempts?: number;
}

export interface NextRetryInput extends RetryPolicyOptions {
  /** Attempts already made (1 after the first failure). */
  attempt: number;
  firstAttemptAt: Date;
  now: Date;
  /** When the event happened; the deadline also counts from it when it is earlier. */
  eventTime?: Date;
  retryAfterMs?: number;
  /** Returns a number in [0, 1). Default Math.random. */
  random?: () => number;
}

export type NextRetry = { retryAt: Date } | { giveUp: string };

export const DEFAULT_RETRY_POLICY: Required<RetryPolicyOptions> = {
  baseMs: 30_000,
  capMs: 60 * 60 * 1000,
  minMs: 1_000,
  deadlineMs: DEDUP_WINDOW_MS - 2 * 60 * 60 * 1000,
  maxAttempts: 25,
};

export function nextRetry(input: NextRetryInput): NextRetry {
  const baseMs = input.baseMs ?? DEFAULT_RETRY_POLICY.baseMs;
  const capMs = input.capMs ?? DEFAULT_RETRY_POLICY.capMs;
  const minMs = input.minMs ?? DEFAULT_RETRY_POLICY.minMs;
  // Never beyond the dedup window, whatever the caller configures.
  const deadlineMs = Math.min(
    input.deadlineMs ?? DEFAULT_RETRY_POLICY.deadlineMs,
    DEDUP_WINDOW_MS,
  );
  const maxAttempts = input.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts;
  const random = input.random ?? Math.random;

  if (input.attempt >= maxAttempts) {
    return { giveUp: `Gave up after ${input.attempt} attempts` };
  }
  const startMs = Math.min(
    input.firstAttemptAt.getTime(),
    input.eventTime ? input.eventTime.getTime() : Number.POSITIVE_INFINITY,
  );
  const deadlineAt = startMs + deadlineMs;

  const exponent = Math.max(0, input.attempt - 1);
  // 2^exponent overflows to Infinity for large attempts; min() keeps the ceiling at the cap.
  const ceiling = Math.min(capMs, baseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  let delay = Math.max(minMs, Math.floor(r * ceiling));
  if (input.retryAfterMs !== undefined && input.retryAfterMs > delay)
    delay = input.retryAfterMs;

  const retryAt = input.now.getTime() + delay;
  if (retryAt > deadlineAt) {
    const hours = Math.round((deadlineMs / 3_600_000) * 10) / 10;
    return {
      giveUp: `Stopped retrying: the next attempt would fall more than ${hours} h after the first one, past TikTok's 48 h deduplication window`,
    };
  }
  return { retryAt: new Date(retryAt) };
}

/**
 * The oldest delivery time at which a delivered event may still be resent under its event id:
 * TikTok drops a repeat only within 48 h of the copy it accepted; past this, a resend would be
 * counted twice.
 */
export function resendCutoff(now: Date): Date {
  return new Date(now.getTime() - DEFAULT_RETRY_POLICY.deadlineMs);
}

/** Whether a delivered event can be resent without TikTok counting it twice (see resendCutoff). */
export function deliveredResendable(
  eventTime: Date,
  deliveredAt: Date | null,
  now: Date,
): boolean {
  return (deliveredAt ?? eventTime).getTime() > resendCutoff(now).getTime();
}
