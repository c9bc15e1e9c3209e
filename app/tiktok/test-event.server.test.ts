import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
} from "vitest";
import { createTikTokClient, type TikTokClient } from "./client.server";
import { validateEvent } from "./event-validation";
import type { TrackRequestBody } from "./wire-types";
import { buildTestEvent, sendTestEvent } from "./test-event.server";

let answer: { status: number; body: string } = { status: 200, body: "" };
const received: {
  headers: http.IncomingHttpHeaders;
  body: TrackRequestBody;
}[] = [];
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    received.push({
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
    });
    res.writeHead(answer.status, { "Content-Type": "application/json" });
    res.end(answer.body);
  });
});
let baseUrl = "";
let client: TikTokClient;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = createTikTokClient({ baseUrl });
});
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received.length = 0;
});

describe("sendTestEvent", () => {
  it("sends one realistic event, unbatched, with test_event_code at the top level", async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        code: 0,
        message: "OK",
        request_id: "20250601123456ABC",
        data: {},
      }),
    };
    {
      const r = await sendTestEvent({
        pixelCode: " C4PIXEL123 ",
        accessToken: "tok",
        testEventCode: "TEST12345",
        client,
        currency: "EUR",
      });
      expect(r.ok).toBe(true);
      expect(r.outcome).toMatchObject({
        kind: "accepted",
        code: 0,
        requestId: "20250601123456ABC",
      });
      expect(r.summary).toBe(
        'TikTok accepted the test event (code 0, message "OK", request_id 20250601123456ABC). It should appear in TikTok Events Manager under Test Events within a few minutes.',
      );
      expect(received).toHaveLength(1);
      const { body, headers } = received[0];
      expect(headers["access-token"]).toBe("tok");
      expect(body.event_source).toBe("web");
      expect(body.event_source_id).toBe("C4PIXEL123");
      expect(body.test_event_code).toBe("TEST12345");
      expect(body.data).toHaveLength(1);
      expect(body.data[0].event).toBe("Purchase");
      expect(body.data[0].properties?.currency).toBe("EUR");
      expect("test_event_code" in body.data[0]).toBe(false);
      expect(validateEvent(body.data[0])).toEqual([]);
    }
  });

  it("says in plain words when the token is rejected, with TikTok's answer", async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        code: 40105,
        message: "Access token is incorrect or has been revoked.",
        request_id: "REQ40105",
      }),
    };
    const r = await sendTestEvent({
      pixelCode: "C4PIXEL123",
      accessToken: "old",
      testEventCode: "TEST1",
      client,
    });
    expect(r.ok).toBe(false);
    expect(r.summary).toMatch(/^The access token was rejected by TikTok\./);
    expect(r.summary).toContain(
      'code 40105, message "Access token is incorrect or has been revoked.", request_id REQ40105',
    );
  });

  it("says TikTok is rate limiting on 40100", async () => {
    answer = {
      status: 200,
      body: JSON.stringify({
        code: 40100,
        message: "Too many requests",
        request_id: "R",
      }),
    };
    const r = await sendTestEvent({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      testEventCode: "TEST1",
      client,
    });
    expect(r.ok).toBe(false);
    expect(r.outcome.kind).toBe("retryable");
    expect(r.summary).toMatch(
      /^TikTok is rate limiting, try again in a minute\./,
    );
  });

  it("sends nothing and explains when the test event code is missing", async () => {
    const r = await sendTestEvent({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      testEventCode: "  ",
      client,
    });
    expect(r.ok).toBe(false);
    expect(r.outcome.reason).toBe("not_configured");
    expect(r.summary).toMatch(/^Enter a test event code first\./);
    expect(r.summary).toContain("Nothing was sent");
    expect(received).toHaveLength(0);
  });

  it("refuses an unsupported shop currency before sending", async () => {
    const r = await sendTestEvent({
      pixelCode: "C4PIXEL123",
      accessToken: "t",
      testEventCode: "TEST1",
      currency: "XAF",
      client,
    });
    expect(r.ok).toBe(false);
    expect(r.summary).toBe(
      'The event was not sent because it failed our checks: currency "XAF" is not supported by TikTok',
    );
    expect(received).toHaveLength(0);
  });

  it("without a client, uses TIKTOK_API_BASE_URL and a short-lived client", async () => {
    vi.stubEnv("TIKTOK_API_BASE_URL", `${baseUrl}/`);
    try {
      answer = {
        status: 200,
        body: JSON.stringify({ code: 0, message: "OK", request_id: "R2" }),
      };
      const r = await sendTestEvent({
        pixelCode: "C4PIXEL123",
        accessToken: "t",
        testEventCode: "TEST1",
      });
      expect(r.ok).toBe(true);
      expect(received).toHaveLength(1);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("uses the merchant's configured order event name", () => {
    expect(buildTestEvent({ eventName: "CompletePayment" }).event).toBe(
      "CompletePayment",
    );
  });
});
