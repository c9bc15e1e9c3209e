/**
 * The transport against a real HTTP server on 127.0.0.1 (no mocked fetch): what it sends, what
 * it reads back, keep-alive reuse, the one resend on a dead reused socket, timeouts and
 * network errors. It reports; it does not classify (outcome.ts does).
 */
import type http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  closedPortUrl,
  okHandler,
  purchase,
  Stub,
} from "./__fixtures__/track-stub";
import { parseTrackUrl } from "./endpoint";
import { buildTrackBody } from "./track-body";
import {
  createTransport,
  MAX_RESPONSE_BYTES,
  type Transport,
} from "./transport.server";
import type { TikTokEvent } from "./wire-types";

const stub = new Stub();
let baseUrl = "";
let transport: Transport | undefined;

beforeAll(async () => {
  baseUrl = await stub.start();
});
afterAll(async () => {
  await stub.stop();
});
afterEach(() => {
  transport?.close();
  stub.reset();
});

function open(
  options: { baseUrl?: string; timeoutMs?: number } = {},
): Transport {
  transport = createTransport({
    url: parseTrackUrl(options.baseUrl ?? baseUrl),
    timeoutMs: options.timeoutMs ?? 10_000,
    maxSockets: 8,
  });
  return transport;
}

const payload = (events: TikTokEvent[]) =>
  Buffer.from(
    JSON.stringify(buildTrackBody({ pixelCode: "C4PIXEL123", events })),
    "utf8",
  );

describe("transport.post", () => {
  it("posts the bytes with the Access-Token header and reports status, body and the headers it reads", async () => {
    stub.reset((_req, res) => {
      res.writeHead(429, {
        "Content-Type": "application/json",
        "Retry-After": "7",
        "x-tt-logid": "log-1",
      });
      res.end('{"code":40100}');
    });
    const sent = payload([purchase(1)]);
    const result = await open().post(sent, "tok_secret");
    expect(result).toEqual({
      type: "response",
      status: 429,
      body: '{"code":40100}',
      retryAfter: "7",
      headerRequestId: "log-1",
    });
    const [req] = stub.requests;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/open_api/v1.3/event/track/");
    expect(req.headers["access-token"]).toBe("tok_secret");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["content-length"]).toBe(String(sent.length));
    expect(req.bytes).toBe(sent.length);
  });

  it("reuses one keep-alive connection for consecutive requests", async () => {
    const t = open();
    for (let i = 0; i < 5; i++) {
      expect(await t.post(payload([purchase(i)]), "t")).toMatchObject({
        type: "response",
        status: 200,
      });
    }
    expect(stub.requests).toHaveLength(5);
    expect(stub.connections).toBe(1);
  });

  it("resends once on a fresh connection when a reused keep-alive socket turns out dead", async () => {
    // The server kills the connection on its 2nd request, as an idle-timeout race would.
    stub.reset((_req, res, n) =>
      n >= 2 ? res.socket?.destroy() : okHandler(_req, res, n),
    );
    const t = open();
    expect(await t.post(payload([purchase(1)]), "t")).toMatchObject({
      type: "response",
      status: 200,
    });
    expect(await t.post(payload([purchase(2)]), "t")).toMatchObject({
      type: "response",
      status: 200,
    });
    expect(stub.connections).toBe(2);
    expect(stub.requests.map((r) => r.body.data[0].event_id)).toEqual([
      "5500000000001_Purchase",
      "5500000000002_Purchase",
      "5500000000002_Purchase",
    ]);
  });

  it("a response slower than the timeout is a timeout", async () => {
    const pending: http.ServerResponse[] = [];
    stub.reset((_r, res) => {
      pending.push(res); // never answered until the test ends
    });
    expect(
      await open({ timeoutMs: 150 }).post(payload([purchase(1)]), "t"),
    ).toEqual({
      type: "timeout",
      timeoutMs: 150,
    });
    expect(stub.requests).toHaveLength(1);
    for (const res of pending) res.destroy();
  });

  it("connection refused is a network error", async () => {
    const result = await open({ baseUrl: await closedPortUrl() }).post(
      payload([purchase(1)]),
      "t",
    );
    expect(result).toMatchObject({
      type: "network",
      errorCode: "ECONNREFUSED",
    });
  });

  it("a connection dropped mid-answer is a network error", async () => {
    stub.reset((_r, res) => {
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": "100",
      });
      res.write('{"code":0,');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    expect(await open().post(payload([purchase(1)]), "t")).toMatchObject({
      type: "network",
    });
  });

  it("stops reading an answer larger than MAX_RESPONSE_BYTES", async () => {
    stub.reset((_r, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("x".repeat(MAX_RESPONSE_BYTES + 1));
    });
    expect(await open().post(payload([purchase(1)]), "t")).toMatchObject({
      type: "network",
    });
  });
});
