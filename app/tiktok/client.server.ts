/**
 * HTTP client for POST {base}/open_api/v1.3/event/track/.
 * One keep-alive agent per client so consecutive requests reuse TCP/TLS connections; a total
 * timeout per request; every answer classified by `classifyResponse`.
 * `sendEvents` validates, batches, and isolates bad events when TikTok rejects a batch.
 */
import http from "node:http";
import https from "node:https";
import {
  DEFAULT_MAX_BATCH_BYTES,
  planBatches,
  type QueuedEvent,
} from "./batching";
import {
  classifyResponse,
  type DeliveryOutcome,
  type TransportResult,
} from "./outcome";
import {
  buildTrackBody,
  PARTNER_NAME,
  validateEvent,
  type TikTokEvent,
  type TrackRequestBody,
} from "./payload";

export const DEFAULT_TIKTOK_API_BASE_URL = "https://business-api.tiktok.com";
export const TRACK_PATH = "/open_api/v1.3/event/track/";

export interface TikTokClientOptions {
  /** Defaults to TIKTOK_API_BASE_URL, then https://business-api.tiktok.com. May carry a path prefix. */
  baseUrl?: string;
  /** Total time for one request (connect, send, full answer). Default 10 s. */
  timeoutMs?: number;
  /** Byte cap per request body. Default 1 MB. */
  maxBatchBytes?: number;
  /** Top-level partner_name; null leaves it out. Default PARTNER_NAME. */
  partnerName?: string | null;
  /** Upper bound of extra requests spent isolating bad events in one rejected batch. Default 64. */
  maxSplitRequests?: number;
  /** Batches in flight at once in sendEvents. Default 2. */
  concurrency?: number;
  /** Sockets per origin. Default 8. */
  maxSockets?: number;
}

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

export interface TikTokClient {
  readonly trackUrl: string;
  /** Exactly one request (plus one immediate resend if a reused keep-alive socket was found dead). */
  track(args: {
    accessToken: string;
    body: TrackRequestBody;
  }): Promise<TrackResult>;
  sendEvents(input: SendEventsInput): Promise<SendEventResult[]>;
  close(): void;
}

/** Visible ASCII only: what an HTTP header value can carry unchanged. */
const VALID_TOKEN = /^[\x21-\x7e]+$/;

/** Largest answer we read; TikTok's are a few hundred bytes. */
const MAX_RESPONSE_BYTES = 1_000_000;

/** 40002 messages naming top-level fields: the whole request is wrong, splitting cannot help. */
const TOP_LEVEL_PROBLEM =
  /event_source_id|event_source\b|partner_name|test_event_code/i;

export function trackUrlFor(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${TRACK_PATH}`;
}

export function createTikTokClient(
  options: TikTokClientOptions = {},
): TikTokClient {
  const baseUrl =
    options.baseUrl ??
    process.env.TIKTOK_API_BASE_URL ??
    DEFAULT_TIKTOK_API_BASE_URL;
  const url = new URL(trackUrlFor(baseUrl));
  const isHttps = url.protocol === "https:";
  if (!isHttps && url.protocol !== "http:")
    throw new Error(`Unsupported TikTok API URL: ${url.href}`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const partnerName =
    options.partnerName === undefined ? PARTNER_NAME : options.partnerName;
  const maxSplitRequests = options.maxSplitRequests ?? 64;
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 8,
    scheduling: "lifo" as const,
  };
  const agent = isHttps
    ? new https.Agent(agentOptions)
    : new http.Agent(agentOptions);
  const request = isHttps ? https.request : http.request;

  function once(
    payload: Buffer,
    accessToken: string,
  ): Promise<{ result: TransportResult; staleSocket: boolean }> {
    return new Promise((resolve) => {
      let settled = false;
      let gotResponse = false;
      const req = request(url, {
        method: "POST",
        agent,
        headers: {
          "Access-Token": accessToken,
          "Content-Type": "application/json",
          "Content-Length": payload.length,
          Accept: "application/json",
        },
      });
      const finish = (result: TransportResult, staleSocket = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ result, staleSocket });
      };
      const timer = setTimeout(() => {
        finish({ type: "timeout", timeoutMs });
        req.destroy(new Error("timeout"));
      }, timeoutMs);

      req.on("response", (res) => {
        gotResponse = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
          else
            res.destroy(
              new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`),
            );
        });
        res.on("end", () => {
          const header = (name: string) => {
            const value = res.headers[name];
            return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
          };
          finish({
            type: "response",
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            retryAfter: header("retry-after"),
            headerRequestId: header("x-tt-logid"),
          });
        });
        res.on("error", (err: NodeJS.ErrnoException) =>
          finish({
            type: "network",
            errorCode: err.code ?? null,
            message: err.message,
          }),
        );
        res.on("close", () => {
          // After "end" this is a no-op; before it, the connection died mid-answer.
          if (!res.complete) {
            finish({
              type: "network",
              errorCode: "ECONNRESET",
              message: "connection closed mid-response",
            });
          }
        });
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        // A keep-alive socket the server closed while idle fails on reuse before any answer;
        // Node's docs recommend resending in that case. Safe: TikTok deduplicates on event_id.
        const stale =
          !gotResponse &&
          req.reusedSocket &&
          (err.code === "ECONNRESET" || err.code === "EPIPE");
        finish(
          {
            type: "network",
            errorCode: err.code ?? null,
            message: err.message,
          },
          stale,
        );
      });
      req.end(payload);
    });
  }

  async function track(args: {
    accessToken: string;
    body: TrackRequestBody;
  }): Promise<TrackResult> {
    const startedAt = new Date();
    const t0 = performance.now();
    const done = (outcome: DeliveryOutcome): TrackResult => ({
      ...outcome,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
    });
    // A header value with spaces/control characters cannot be sent at all (Node throws).
    if (!VALID_TOKEN.test(args.accessToken)) {
      return done(
        localFailure(
          "auth",
          "The access token is empty or contains characters that cannot be sent",
        ),
      );
    }
    try {
      const payload = Buffer.from(JSON.stringify(args.body), "utf8");
      let { result, staleSocket } = await once(payload, args.accessToken);
      if (staleSocket) ({ result } = await once(payload, args.accessToken));
      return done(classifyResponse(result));
    } catch (err) {
      // Only a bug or an unsendable request gets here; resending the same would fail the same way.
      return done(
        localFailure(
          "rejected",
          `The request could not be sent: ${(err as Error).message}`,
        ),
      );
    }
  }

  async function sendEvents(
    input: SendEventsInput,
  ): Promise<SendEventResult[]> {
    const results: SendEventResult[] = input.events.map(({ key }) => ({
      key,
      outcome: pendingOutcome(),
      attempts: [],
    }));
    const setupProblem = !input.pixelCode.trim()
      ? localFailure(
          "not_configured",
          "No TikTok pixel code is configured; nothing was sent",
        )
      : !VALID_TOKEN.test(input.accessToken)
        ? localFailure(
            "auth",
            "The access token is empty or contains characters that cannot be sent; nothing was sent",
          )
        : null;
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
    const plan = planBatches(queued, { maxBytes: maxBatchBytes, partnerName });
    for (const item of plan.oversized) {
      results[Number(item.key)].outcome = invalidOutcome(
        `Not sent: the event is ${item.bytes} bytes, more than the ${maxBatchBytes}-byte request limit`,
      );
    }

    // 3. Send, splitting rejected batches to isolate the events TikTok refuses.
    const sendGroup = async (
      indices: number[],
      budget: { left: number },
    ): Promise<void> => {
      const body = buildTrackBody({
        pixelCode: input.pixelCode,
        testEventCode: input.testEventCode,
        events: indices.map((i) => input.events[i].event),
        partnerName,
      });
      const r = await track({ accessToken: input.accessToken, body });
      const record: AttemptRecord = {
        startedAt: r.startedAt,
        durationMs: r.durationMs,
        httpStatus: r.httpStatus,
        code: r.code,
        message: r.message,
        requestId: r.requestId,
        outcome: r.kind,
        batchSize: indices.length,
      };
      for (const i of indices) results[i].attempts.push(record);

      if (
        r.reason === "validation" &&
        indices.length > 1 &&
        budget.left >= 2 &&
        !TOP_LEVEL_PROBLEM.test(r.message)
      ) {
        budget.left -= 2;
        const mid = Math.ceil(indices.length / 2);
        await sendGroup(indices.slice(0, mid), budget);
        await sendGroup(indices.slice(mid), budget);
        return;
      }
      const outcome = outcomeOf(r);
      if (r.reason === "validation" && indices.length > 1) {
        outcome.message = `${r.message} (rejected with a batch of ${indices.length} events; the bad event could not be isolated)`;
      }
      for (const i of indices) results[i].outcome = { ...outcome };
    };

    const groups = plan.batches.map((b) =>
      b.items.map((item) => Number(item.key)),
    );
    let next = 0;
    const worker = async () => {
      while (next < groups.length) {
        const group = groups[next++];
        await sendGroup(group, { left: maxSplitRequests });
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(concurrency, groups.length) }, worker),
    );
    return results;
  }

  return {
    trackUrl: url.href,
    track,
    sendEvents,
    close: () => agent.destroy(),
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

function localFailure(
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

function invalidOutcome(message: string): DeliveryOutcome {
  return {
    kind: "permanent",
    reason: "invalid_event",
    httpStatus: null,
    code: null,
    message,
    requestId: null,
  };
}

function pendingOutcome(): DeliveryOutcome {
  // Replaced for every event before sendEvents returns; only visible if a send throws.
  return {
    kind: "retryable",
    reason: "network",
    httpStatus: null,
    code: null,
    message: "not attempted",
    requestId: null,
  };
}
