/**
 * One classified track request against a real HTTP server on 127.0.0.1 (no mocked fetch).
 */
import type http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { closedPortUrl, json, purchase, Stub } from "./__fixtures__/track-stub";
import { parseTrackUrl } from "./endpoint";
import { sendTrackRequest, type TrackRequest } from "./track.server";
import { buildTrackBody } from "./track-body";
import { createTransport, type Transport } from "./transport.server";
import type { TikTokEvent, TrackRequestBody } from "./wire-types";

const stub = new Stub();
let baseUrl = "";

beforeAll(async () => {
  baseUrl = await stub.start();
});
afterAll(async () => {
  await stub.stop();
});

/** sendTrackRequest over a fresh transport, shaped like the client the tests were written for. */
function createTikTokClient(options: { baseUrl: string; timeoutMs?: number }) {
  const transport: Transport = createTransport({
    url: parseTrackUrl(options.baseUrl),
    timeoutMs: options.timeoutMs ?? 10_000,
    maxSockets: 8,
  });
  return {
    track: (args: TrackRequest) => sendTrackRequest(transport, args),
    close: () => transport.close(),
  };
}
let client: ReturnType<typeof createTikTokClient> | undefined;

afterEach(() => {
  client?.close();
  stub.reset();
});

const body = (events: TikTokEvent[], testEventCode?: string) =>
  buildTrackBody({ pixelCode: "C4PIXEL123", testEventCode, events });

describe("sendTrackRequest", () => {
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

  it("a token that cannot be sent as a header is a permanent auth failure, with no request", async () => {
    client = createTikTokClient({ baseUrl });
    const r = await client.track({
      accessToken: "tok with\nnewline",
      body: body([purchase(1)]),
    });
    expect(r).toMatchObject({ kind: "permanent", reason: "auth" });
    expect(r.message).toBe(
      "The access token is empty or contains characters that cannot be sent",
    );
    expect(stub.requests).toHaveLength(0);
  });

  it("puts TikTok's words on a timeout and on a refused connection", async () => {
    const pending: http.ServerResponse[] = [];
    stub.reset((_r, res) => {
      pending.push(res); // never answered until the test ends
    });
    client = createTikTokClient({ baseUrl, timeoutMs: 150 });
    const slow = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(slow).toMatchObject({
      kind: "retryable",
      reason: "timeout",
      httpStatus: null,
      code: null,
      message: "No answer from TikTok within 150 ms",
    });
    expect(slow.durationMs).toBeGreaterThanOrEqual(140);
    for (const res of pending) res.destroy();
    client.close();

    client = createTikTokClient({ baseUrl: await closedPortUrl() });
    const refused = await client.track({
      accessToken: "t",
      body: body([purchase(1)]),
    });
    expect(refused).toMatchObject({
      kind: "retryable",
      reason: "network",
      httpStatus: null,
      code: null,
    });
    expect(refused.message).toMatch(/^ECONNREFUSED/);
  });

  it("a body that cannot be serialised is a permanent rejection, with no request", async () => {
    client = createTikTokClient({ baseUrl });
    const cyclic = body([purchase(1)]) as TrackRequestBody & { self?: unknown };
    cyclic.self = cyclic;
    const r = await client.track({ accessToken: "t", body: cyclic });
    expect(r).toMatchObject({
      kind: "permanent",
      reason: "rejected",
      httpStatus: null,
    });
    expect(r.message).toMatch(/^The request could not be sent: /);
    expect(stub.requests).toHaveLength(0);
  });
});
