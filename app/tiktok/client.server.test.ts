/**
 * The client against a real HTTP server on 127.0.0.1 standing in for TikTok (no mocked fetch).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTikTokClient, type TikTokClient } from "./client.server";
import {
  buildEvent,
  buildTrackBody,
  type TikTokEvent,
  type TrackRequestBody,
} from "./payload";
import { hashUserIdentifiers } from "./hashing";

interface Recorded {
  bytes: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: TrackRequestBody;
}

type Handler = (
  req: Recorded,
  res: http.ServerResponse,
  socketRequestNo: number,
) => void;

function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const okHandler: Handler = (_req, res) =>
  json(res, 200, { code: 0, message: "OK", request_id: "req-ok", data: {} });

/** A tiny TikTok stand-in: records requests, counts TCP connections, answers with `handler`. */
class Stub {
  server = http.createServer();
  requests: Recorded[] = [];
  connections = 0;
  handler: Handler = okHandler;
  private perSocket = new WeakMap<object, number>();

  constructor() {
    this.server.on("connection", () => this.connections++);
    this.server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const n = (this.perSocket.get(req.socket) ?? 0) + 1;
        this.perSocket.set(req.socket, n);
        const raw = Buffer.concat(chunks).toString("utf8");
        const rec: Recorded = {
          bytes: Buffer.concat(chunks).length,
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: JSON.parse(raw),
        };
        this.requests.push(rec);
        this.handler(rec, res, n);
      });
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) =>
      this.server.listen(0, "127.0.0.1", resolve),
    );
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  reset(handler: Handler = okHandler) {
    this.requests = [];
    this.connections = 0;
    this.handler = handler;
    this.server.closeAllConnections();
  }
  async stop() {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function purchase(i: number, marker = ""): TikTokEvent {
  return buildEvent({
    eventName: "Purchase",
    eventId: `${5500000000000 + i}_Purchase`,
    eventTime: 1748781296,
    user: {
      ...hashUserIdentifiers({ emails: [`buyer${i}@example.com`] }),
      ip: "203.0.113.7",
      userAgent: "Mozilla/5.0",
    },
    properties: {
      currency: "USD",
      value: 10 + i,
      contentType: "product",
      contents: [
        {
          contentId: 4400 + i,
          contentName: `Item ${i}${marker}`,
          price: 10 + i,
          quantity: 1,
        },
      ],
      orderId: 5500000000000 + i,
    },
  });
}

const stub = new Stub();
let baseUrl = "";
let client: TikTokClient;

beforeAll(async () => {
  baseUrl = await stub.start();
});
afterAll(async () => {
  await stub.stop();
});
afterEach(() => {
  client?.close();
  stub.reset();
});

const body = (events: TikTokEvent[], testEventCode?: string) =>
  buildTrackBody({ pixelCode: "C4PIXEL123", testEventCode, events });

describe("track", () => {
  it("posts the v1.3 body with the Access-Token header and reads an accepted answer", async () => {
    client = createTikTokClient({ baseUrl, timeoutMs: 5000 });
    const sent = body([purchase(1)]);
    const r = await client.track({ accessToken: "tok_secret", body: sent });
    expect(r).toMatchObject({
      kind: "accepted",
      reason: "accepted",
      httpStatus: 200,
      code: 0,
      message: "OK",
      requestId: "req-ok",
    });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
    expect(stub.requests).toHaveLength(1);
    const [req] = stub.requests;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/open_api/v1.3/event/track/");
    expect(req.headers["access-token"]).toBe("tok_secret");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual(sent);
  });

  it("reuses one keep-alive connection for consecutive requests", async () => {
    client = createTikTokClient({ baseUrl });
    for (let i = 0; i < 5; i++) {
      expect(
        (await client.track({ accessToken: "t", body: body([purchase(i)]) }))
          .kind,
      ).toBe("accepted");
    }
    expect(stub.requests).toHaveLength(5);
    expect(stub.connections).toBe(1);
  });

  it("resends once on a fresh connection when a reused keep-alive socket turns out dead", async () => {
    // The server kills the connection on its 2nd request, as an idle-timeout race would.
    stub.reset((_req, res, n) =>
      n >= 2 ? res.socket?.destroy() : okHandler(_req, res, n),
    );
    client = createTikTokClient({ baseUrl });
    expect(
      (await client.track({ accessToken: "t", body: body([purchase(1)]) }))
        .kind,
    ).toBe("accepted");
    const second = await client.track({
      accessToken: "t",
      body: body([purchase(2)]),
    });
    expect(second.kind).toBe("accepted");
    expect(stub.connections).toBe(2);
    expect(stub.requests.map((r) => r.body.data[0].event_id)).toEqual([
      "5500000000001_Purchase",
      "5500000000002_Purchase",
      "5500000000002_Purchase",
    ]);
  });

  it("HTTP 200 with code 40002 is a permanent validation failure", async () => {
    stub.reset((_r, res) =>
      json(res, 200, {
        code: 40002,
        message: "Invalid value for event_id: not a valid string.",
        request_id: "req-40002",
        data: {},
      }),
    );
    client = createTikTokClient({ baseUrl });
    const r = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({
      kind: "permanent",
      reason: "validation",
      httpStatus: 200,
      code: 40002,
      message: "Invalid value for event_id: not a valid string.",
      requestId: "req-40002",
    });
  });

  it("HTTP 200 with code 40100 is retryable (rate limited)", async () => {
    stub.reset((_r, res) =>
      json(
        res,
        200,
        { code: 40100, message: "Too many requests", request_id: "req-40100" },
        { "Retry-After": "7" },
      ),
    );
    client = createTikTokClient({ baseUrl });
    const r = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({
      kind: "retryable",
      reason: "rate_limited",
      httpStatus: 200,
      code: 40100,
      requestId: "req-40100",
      retryAfterMs: 7000,
    });
  });

  it("HTTP 500 is retryable", async () => {
    stub.reset((_r, res) => {
      res.writeHead(500, {
        "Content-Type": "text/plain",
        "x-tt-logid": "log-500",
      });
      res.end("Internal Server Error");
    });
    client = createTikTokClient({ baseUrl });
    const r = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({
      kind: "retryable",
      reason: "server_error",
      httpStatus: 500,
      code: null,
      requestId: "log-500",
    });
    expect(r.message).toBe("HTTP 500: Internal Server Error");
  });

  it("a response slower than the timeout is a retryable timeout", async () => {
    const pending: http.ServerResponse[] = [];
    stub.reset((_r, res) => {
      pending.push(res); // never answered until the test ends
    });
    client = createTikTokClient({ baseUrl, timeoutMs: 150 });
    const r = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({
      kind: "retryable",
      reason: "timeout",
      httpStatus: null,
      code: null,
      message: "No answer from TikTok within 150 ms",
    });
    expect(stub.requests).toHaveLength(1);
    for (const res of pending) res.destroy();
  });

  it("connection refused is a retryable network error", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) =>
      closed.listen(0, "127.0.0.1", resolve),
    );
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    client = createTikTokClient({ baseUrl: `http://127.0.0.1:${port}` });
    const r = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({
      kind: "retryable",
      reason: "network",
      httpStatus: null,
      code: null,
    });
    expect(r.message).toMatch(/^ECONNREFUSED/);
  });

  it("invalid JSON with HTTP 200 is retryable, never counted as accepted", async () => {
    stub.reset((_r, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"code":0,"message":"OK"'); // truncated
    });
    client = createTikTokClient({ baseUrl });
    const r = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({
      kind: "retryable",
      reason: "invalid_response",
      httpStatus: 200,
      code: null,
    });
  });
});

describe("track: local failures", () => {
  it("a connection dropped mid-answer is a retryable network error", async () => {
    stub.reset((_r, res) => {
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": "100",
      });
      res.write('{"code":0,');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    client = createTikTokClient({ baseUrl });
    const r = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({
      kind: "retryable",
      reason: "network",
      httpStatus: null,
    });
  });

  it("a token that cannot be sent as a header is a permanent auth failure, with no request", async () => {
    client = createTikTokClient({ baseUrl });
    const r = await client.track({
      accessToken: "tok with\nnewline",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({ kind: "permanent", reason: "auth" });
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

describe("sendEvents", () => {
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
});
