/**
 * The client façade against a real HTTP server on 127.0.0.1 standing in for TikTok (no mocked
 * fetch): options, wiring and one end-to-end request. The parts have their own tests
 * (transport.server, track.server, batch-sender.server).
 */
import type { Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { purchase, Stub } from "./__fixtures__/track-stub";
import {
  createTikTokClient,
  TRACK_PATH,
  type TikTokClient,
} from "./client.server";
import { DEFAULT_TIKTOK_API_BASE_URL } from "./endpoint";
import { buildTrackBody } from "./track-body";
import type { TikTokEvent } from "./wire-types";

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
});

describe("createTikTokClient", () => {
  // TIKTOK_API_BASE_URL is read by app/config (its tests cover it); callers pass it in.
  it("targets the base URL given, else TikTok's, never the environment", () => {
    const saved = process.env.TIKTOK_API_BASE_URL;
    try {
      delete process.env.TIKTOK_API_BASE_URL;
      client = createTikTokClient();
      expect(client.trackUrl).toBe(
        `${DEFAULT_TIKTOK_API_BASE_URL}${TRACK_PATH}`,
      );
      client.close();
      process.env.TIKTOK_API_BASE_URL = "http://127.0.0.1:9/prefix/";
      client = createTikTokClient();
      expect(client.trackUrl).toBe(
        `${DEFAULT_TIKTOK_API_BASE_URL}${TRACK_PATH}`,
      );
      client.close();
      client = createTikTokClient({ baseUrl: "http://127.0.0.1:9/prefix/" });
      expect(client.trackUrl).toBe(
        "http://127.0.0.1:9/prefix/open_api/v1.3/event/track/",
      );
      client.close();
      client = createTikTokClient({ baseUrl: "https://example.test//" });
      expect(client.trackUrl).toBe(
        "https://example.test/open_api/v1.3/event/track/",
      );
    } finally {
      if (saved === undefined) delete process.env.TIKTOK_API_BASE_URL;
      else process.env.TIKTOK_API_BASE_URL = saved;
    }
  });

  it("refuses a base URL that is not http(s)", () => {
    expect(() => createTikTokClient({ baseUrl: "ftp://example.test" })).toThrow(
      "Unsupported TikTok API URL: ftp://example.test/open_api/v1.3/event/track/",
    );
  });

  it("sendEvents uses the client's options and connection pool; close() ends its connections", async () => {
    const sockets: Socket[] = [];
    stub.server.on("connection", (socket: Socket) => sockets.push(socket));
    try {
      client = createTikTokClient({
        baseUrl,
        partnerName: null,
        concurrency: 1,
      });
      const results = await client.sendEvents({
        pixelCode: "C4PIXEL123",
        accessToken: "t",
        events: [{ key: "a", event: purchase(1) }],
      });
      expect(results[0].outcome.kind).toBe("accepted");
      expect(
        await client.track({ accessToken: "t", body: body([purchase(2)]) }),
      ).toMatchObject({ kind: "accepted" });
      expect(stub.connections).toBe(1);
      expect("partner_name" in stub.requests[0].body).toBe(false);

      // Without close() the idle keep-alive socket would stay open for the server's 5 s timeout.
      const ended = new Promise<string>((resolve) =>
        sockets[0].once("close", () => resolve("closed")),
      );
      client.close();
      const timeout = new Promise<string>((resolve) =>
        setTimeout(() => resolve("still open"), 1000),
      );
      expect(await Promise.race([ended, timeout])).toBe("closed");
    } finally {
      stub.server.removeAllListeners("connection");
      stub.server.on("connection", () => stub.connections++);
    }
  });
});
