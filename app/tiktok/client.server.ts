/**
 * HTTP client for POST {base}/open_api/v1.3/event/track/: a thin façade that wires the endpoint
 * (endpoint.ts), one keep-alive transport per client (transport.server.ts), single classified
 * requests (track.server.ts) and validated, batched sends that isolate bad events
 * (batch-sender.server.ts).
 */
import { DEFAULT_MAX_BATCH_BYTES } from "./batching";
import {
  sendEventsInBatches,
  type SendEventResult,
  type SendEventsInput,
} from "./batch-sender.server";
import type { TrackResult } from "./attempts";
import { DEFAULT_TIKTOK_API_BASE_URL, parseTrackUrl } from "./endpoint";
import { sendTrackRequest, type TrackRequest } from "./track.server";
import { PARTNER_NAME } from "./track-body";
import { createTransport } from "./transport.server";

export { outcomeOf, type AttemptRecord, type TrackResult } from "./attempts";
export type { SendEventResult, SendEventsInput } from "./batch-sender.server";
export { TRACK_PATH, trackUrlFor } from "./endpoint";

export interface TikTokClientOptions {
  /** Defaults to TIKTOK_API_BASE_URL, then DEFAULT_TIKTOK_API_BASE_URL. May carry a path prefix. */
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

export interface TikTokClient {
  readonly trackUrl: string;
  /** Exactly one request (plus one immediate resend if a reused keep-alive socket was found dead). */
  track(args: TrackRequest): Promise<TrackResult>;
  sendEvents(input: SendEventsInput): Promise<SendEventResult[]>;
  close(): void;
}

export function createTikTokClient(
  options: TikTokClientOptions = {},
): TikTokClient {
  const url = parseTrackUrl(options.baseUrl ?? DEFAULT_TIKTOK_API_BASE_URL);
  const transport = createTransport({
    url,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxSockets: options.maxSockets ?? 8,
  });
  const track = (args: TrackRequest) => sendTrackRequest(transport, args);
  const batchOptions = {
    track,
    maxBatchBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES,
    partnerName:
      options.partnerName === undefined ? PARTNER_NAME : options.partnerName,
    maxSplitRequests: options.maxSplitRequests ?? 64,
    concurrency: Math.max(1, options.concurrency ?? 2),
  };
  return {
    trackUrl: url.href,
    track,
    sendEvents: (input) => sendEventsInBatches(input, batchOptions),
    close: () => transport.close(),
  };
}
