/**
 * Batched sends against a real HTTP server on 127.0.0.1 (no mocked fetch), through the real
 * transport and track request; plus the pure decisions (setup problems, when to split).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { json, purchase, Stub } from "./__fixtures__/track-stub";
import {
  inPool,
  sendEventsInBatches,
  setupProblemOf,
  shouldSplit,
  type BatchSenderOptions,
  type SendEventsInput,
} from "./batch-sender.server";
import { DEFAULT_MAX_BATCH_BYTES } from "./batching";
import { parseTrackUrl } from "./endpoint";
import { sendTrackRequest } from "./track.server";
import { PARTNER_NAME } from "./track-body";
import { createTransport } from "./transport.server";

const stub = new Stub();
let baseUrl = "";

beforeAll(async () => {
  baseUrl = await stub.start();
});
afterAll(async () => {
  await stub.stop();
});

/** sendEventsInBatches over a fresh transport with the client's defaults, shaped like the client. */
function createTikTokClient(
  options: { baseUrl: string } & Partial<Omit<BatchSenderOptions, "track">>,
) {
  const { baseUrl: base, ...overrides } = options;
  const transport = createTransport({
    url: parseTrackUrl(base),
    timeoutMs: 10_000,
    maxSockets: 8,
  });
  const batchOptions: BatchSenderOptions = {
    track: (args) => sendTrackRequest(transport, args),
    maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
    partnerName: PARTNER_NAME,
    maxSplitRequests: 64,
    concurrency: 2,
    ...overrides,
  };
  return {
    sendEvents: (input: SendEventsInput) =>
      sendEventsInBatches(input, batchOptions),
    close: () => transport.close(),
  };
}
let client: ReturnType<typeof createTikTokClient> | undefined;

afterEach(() => {
  client?.close();
  stub.reset();
});

describe("sendEventsInBatches", () => {
  it("sends one request per 1000 events (2,500 events → 3 requests)", async () => {
    client = createTikTokClient({ baseUrl, concurrency: 2 });
    const events = Array.from({ length: 2500 }, (_, i) => ({
      key: `d${i}`,
      event: purchase(i),
    }));
    const results = await client.sendEvents({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      events,
    });
    expect(stub.requests.map((r) => r.body.data.length).sort()).toEqual(
      [1000, 1000, 500].sort(),
    );
    expect(results.map((r) => r.key)).toEqual(events.map((e) => e.key));
    expect(
      results.every(
        (r) => r.outcome.kind === "accepted" && r.attempts.length === 1,
      ),
    ).toBe(true);
    expect(results[0].attempts[0]).toMatchObject({
      batchSize: 1000,
      outcome: "accepted",
      httpStatus: 200,
      code: 0,
      requestId: "req-ok",
    });
    expect(results[2499].attempts[0].batchSize).toBe(500);
    // Every event sent exactly once; test_event_code absent for live sends.
    const ids = stub.requests.flatMap((r) =>
      r.body.data.map((e) => e.event_id),
    );
    expect(new Set(ids).size).toBe(2500);
    expect(stub.requests.every((r) => !("test_event_code" in r.body))).toBe(
      true,
    );
    expect(stub.connections).toBeLessThanOrEqual(2);
  });

  it("isolates one bad event out of 1000 by splitting the rejected batch", async () => {
    const BAD = 637;
    stub.reset((req, res) => {
      const bad = req.body.data.some((e) =>
        e.properties?.contents?.[0].content_name?.endsWith("#BAD"),
      );
      if (bad)
        json(res, 200, {
          code: 40002,
          message:
            "data.0.properties.contents.0.content_id: Not a valid string",
          request_id: "req-bad",
        });
      else
        json(res, 200, {
          code: 0,
          message: "OK",
          request_id: `req-${stub.requests.length}`,
        });
    });
    client = createTikTokClient({ baseUrl });
    const events = Array.from({ length: 1000 }, (_, i) => ({
      key: `d${i}`,
      event: purchase(i, i === BAD ? "#BAD" : ""),
    }));
    const results = await client.sendEvents({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      events,
    });

    const accepted = results.filter((r) => r.outcome.kind === "accepted");
    expect(accepted).toHaveLength(999);
    expect(results[BAD].outcome).toMatchObject({
      kind: "permanent",
      reason: "validation",
      code: 40002,
      requestId: "req-bad",
    });
    // 1000 → 500 → 250 → 125 → 63 → 32 → 16 → 8 → 4 → 2 → 1: the bad event took part in 11 requests.
    expect(results[BAD].attempts.map((a) => a.batchSize)).toEqual([
      1000, 500, 250, 125, 63, 32, 16, 8, 4, 2, 1,
    ]);
    expect(stub.requests).toHaveLength(21); // 1 + 2 per level × 10 levels
    // Each good event was accepted by the server exactly once (no double sends of accepted events).
    const acceptedIds = stub.requests
      .filter(
        (r) =>
          !r.body.data.some((e) =>
            e.properties?.contents?.[0].content_name?.endsWith("#BAD"),
          ),
      )
      .flatMap((r) => r.body.data.map((e) => e.event_id));
    expect(acceptedIds).toHaveLength(999);
    expect(new Set(acceptedIds).size).toBe(999);
  });

  it("stops splitting within its budget when every event is rejected", async () => {
    stub.reset((_r, res) =>
      json(res, 200, {
        code: 40002,
        message: "Invalid value",
        request_id: "r",
      }),
    );
    client = createTikTokClient({ baseUrl, maxSplitRequests: 10 });
    const events = Array.from({ length: 64 }, (_, i) => ({
      key: `d${i}`,
      event: purchase(i),
    }));
    const results = await client.sendEvents({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      events,
    });
    expect(stub.requests.length).toBeLessThanOrEqual(11);
    expect(
      results.every(
        (r) =>
          r.outcome.kind === "permanent" && r.outcome.reason === "validation",
      ),
    ).toBe(true);
  });

  it("does not split when TikTok names a request-level field", async () => {
    stub.reset((_r, res) =>
      json(res, 200, {
        code: 40002,
        message: "Invalid value for event_source_id",
        request_id: "r",
      }),
    );
    client = createTikTokClient({ baseUrl });
    const events = Array.from({ length: 10 }, (_, i) => ({
      key: `d${i}`,
      event: purchase(i),
    }));
    const results = await client.sendEvents({
      pixelCode: "WRONG",
      accessToken: "t",
      events,
    });
    expect(stub.requests).toHaveLength(1);
    expect(new Set(results.map((r) => r.outcome.message)).size).toBe(1);
  });

  it("never sends an invalid event; the rest of the batch goes through", async () => {
    client = createTikTokClient({ baseUrl });
    const bad = {
      ...purchase(2),
      properties: { ...purchase(2).properties, currency: "XAF" },
    };
    const events = [
      { key: "a", event: purchase(1) },
      { key: "b", event: bad },
      { key: "c", event: { ...purchase(3), event_id: 3 as unknown as string } },
      { key: "d", event: purchase(4) },
    ];
    const results = await client.sendEvents({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      testEventCode: "TEST9",
      events,
    });
    expect(results.map((r) => [r.key, r.outcome.kind])).toEqual([
      ["a", "accepted"],
      ["b", "permanent"],
      ["c", "permanent"],
      ["d", "accepted"],
    ]);
    expect(results[1].outcome).toMatchObject({
      reason: "invalid_event",
      message: 'Not sent: currency "XAF" is not supported by TikTok',
    });
    expect(results[2].outcome.message).toBe(
      "Not sent: event_id must be a string",
    );
    expect(results[1].attempts).toEqual([]);
    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0].body.test_event_code).toBe("TEST9");
    expect(stub.requests[0].body.data.map((e) => e.event_id)).toEqual([
      "5500000000001_Purchase",
      "5500000000004_Purchase",
    ]);
  });

  it("keeps each request under the byte cap and refuses an event larger than the cap", async () => {
    client = createTikTokClient({ baseUrl, maxBatchBytes: 3000 });
    const huge = purchase(99, "x".repeat(5000));
    const events = [
      ...Array.from({ length: 12 }, (_, i) => ({
        key: `d${i}`,
        event: purchase(i),
      })),
      { key: "huge", event: huge },
    ];
    const results = await client.sendEvents({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      events,
    });
    expect(results.at(-1)?.outcome.reason).toBe("invalid_event");
    expect(results.at(-1)?.outcome.message).toMatch(
      /^Not sent: the event is \d+ bytes, more than the 3000-byte request limit$/,
    );
    expect(
      results.slice(0, 12).every((r) => r.outcome.kind === "accepted"),
    ).toBe(true);
    expect(stub.requests.length).toBeGreaterThan(1);
    expect(stub.requests.every((r) => r.bytes <= 3000)).toBe(true);
    expect(stub.requests.reduce((n, r) => n + r.body.data.length, 0)).toBe(12);
  });

  it("marks all events of a batch retryable when TikTok is down", async () => {
    stub.reset((_r, res) => {
      res.writeHead(503, { "Retry-After": "120" });
      res.end();
    });
    client = createTikTokClient({ baseUrl });
    const results = await client.sendEvents({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      events: [
        { key: "a", event: purchase(1) },
        { key: "b", event: purchase(2) },
      ],
    });
    expect(results.map((r) => r.outcome)).toEqual([
      {
        kind: "retryable",
        reason: "server_error",
        httpStatus: 503,
        code: null,
        message: "HTTP 503",
        requestId: null,
        retryAfterMs: 120_000,
      },
      {
        kind: "retryable",
        reason: "server_error",
        httpStatus: 503,
        code: null,
        message: "HTTP 503",
        requestId: null,
        retryAfterMs: 120_000,
      },
    ]);
  });

  it("refuses an unsendable token or a missing pixel for every event, with no request", async () => {
    client = createTikTokClient({ baseUrl });
    const results = await client.sendEvents({
      pixelCode: "C4PIXEL123",
      accessToken: "",
      events: [{ key: "a", event: purchase(1) }],
    });
    expect(results[0].outcome).toMatchObject({
      kind: "permanent",
      reason: "auth",
    });
    const noPixel = await client.sendEvents({
      pixelCode: " ",
      accessToken: "t",
      events: [{ key: "a", event: purchase(1) }],
    });
    expect(noPixel[0].outcome).toMatchObject({
      kind: "permanent",
      reason: "not_configured",
    });
    expect(stub.requests).toHaveLength(0);
  });
});

describe("setupProblemOf", () => {
  it("names a missing pixel before a bad token, and passes a usable setup", () => {
    expect(setupProblemOf({ pixelCode: " ", accessToken: "" })?.reason).toBe(
      "not_configured",
    );
    expect(setupProblemOf({ pixelCode: "C4", accessToken: "tok en" })).toEqual({
      kind: "permanent",
      reason: "auth",
      httpStatus: null,
      code: null,
      message:
        "The access token is empty or contains characters that cannot be sent; nothing was sent",
      requestId: null,
    });
    expect(setupProblemOf({ pixelCode: "C4", accessToken: "tok" })).toBeNull();
  });
});

describe("shouldSplit", () => {
  const rejected = {
    reason: "validation" as const,
    message: "data.3.event_id: Not a valid string",
  };

  it("splits a rejected multi-event request while two more requests fit the budget", () => {
    expect(shouldSplit(rejected, 2, 2)).toBe(true);
    expect(shouldSplit(rejected, 1, 64)).toBe(false);
    expect(shouldSplit(rejected, 10, 1)).toBe(false);
  });

  it("never splits other failures or request-level validation problems", () => {
    expect(
      shouldSplit({ reason: "server_error", message: "HTTP 500" }, 10, 64),
    ).toBe(false);
    for (const field of [
      "event_source_id",
      "event_source",
      "partner_name",
      "test_event_code",
    ]) {
      expect(
        shouldSplit(
          { reason: "validation", message: `Invalid value for ${field}` },
          10,
          64,
        ),
      ).toBe(false);
    }
    expect(
      shouldSplit(
        {
          reason: "validation",
          message: "Invalid value for event_source_type",
        },
        10,
        64,
      ),
    ).toBe(true);
  });
});

describe("inPool", () => {
  it("runs every item once, in order of start, with at most `concurrency` in flight", async () => {
    const started: number[] = [];
    let inFlight = 0;
    let peak = 0;
    await inPool([1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    });
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
    await inPool([], 2, async () => {
      throw new Error("not called");
    });
  });
});
