/**
 * Pure batching: events grouped per pixel code + access token + test event code (one request
 * can only target one pixel with one token, and test events must not mix with live ones),
 * at most 1000 events and at most `maxBytes` of JSON per request.
 */
import { buildTrackBody, MAX_EVENTS_PER_REQUEST } from "./track-body";
import type { TikTokEvent } from "./wire-types";

/** Default byte cap per request body: TikTok documents 1000 events per request but no byte limit. */
export const DEFAULT_MAX_BATCH_BYTES = 1_000_000;

export interface BatchTarget {
  pixelCode: string;
  accessToken: string;
  testEventCode?: string | null;
}

export interface QueuedEvent extends BatchTarget {
  /** Caller's id for this event (e.g. a delivery row id); echoed back with the outcome. */
  key: string;
  event: TikTokEvent;
}

export interface BatchItem {
  key: string;
  event: TikTokEvent;
  /** UTF-8 length of JSON.stringify(event). */
  bytes: number;
}

export interface Batch extends BatchTarget {
  items: BatchItem[];
  /** Upper bound of the serialised body size (envelope + events + commas). */
  bytes: number;
}

export interface BatchPlan {
  batches: Batch[];
  /** Events that alone exceed the byte cap: never sent. */
  oversized: BatchItem[];
}

export interface BatchOptions {
  maxEvents?: number;
  maxBytes?: number;
  partnerName?: string | null;
}

function groupKey(t: BatchTarget): string {
  // JSON array keeps the three parts unambiguous whatever characters they hold.
  return JSON.stringify([t.pixelCode, t.accessToken, t.testEventCode ?? ""]);
}

/** Bytes of the request body around `data` (with an empty data array). */
export function envelopeBytes(
  target: BatchTarget,
  partnerName?: string | null,
): number {
  const body = buildTrackBody({
    pixelCode: target.pixelCode,
    testEventCode: target.testEventCode,
    events: [],
    partnerName,
  });
  return Buffer.byteLength(JSON.stringify(body), "utf8");
}

export function eventBytes(event: TikTokEvent): number {
  return Buffer.byteLength(JSON.stringify(event), "utf8");
}

/** Splits events into request-sized batches, preserving input order within each group. */
export function planBatches(
  events: ReadonlyArray<QueuedEvent>,
  options: BatchOptions = {},
): BatchPlan {
  const maxEvents = Math.min(
    options.maxEvents ?? MAX_EVENTS_PER_REQUEST,
    MAX_EVENTS_PER_REQUEST,
  );
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BATCH_BYTES;
  if (maxEvents < 1) throw new RangeError("maxEvents must be at least 1");

  const open = new Map<string, Batch>();
  const batches: Batch[] = [];
  const oversized: BatchItem[] = [];
  const envelopes = new Map<string, number>();

  for (const queued of events) {
    const key = groupKey(queued);
    let envelope = envelopes.get(key);
    if (envelope === undefined) {
      envelope = envelopeBytes(queued, options.partnerName);
      envelopes.set(key, envelope);
    }
    const item: BatchItem = {
      key: queued.key,
      event: queued.event,
      bytes: eventBytes(queued.event),
    };
    if (envelope + item.bytes > maxBytes) {
      oversized.push(item);
      continue;
    }
    let batch = open.get(key);
    const added = batch && batch.items.length > 0 ? item.bytes + 1 : item.bytes; // +1 for the comma
    if (
      !batch ||
      batch.items.length >= maxEvents ||
      batch.bytes + added > maxBytes
    ) {
      batch = {
        pixelCode: queued.pixelCode,
        accessToken: queued.accessToken,
        testEventCode: queued.testEventCode ?? null,
        items: [item],
        bytes: envelope + item.bytes,
      };
      open.set(key, batch);
      batches.push(batch);
    } else {
      batch.items.push(item);
      batch.bytes += added;
    }
  }
  return { batches, oversized };
}
