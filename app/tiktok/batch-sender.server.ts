/**
 * sendEvents: validate each event, batch per pixel within TikTok's limits (batching.ts), send
 * the batches a few at a time, and when TikTok rejects a batch for one bad event (code 40002
 * fails the whole request), split it in halves to find that event so the rest still goes through.
 */
import {
  attemptRecordOf,
  invalidOutcome,
  localFailure,
  outcomeOf,
  pendingOutcome,
  type AttemptRecord,
  type TrackResult,
} from "./attempts";
import { planBatches, type QueuedEvent } from "./batching";
import { isSendableAccessToken } from "./endpoint";
import { validateEvent } from "./event-validation";
import type { DeliveryOutcome } from "./outcome";
import type { Track } from "./track.server";
import { buildTrackBody } from "./track-body";
import type { TikTokEvent } from "./wire-types";

export interface SendEventsInput {
  pixelCode: string;
  accessToken: string;
  testEventCode?: string | null;
  events: ReadonlyArray<{ key: string; event: TikTokEvent }>;
}

export interface SendEventResult {
  key: string;
  outcome: DeliveryOutcome;
  attempts: AttemptRecord[];
}

export interface BatchSenderOptions {
  track: Track;
  /** Byte cap per request body. */
  maxBatchBytes: number;
  /** Top-level partner_name; null leaves it out. */
  partnerName: string | null;
  /** Upper bound of extra requests spent isolating bad events in one rejected batch. */
  maxSplitRequests: number;
  /** Batches in flight at once. */
  concurrency: number;
}

/** 40002 messages naming top-level fields: the whole request is wrong, splitting cannot help. */
const TOP_LEVEL_PROBLEM =
  /event_source_id|event_source\b|partner_name|test_event_code/i;

/** Why nothing of this input can be sent at all, or null. */
export function setupProblemOf(
  input: Pick<SendEventsInput, "pixelCode" | "accessToken">,
): DeliveryOutcome | null {
  if (!input.pixelCode.trim()) {
    return localFailure(
      "not_configured",
      "No TikTok pixel code is configured; nothing was sent",
    );
  }
  if (!isSendableAccessToken(input.accessToken)) {
    return localFailure(
      "auth",
      "The access token is empty or contains characters that cannot be sent; nothing was sent",
    );
  }
  return null;
}

/** Whether a rejected request of `size` events is worth splitting, with `budgetLeft` requests to spend. */
export function shouldSplit(
  r: Pick<TrackResult, "reason" | "message">,
  size: number,
  budgetLeft: number,
): boolean {
  return (
    r.reason === "validation" &&
    size > 1 &&
    budgetLeft >= 2 &&
    !TOP_LEVEL_PROBLEM.test(r.message)
  );
}

export async function sendEventsInBatches(
  input: SendEventsInput,
  options: BatchSenderOptions,
): Promise<SendEventResult[]> {
  const results: SendEventResult[] = input.events.map(({ key }) => ({
    key,
    outcome: pendingOutcome(),
    attempts: [],
  }));
  const setupProblem = setupProblemOf(input);
  if (setupProblem) {
    for (const r of results) r.outcome = { ...setupProblem };
    return results;
  }

  // 1. Validate: an invalid event never enters a batch (one bad row fails the whole batch).
  //    Batching below uses the input position as its key so results map back exactly.
  const queued: QueuedEvent[] = [];
  input.events.forEach(({ event }, i) => {
    const errors = validateEvent(event);
    if (errors.length > 0) {
      results[i].outcome = invalidOutcome(`Not sent: ${errors.join("; ")}`);
      return;
    }
    queued.push({
      key: String(i),
      event,
      pixelCode: input.pixelCode,
      accessToken: input.accessToken,
      testEventCode: input.testEventCode ?? null,
    });
  });

  // 2. Batch: at most 1000 events and maxBatchBytes per request.
  const plan = planBatches(queued, {
    maxBytes: options.maxBatchBytes,
    partnerName: options.partnerName,
  });
  for (const item of plan.oversized) {
    results[Number(item.key)].outcome = invalidOutcome(
      `Not sent: the event is ${item.bytes} bytes, more than the ${options.maxBatchBytes}-byte request limit`,
    );
  }

  // 3. Send, splitting rejected batches to isolate the events TikTok refuses.
  const groups = plan.batches.map((b) =>
    b.items.map((item) => Number(item.key)),
  );
  await inPool(groups, options.concurrency, (group) =>
    sendGroup(input, group, results, options, {
      left: options.maxSplitRequests,
    }),
  );
  return results;
}

/** Sends the events at `indices` as one request; on a splittable rejection, each half in turn. */
async function sendGroup(
  input: SendEventsInput,
  indices: number[],
  results: SendEventResult[],
  options: BatchSenderOptions,
  budget: { left: number },
): Promise<void> {
  const body = buildTrackBody({
    pixelCode: input.pixelCode,
    testEventCode: input.testEventCode,
    events: indices.map((i) => input.events[i].event),
    partnerName: options.partnerName,
  });
  const r = await options.track({ accessToken: input.accessToken, body });
  const record = attemptRecordOf(r, indices.length);
  for (const i of indices) results[i].attempts.push(record);

  if (shouldSplit(r, indices.length, budget.left)) {
    budget.left -= 2;
    const mid = Math.ceil(indices.length / 2);
    await sendGroup(input, indices.slice(0, mid), results, options, budget);
    await sendGroup(input, indices.slice(mid), results, options, budget);
    return;
  }
  const outcome = outcomeOf(r);
  if (r.reason === "validation" && indices.length > 1) {
    outcome.message = `${r.message} (rejected with a batch of ${indices.length} events; the bad event could not be isolated)`;
  }
  for (const i of indices) results[i].outcome = { ...outcome };
}

/** Runs `work` over `items` with at most `concurrency` in flight, taking items in order. */
export async function inPool<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(
    Array.from(
      { length: Math.min(Math.max(1, concurrency), items.length) },
      worker,
    ),
  );
}
