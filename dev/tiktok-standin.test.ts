import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { connect, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_SANDBOX_TOKEN,
  MAX_BODY_BYTES,
  TRACK_PATH,
  startTikTokStandin,
  validateTrackBody,
  type JsonObject,
  type JsonValue,
  type TikTokStandin,
} from "./tiktok-standin.server";

const PIXEL = "CSANDBOXPIXEL0000001";
const OTHER_PIXEL = "COTHERPIXEL000000002";
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const NOW_S = 1_767_225_600; // 2026-01-01T00:00:00Z

function event(overrides: JsonObject = {}): JsonObject {
  return {
    event: "Purchase",
    event_time: NOW_S,
    event_id: "1001_Purchase",
    user: {
      ttclid: "E.C.P.abc123",
      ttp: "01HZX3ABCDEFGHJKMNPQRSTVWX",
      email: sha256("shopper@example.com"),
      phone: [sha256("+4915112345678")],
      external_id: sha256("7890"),
      ip: "203.0.113.7",
      user_agent: "Mozilla/5.0",
    },
    properties: {
      currency: "EUR",
      value: 59.9,
      content_type: "product",
      order_id: "1001",
      contents: [
        { content_id: "SKU-1", price: 29.95, quantity: 2, content_name: "Mug" },
      ],
    },
    page: {
      url: "https://shop.example.com/checkout",
      referrer: "https://www.tiktok.com/",
    },
    limited_data_use: false,
    ...overrides,
  };
}

function body(data: JsonValue[], extra: JsonObject = {}): JsonObject {
  return { event_source: "web", event_source_id: PIXEL, data, ...extra };
}

interface Reply {
  status: number;
  json: {
    code: number;
    message: string;
    request_id?: string;
    data?: JsonObject;
  };
}

async function post(
  s: TikTokStandin,
  payload: JsonValue | string,
  init: {
    token?: string | null;
    contentType?: string;
    signal?: AbortSignal;
    path?: string;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {
    "content-type": init.contentType ?? "application/json",
  };
  const token = init.token === undefined ? DEFAULT_SANDBOX_TOKEN : init.token;
  if (token !== null) headers["access-token"] = token;
  const res = await fetch(`${s.url}${init.path ?? TRACK_PATH}`, {
    method: "POST",
    headers,
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  return { status: res.status, json: (await res.json()) as Reply["json"] };
}

/** Polls a condition; the test's own timeout bounds it (no wall-clock assertion). */
async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

let standin: TikTokStandin;
beforeAll(async () => {
  standin = await startTikTokStandin();
});
afterEach(() => standin.reset());
afterAll(() => standin.close());

describe("accepting events", () => {
  it("accepts a valid v1.3 batch, answers like TikTok and keeps the events", async () => {
    const second = event({
      event: "AddToCart",
      event_id: "cart-1",
      event_time: NOW_S - 60,
    });
    const r = await post(
      standin,
      body([event(), second], { partner_name: "ours" }),
    );

    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ code: 0, message: "OK", data: {} });
    expect(r.json.request_id).toMatch(/^\d{14}[0-9A-F]+$/);
    expect(standin.accepted).toHaveLength(2);
    expect(standin.accepted[0]).toMatchObject({
      pixelCode: PIXEL,
      event: "Purchase",
      event_id: "1001_Purchase",
      event_time: NOW_S,
      user: { ttclid: "E.C.P.abc123", email: sha256("shopper@example.com") },
      properties: { currency: "EUR", value: 59.9, order_id: "1001" },
      page: { url: "https://shop.example.com/checkout" },
      limited_data_use: false,
      requestId: r.json.request_id,
    });
    expect(standin.accepted[0]?.test_event_code).toBeUndefined();
    expect(standin.accepted[1]).toMatchObject({
      event: "AddToCart",
      event_id: "cart-1",
    });
    expect(standin.requests).toHaveLength(1);
    expect(standin.requests[0]).toMatchObject({
      method: "POST",
      path: TRACK_PATH,
      status: 200,
      code: 0,
      eventCount: 2,
      token: "sand…en",
    });
  });

  it("gives every answer its own request_id", async () => {
    const a = await post(standin, body([event({ event_id: "a" })]));
    const b = await post(standin, body([event({ event_id: "b" })]));
    expect(a.json.request_id).not.toBe(b.json.request_id);
  });

  it("accepts value 0 and minimal events without user, properties or page", async () => {
    const r = await post(
      standin,
      body([
        {
          event: "ViewContent",
          event_time: NOW_S,
          event_id: "v1",
          properties: { value: 0, currency: "USD" },
        },
      ]),
    );
    expect(r.json.code).toBe(0);
    expect(standin.accepted[0]).toMatchObject({
      user: {},
      page: {},
      properties: { value: 0 },
    });
  });

  it("deduplicates on pixel + event + event_id and keeps the first", async () => {
    await post(
      standin,
      body([event({ properties: { value: 1, currency: "EUR" } })]),
    );
    const again = await post(
      standin,
      body([event({ properties: { value: 2, currency: "EUR" } })]),
    );
    expect(again.json.code).toBe(0); // TikTok answers OK to duplicates too
    expect(standin.accepted).toHaveLength(1);
    expect(standin.accepted[0]?.properties.value).toBe(1);
    expect(standin.duplicatesIgnored).toBe(1);

    // Same id under another event name or pixel is a different event; so is one without an id.
    await post(standin, body([event({ event: "CompletePayment" })]));
    await post(standin, body([event()], { event_source_id: OTHER_PIXEL }));
    const noId = event();
    delete noId.event_id;
    await post(standin, body([noId, noId]));
    expect(
      standin.accepted.map((e) => [e.pixelCode, e.event, e.event_id]),
    ).toEqual([
      [PIXEL, "Purchase", "1001_Purchase"],
      [PIXEL, "CompletePayment", "1001_Purchase"],
      [OTHER_PIXEL, "Purchase", "1001_Purchase"],
      [PIXEL, "Purchase", undefined],
      [PIXEL, "Purchase", undefined],
    ]);

    // Duplicates inside one batch count too.
    await post(
      standin,
      body([event({ event_id: "x" }), event({ event_id: "x" })]),
    );
    expect(standin.accepted.filter((e) => e.event_id === "x")).toHaveLength(1);
    expect(standin.duplicatesIgnored).toBe(2);
  });

  it("keeps test events, flagged, apart from live events", async () => {
    const r = await post(
      standin,
      body([event()], { test_event_code: "TEST123" }),
    );
    expect(r.json.code).toBe(0);
    await post(standin, body([event()]));
    expect(standin.accepted).toHaveLength(2);
    expect(standin.accepted[0]?.test_event_code).toBe("TEST123");
    expect(standin.accepted[1]?.test_event_code).toBeUndefined();
  });
});

describe("validation (40002, the whole batch fails)", () => {
  const withUser = (user: JsonObject) => event({ user });
  const withProps = (properties: JsonObject) => event({ properties });
  const cases: Array<[string, JsonObject, string]> = [
    [
      "numeric event_id",
      body([event({ event_id: 1001 })]),
      "data.1.event_id: Not a valid string.",
    ],
    [
      "numeric content_id",
      body([
        withProps({ contents: [{ content_id: 42, price: 1, quantity: 1 }] }),
      ]),
      "data.1.properties.contents.0.content_id: Not a valid string.",
    ],
    [
      "ms timestamp",
      body([event({ event_time: NOW_S * 1000 })]),
      "data.1.event_time: Looks like milliseconds",
    ],
    [
      "fractional event_time",
      body([event({ event_time: NOW_S + 0.5 })]),
      "data.1.event_time: Not a valid integer",
    ],
    [
      "ISO event_time",
      body([event({ event_time: "2026-01-01T00:00:00Z" })]),
      "data.1.event_time: Not a valid integer",
    ],
    [
      "missing event_time",
      body([{ event: "Purchase", event_id: "m" }]),
      "data.1.event_time: Missing data",
    ],
    [
      "string value",
      body([withProps({ value: "59.90", currency: "EUR" })]),
      "data.1.properties.value: Not a valid number.",
    ],
    [
      "string price",
      body([
        withProps({
          contents: [{ content_id: "a", price: "1.00", quantity: 1 }],
        }),
      ]),
      "data.1.properties.contents.0.price: Not a valid number.",
    ],
    [
      "string quantity",
      body([
        withProps({ contents: [{ content_id: "a", price: 1, quantity: "2" }] }),
      ]),
      "data.1.properties.contents.0.quantity: Not a valid number.",
    ],
    [
      "unhashed email",
      body([withUser({ email: "shopper@example.com" })]),
      "data.1.user.email: Not a valid SHA-256 hash",
    ],
    [
      "upper-case hex email",
      body([withUser({ email: sha256("a@b.c").toUpperCase() })]),
      "data.1.user.email: Not a valid SHA-256 hash",
    ],
    [
      "unhashed phone in a list",
      body([withUser({ phone: [sha256("x"), "+4915112345678"] })]),
      "data.1.user.phone.1:",
    ],
    [
      "hash of empty string",
      body([withUser({ external_id: sha256("") })]),
      "data.1.user.external_id: Is the SHA-256 of an empty string",
    ],
    [
      "hashed ttclid",
      body([withUser({ ttclid: sha256("E.C.P.x") })]),
      "data.1.user.ttclid: Looks SHA-256 hashed",
    ],
    [
      "numeric ttp",
      body([withUser({ ttp: 12345 })]),
      "data.1.user.ttp: Not a valid string.",
    ],
    [
      "bad ip",
      body([withUser({ ip: "not-an-ip" })]),
      "data.1.user.ip: Not a valid IPv4 or IPv6 address.",
    ],
    [
      "legacy phone_number",
      body([withUser({ phone_number: sha256("x") })]),
      "data.1.user.phone_number: Unknown field.",
    ],
    [
      "unsupported currency",
      body([withProps({ value: 1, currency: "XYZ" })]),
      'data.1.properties.currency: Unsupported currency "XYZ".',
    ],
    [
      "numeric order_id",
      body([withProps({ order_id: 1001 })]),
      "data.1.properties.order_id: Not a valid string.",
    ],
    [
      "bad content_type",
      body([withProps({ content_type: "sku" })]),
      "data.1.properties.content_type: Must be one of",
    ],
    [
      "relative page url",
      body([event({ page: { url: "/products/mug" } })]),
      "data.1.page.url: Not a valid URL.",
    ],
    [
      "string limited_data_use",
      body([event({ limited_data_use: "false" })]),
      "data.1.limited_data_use: Not a valid boolean.",
    ],
    [
      "empty event name",
      body([event({ event: "" })]),
      "data.1.event: Must not be empty",
    ],
    [
      "padded event name",
      body([event({ event: " Purchase" })]),
      "data.1.event: Must not start or end with whitespace.",
    ],
    [
      "numeric event name",
      body([event({ event: 7 })]),
      "data.1.event: Not a valid string.",
    ],
    [
      "test_event_code inside an event",
      body([event({ test_event_code: "TEST1" })]),
      "data.1.test_event_code: Unknown field.",
    ],
    [
      "legacy context inside an event",
      body([event({ context: { ad: { callback: "x" } } })]),
      "data.1.context: Unknown field.",
    ],
    [
      "event that is not an object",
      body(["Purchase"]),
      "data.1: Not a valid mapping type.",
    ],
  ];

  it.each(cases)("rejects %s", async (_name, bad, expected) => {
    // A valid event first: one invalid row must fail the whole batch.
    const data = bad.data as JsonValue[];
    const r = await post(standin, {
      ...bad,
      data: [event({ event_id: "good" }), ...data],
    });
    expect(r.status).toBe(200);
    expect(r.json.code).toBe(40002);
    expect(r.json.message).toContain(expected);
    expect(standin.accepted).toEqual([]);
    expect(standin.requests[0]).toMatchObject({
      status: 200,
      code: 40002,
      eventCount: 2,
    });
  });

  const envelopeCases: Array<[string, JsonValue, string]> = [
    [
      "the legacy 1.0 body",
      {
        pixel_code: PIXEL,
        event: "CompletePayment",
        timestamp: "2026-01-01T00:00:00Z",
        context: {},
      },
      "pixel_code: Unknown field.",
    ],
    [
      "a missing event_source",
      { event_source_id: PIXEL, data: [event()] },
      "event_source: Missing data",
    ],
    [
      "event_source offline",
      body([event()], { event_source: "offline" }),
      "Invalid value for event_source",
    ],
    [
      "an empty event_source_id",
      body([event()], { event_source_id: "" }),
      "event_source_id: Must not be empty",
    ],
    [
      "a numeric test_event_code",
      body([event()], { test_event_code: 123 }),
      "test_event_code: Not a valid string.",
    ],
    [
      "data that is not a list",
      body([], { data: { 0: event() } }),
      "data: Not a valid list.",
    ],
    ["an empty batch", body([]), "data: Length must be between 1 and 1000."],
    [
      "more than 1000 events",
      body(
        Array.from({ length: 1001 }, (_, i) => event({ event_id: `e${i}` })),
      ),
      "data: Length must be between 1 and 1000.",
    ],
    ["a JSON array body", [event()], "Request body must be a JSON object."],
  ];

  it.each(envelopeCases)("rejects %s", async (_name, bad, expected) => {
    const r = await post(standin, bad);
    expect(r.json.code).toBe(40002);
    expect(r.json.message).toContain(expected);
    expect(standin.accepted).toEqual([]);
  });

  it("accepts exactly 1000 events", async () => {
    const r = await post(
      standin,
      body(
        Array.from({ length: 1000 }, (_, i) => event({ event_id: `e${i}` })),
      ),
    );
    expect(r.json.code).toBe(0);
    expect(standin.accepted).toHaveLength(1000);
  });

  it("rejects a body that is not JSON, or not sent as JSON", async () => {
    const notJson = await post(standin, "{not json");
    expect(notJson.json).toMatchObject({
      code: 40002,
      message: "Request body is not valid JSON.",
    });
    const form = await post(standin, JSON.stringify(body([event()])), {
      contentType: "application/x-www-form-urlencoded",
    });
    expect(form.json.code).toBe(40002);
    expect(form.json.message).toContain("Content-Type");
    expect(standin.accepted).toEqual([]);
  });

  it("answers 413 for a body over the size limit and keeps nothing", async () => {
    const huge = body([
      event({ properties: { description: "x".repeat(MAX_BODY_BYTES) } }),
    ]);
    const r = await post(standin, huge);
    expect(r.status).toBe(413);
    expect(r.json.code).toBe(40002);
    expect(standin.accepted).toEqual([]);
  });

  it("is also available as a pure function", () => {
    expect(validateTrackBody(body([event()]))).toMatchObject({ ok: true });
    expect(validateTrackBody(body([event({ event_id: 5 })]))).toEqual({
      ok: false,
      message: "data.0.event_id: Not a valid string.",
    });
  });
});

describe("auth, routes and methods", () => {
  it("answers 40105 for a missing or unknown Access-Token", async () => {
    const missing = await post(standin, body([event()]), { token: null });
    const unknown = await post(standin, body([event()]), {
      token: "not-a-real-token",
    });
    for (const r of [missing, unknown]) {
      expect(r.status).toBe(200);
      expect(r.json.code).toBe(40105);
    }
    expect(standin.accepted).toEqual([]);
    expect(standin.requests.map((e) => e.token)).toEqual([null, "not-…en"]);
  });

  it("answers 40001 when the token may not use the pixel", async () => {
    const s = await startTikTokStandin({
      accessTokens: { "token-a": [PIXEL] },
    });
    try {
      const denied = await post(
        s,
        body([event()], { event_source_id: OTHER_PIXEL }),
        { token: "token-a" },
      );
      expect(denied.json.code).toBe(40001);
      expect(denied.json.message).toContain(OTHER_PIXEL);
      const ok = await post(s, body([event()]), { token: "token-a" });
      expect(ok.json.code).toBe(0);
      const defaultToken = await post(s, body([event()]));
      expect(defaultToken.json.code).toBe(40105); // custom tokens replace the default
      expect(s.accepted.map((e) => e.pixelCode)).toEqual([PIXEL]);
    } finally {
      await s.close();
    }
  });

  it("serves only POST on the track path", async () => {
    const wrongPath = await post(standin, body([event()]), {
      path: "/open_api/v1.3/pixel/track/",
    });
    expect(wrongPath.status).toBe(404);
    const get = await fetch(`${standin.url}${TRACK_PATH}`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect(((await get.json()) as { code: number }).code).not.toBe(0);
    expect(standin.accepted).toEqual([]);
  });
});

describe("misbehaviour on demand", () => {
  it("forced http500 answers HTTP 500 and keeps nothing", async () => {
    standin.setBehaviour({ forced: { kind: "http500" } });
    const r = await post(standin, body([event()]));
    expect(r.status).toBe(500);
    expect(r.json.code).not.toBe(0);
    expect(standin.accepted).toEqual([]);
  });

  it("forced rateLimit answers HTTP 200 with code 40100", async () => {
    standin.setBehaviour({ forced: { kind: "rateLimit" } });
    const r = await post(standin, body([event()]));
    expect(r.status).toBe(200);
    expect(r.json.code).toBe(40100);
    expect(standin.accepted).toEqual([]);
  });

  it("forced internalTimeout answers HTTP 200 with a non-zero code and TikTok's message", async () => {
    standin.setBehaviour({ forced: { kind: "internalTimeout" } });
    const r = await post(standin, body([event()]));
    expect(r.status).toBe(200);
    expect(r.json.code).toBe(50002);
    expect(r.json.message).toContain("Internal service timed out");
  });

  it("forced timeout hangs until the client aborts, keeps nothing and logs the abandoned request", async () => {
    standin.setBehaviour({ forced: { kind: "timeout" } });
    const controller = new AbortController();
    const pending = post(standin, body([event()]), {
      signal: controller.signal,
    });
    const aborted = expect(pending).rejects.toThrow(/abort/i);
    // Abort only once the request is in the stand-in's hands.
    await waitFor(() => standin.inFlight === 1);
    controller.abort();
    await aborted;
    await waitFor(() => standin.requests.length === 1);
    expect(standin.requests[0]).toMatchObject({
      status: 0,
      code: null,
      eventCount: 1,
    });
    expect(standin.inFlight).toBe(0);
    expect(standin.accepted).toEqual([]);

    // Service resumes once the forced mode is cleared.
    standin.setBehaviour({ forced: null });
    expect((await post(standin, body([event()]))).json.code).toBe(0);
  });

  it("a late answer still processes the batch, so the retry is deduplicated", async () => {
    standin.setBehaviour({ forced: { kind: "timeout", afterMs: 50 } });
    const first = await post(standin, body([event()]));
    expect(first.json.code).toBe(0);
    standin.setBehaviour({ forced: null });
    await post(standin, body([event()]));
    expect(standin.accepted).toHaveLength(1);
    expect(standin.duplicatesIgnored).toBe(1);
  });

  it("an outage answers 503 until its end, then service resumes by itself", async () => {
    let clock = 1_000_000;
    const s = await startTikTokStandin({ now: () => clock });
    try {
      s.setBehaviour({ forced: { kind: "outage", untilMs: clock + 60_000 } });
      const during = await post(s, body([event()]));
      expect(during.status).toBe(503);
      clock += 59_999;
      expect((await post(s, body([event()]))).status).toBe(503);
      clock += 1;
      const after = await post(s, body([event()]));
      expect(after).toMatchObject({ status: 200, json: { code: 0 } });
      expect(s.behaviour.forced).toBeNull();
      expect(s.accepted).toHaveLength(1);
      expect(s.accepted[0]?.receivedAt).toBe(clock);
    } finally {
      await s.close();
    }
  });

  it("errorRate 1 answers every request with HTTP 500", async () => {
    standin.setBehaviour({ errorRate: 1 });
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(standin, body([event({ event_id: `r${i}` })])),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(500));
    expect(standin.requests.map((r) => r.eventCount)).toEqual(
      Array(10).fill(1),
    );
    expect(standin.accepted).toEqual([]);
  });

  it("errorRate uses the injected random source", async () => {
    const rolls = [0.1, 0.9, 0.29, 0.31];
    const s = await startTikTokStandin({
      errorRate: 0.3,
      random: () => rolls.shift() ?? 1,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push(
          (await post(s, body([event({ event_id: `q${i}` })]))).status,
        );
      expect(statuses).toEqual([500, 200, 500, 200]);
      expect(s.accepted.map((e) => e.event_id)).toEqual(["q1", "q3"]);
    } finally {
      await s.close();
    }
  });

  it("adds the configured latency", async () => {
    standin.setBehaviour({ latencyMs: 120 });
    const started = performance.now();
    const r = await post(standin, body([event()]));
    const elapsed = performance.now() - started;
    expect(r.json.code).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(120);
    expect(standin.requests[0]?.durationMs).toBeGreaterThanOrEqual(119);
  });

  it("rejects impossible behaviour settings", () => {
    expect(() => standin.setBehaviour({ errorRate: 1.5 })).toThrow(RangeError);
    expect(() => standin.setBehaviour({ latencyMs: -1 })).toThrow(RangeError);
  });

  it("reset() forgets events, log and dedup state and restores the starting behaviour", async () => {
    await post(standin, body([event()]));
    await post(standin, body([event()]));
    standin.setBehaviour({ forced: { kind: "rateLimit" }, latencyMs: 5 });
    const acceptedRef = standin.accepted;
    standin.reset();
    expect(standin.accepted).toBe(acceptedRef);
    expect(standin.accepted).toEqual([]);
    expect(standin.requests).toEqual([]);
    expect(standin.duplicatesIgnored).toBe(0);
    expect(standin.behaviour).toEqual({
      latencyMs: 0,
      errorRate: 0,
      forced: null,
    });
    expect((await post(standin, body([event()]))).json.code).toBe(0);
    expect(standin.accepted).toHaveLength(1);
  });
});

describe("lifecycle", () => {
  it("refuses hosts that are not loopback", async () => {
    for (const host of [
      "0.0.0.0",
      "::",
      "192.168.1.20",
      "10.0.0.1",
      "example.com",
    ]) {
      await expect(startTikTokStandin({ host })).rejects.toThrow(/loopback/);
    }
  });

  it("listens on loopback by default and on localhost when asked", async () => {
    expect(standin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const s = await startTikTokStandin({ host: "localhost" });
    try {
      expect(s.url).toMatch(/^http:\/\/(127\.0\.0\.1|\[::1\]):\d+$/);
      expect((await post(s, body([event()]))).json.code).toBe(0);
    } finally {
      await s.close();
    }
  });

  it("close() frees the port, even with hanging, half-sent and keep-alive connections", async () => {
    const s = await startTikTokStandin();
    await post(s, body([event({ event_id: "warm" })])); // leaves a keep-alive socket open
    s.setBehaviour({ forced: { kind: "timeout" } });
    const hanging = post(s, body([event()]));
    const failed = expect(hanging).rejects.toThrow();
    // A client that sent headers but only part of its body.
    const slow = connect(s.port, "127.0.0.1");
    const slowClosed = new Promise<void>((resolve) =>
      slow.on("close", () => resolve()),
    );
    slow.on("error", () => {});
    slow.write(
      `POST ${TRACK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Access-Token: ${DEFAULT_SANDBOX_TOKEN}\r\nContent-Length: 1000\r\n\r\n{"event_source"`,
    );
    await waitFor(() => s.inFlight === 2);
    await s.close();
    await failed;
    await slowClosed;
    await s.close(); // idempotent

    await expect(
      fetch(`${s.url}${TRACK_PATH}`, { method: "POST" }),
    ).rejects.toThrow();
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(s.port, "127.0.0.1", resolve);
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expect(s.accepted.map((e) => e.event_id)).toEqual(["warm"]);
  });
});

describe("npm run tiktok:sandbox entry", () => {
  it("prints URL and token, serves requests, and stops cleanly on SIGINT", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "dev/tiktok-standin-cli.ts"],
      {
        cwd: root,
        env: { ...process.env, TIKTOK_SANDBOX_PORT: "0" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );

    await waitFor(() => out.includes("Ctrl-C") || child.exitCode !== null);
    expect(err).toBe("");
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    expect(out).toContain(`access token:  ${DEFAULT_SANDBOX_TOKEN}`);

    const res = await fetch(`${url}${TRACK_PATH}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "access-token": DEFAULT_SANDBOX_TOKEN,
      },
      body: JSON.stringify(body([event()])),
    });
    expect(((await res.json()) as { code: number }).code).toBe(0);
    await waitFor(() => out.includes("-> 200 code=0"));

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out).toContain("stand-in stopped (1 requests, 1 events kept");
  });
});
