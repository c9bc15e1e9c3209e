import { describe, expect, it } from "vitest";
import type { AttemptRecord, SendEventResult } from "~/tiktok/client.server";
import {
  classifyResponse,
  describeOutcome,
  type DeliveryOutcome,
  type TransportResult,
} from "~/tiktok/outcome";
import { DEDUP_WINDOW_MS } from "./retry-policy";
import {
  planFailAll,
  planSettlement,
  type SettleDecision,
} from "./settle-plan";
import type { ClaimedEntry } from "./types";

const NOW = new Date("2026-03-01T12:00:00Z");
const SENT_AT = new Date(NOW.getTime() - 800);
const HOUR = 3_600_000;
const POLICY = { baseMs: 30_000, capMs: HOUR, minMs: 1_000 };

function entry(
  id: string,
  extra: Partial<ClaimedEntry> = {},
  eventTime = new Date(NOW.getTime() - 60_000),
): ClaimedEntry {
  return {
    id: `o-${id}`,
    shop: "s.myshopify.com",
    attempts: 0,
    firstAttemptAt: null,
    delivery: { id: `d-${id}`, pixelCode: "PIXEL", payload: "{}", eventTime },
    ...extra,
  };
}

const tiktok = (
  code: number,
  extra: Partial<Extract<TransportResult, { type: "response" }>> = {},
): TransportResult => ({
  type: "response",
  status: 200,
  body: JSON.stringify({
    code,
    message: code === 0 ? "OK" : `error ${code}`,
    request_id: `req-${code}`,
  }),
  ...extra,
});

function attemptOf(
  outcome: DeliveryOutcome,
  startedAt = SENT_AT,
  batchSize = 1,
): AttemptRecord {
  return {
    startedAt,
    durationMs: 120,
    httpStatus: outcome.httpStatus,
    code: outcome.code,
    message: outcome.message,
    requestId: outcome.requestId,
    outcome: outcome.kind,
    batchSize,
  };
}

function resultFor(
  e: ClaimedEntry,
  transport: TransportResult,
): SendEventResult {
  const outcome = classifyResponse(transport);
  return { key: e.id, outcome, attempts: [attemptOf(outcome)] };
}

type Expected =
  | { kind: "delivered" }
  | { kind: "reschedule"; atLeastMs: number; atMostMs: number }
  | { kind: "failed"; reason: RegExp }
  | { kind: "untouched" };

interface Case {
  name: string;
  transport: TransportResult | null;
  entry?: Partial<ClaimedEntry>;
  eventTime?: Date;
  expected: Expected;
}

// random() = 0.5: the backoff of the first retry is half of the 30 s base ceiling.
const cases: Case[] = [
  {
    name: "code 0: accepted",
    transport: tiktok(0),
    expected: { kind: "delivered" },
  },
  {
    name: "40001 no permission: permanent",
    transport: tiktok(40001),
    expected: { kind: "failed", reason: /./ },
  },
  {
    name: "40002 validation: permanent",
    transport: tiktok(40002),
    expected: { kind: "failed", reason: /./ },
  },
  {
    name: "40105 bad access token: permanent",
    transport: tiktok(40105),
    expected: { kind: "failed", reason: /./ },
  },
  {
    name: "40100 rate limited: retried with backoff",
    transport: tiktok(40100),
    expected: { kind: "reschedule", atLeastMs: 15_000, atMostMs: 15_000 },
  },
  {
    name: "40100 with Retry-After 120 s: not before TikTok asked",
    transport: tiktok(40100, { retryAfter: "120" }),
    expected: { kind: "reschedule", atLeastMs: 120_000, atMostMs: 120_000 },
  },
  {
    name: "HTTP 503: retried",
    transport: { type: "response", status: 503, body: "Service Unavailable" },
    expected: { kind: "reschedule", atLeastMs: 15_000, atMostMs: 15_000 },
  },
  {
    name: "HTTP 500 with a TikTok body: retried",
    transport: {
      type: "response",
      status: 500,
      body: JSON.stringify({ code: 50000, message: "internal" }),
    },
    expected: { kind: "reschedule", atLeastMs: 15_000, atMostMs: 15_000 },
  },
  {
    name: "timeout: retried",
    transport: { type: "timeout", timeoutMs: 10_000 },
    expected: { kind: "reschedule", atLeastMs: 15_000, atMostMs: 15_000 },
  },
  {
    name: "network error: retried",
    transport: {
      type: "network",
      errorCode: "ECONNRESET",
      message: "socket hang up",
    },
    expected: { kind: "reschedule", atLeastMs: 15_000, atMostMs: 15_000 },
  },
  {
    name: "later retries back off further (attempt 4: ceiling 240 s)",
    transport: tiktok(40100),
    entry: { attempts: 3, firstAttemptAt: new Date(NOW.getTime() - HOUR) },
    expected: { kind: "reschedule", atLeastMs: 120_000, atMostMs: 120_000 },
  },
  {
    name: "a retry past TikTok's 48 h dedup window gives up",
    transport: tiktok(40100),
    entry: {
      attempts: 5,
      firstAttemptAt: new Date(NOW.getTime() - (DEDUP_WINDOW_MS - HOUR)),
    },
    expected: { kind: "failed", reason: /48 h deduplication window/ },
  },
  {
    name: "the window also counts from the event time when it is earlier",
    transport: { type: "timeout", timeoutMs: 10_000 },
    eventTime: new Date(NOW.getTime() - (DEDUP_WINDOW_MS - 30 * 60_000)),
    expected: { kind: "failed", reason: /48 h deduplication window/ },
  },
  {
    name: "retries stop after the attempt limit",
    transport: { type: "response", status: 502, body: "" },
    entry: { attempts: 24, firstAttemptAt: new Date(NOW.getTime() - HOUR) },
    expected: { kind: "failed", reason: /Gave up after 25 attempts/ },
  },
  {
    name: "no result for the entry: untouched, its lease expires",
    transport: null,
    expected: { kind: "untouched" },
  },
];

describe("planSettlement, per TikTok outcome", () => {
  it.each(cases)(
    "$name",
    ({ transport, entry: extra, eventTime, expected }) => {
      const e = entry("1", extra, eventTime);
      const results = new Map(
        transport ? [[e.id, resultFor(e, transport)]] : [],
      );
      const plan = planSettlement({
        entries: [e],
        results,
        policy: POLICY,
        now: NOW,
        random: () => 0.5,
      });
      expect(plan.decisions).toHaveLength(1);
      const decision = plan.decisions[0];
      expect(decision.kind).toBe(expected.kind);
      expect(decision).toMatchObject({
        outboxId: e.id,
        deliveryId: e.delivery.id,
      });

      if (expected.kind === "untouched") {
        expect(plan.attempts).toEqual([]);
        return;
      }
      // Every answered send leaves exactly one attempt record, for this delivery.
      expect(plan.attempts).toHaveLength(1);
      expect(plan.attempts[0].deliveryIds).toEqual([e.delivery.id]);
      const outcome = results.get(e.id)!.outcome;
      expect(plan.attempts[0].attempt.outcome).toBe(outcome.kind);
      expect(decision).toMatchObject({ tries: 1, lastAttemptAt: SENT_AT });

      if (expected.kind === "reschedule") {
        const d = decision as Extract<SettleDecision, { kind: "reschedule" }>;
        const delay = d.retryAt.getTime() - NOW.getTime();
        expect(delay).toBeGreaterThanOrEqual(expected.atLeastMs);
        expect(delay).toBeLessThanOrEqual(expected.atMostMs);
        expect(d.attempts).toBe((extra?.attempts ?? 0) + 1);
        expect(d.firstAttemptAt).toEqual(extra?.firstAttemptAt ?? SENT_AT);
        expect(d.lastError).toBe(describeOutcome(outcome));
      }
      if (expected.kind === "failed") {
        const d = decision as Extract<SettleDecision, { kind: "failed" }>;
        expect(d.reason).toMatch(expected.reason);
        expect(d.reason.startsWith(describeOutcome(outcome))).toBe(true);
      }
    },
  );

  it("classifies the codes the way the table above assumes", () => {
    expect(classifyResponse(tiktok(0)).kind).toBe("accepted");
    for (const code of [40001, 40002, 40105])
      expect(classifyResponse(tiktok(code)).kind).toBe("permanent");
    expect(classifyResponse(tiktok(40100)).kind).toBe("retryable");
  });

  it("events sent in one request share one attempt record; each keeps its own decision", () => {
    const [a, b, c] = [entry("a"), entry("b"), entry("c")];
    const batch = attemptOf(classifyResponse(tiktok(0)), SENT_AT, 3);
    const ok = classifyResponse(tiktok(0));
    const bad = classifyResponse(tiktok(40002));
    const results = new Map<string, SendEventResult>([
      [a.id, { key: a.id, outcome: ok, attempts: [batch] }],
      [b.id, { key: b.id, outcome: ok, attempts: [batch] }],
      // Isolated after the batch was refused: the batch attempt and its own single one.
      [
        c.id,
        {
          key: c.id,
          outcome: bad,
          attempts: [batch, attemptOf(bad, new Date(SENT_AT.getTime() + 200))],
        },
      ],
    ]);
    const plan = planSettlement({
      entries: [a, b, c],
      results,
      policy: POLICY,
      now: NOW,
    });
    expect(plan.decisions.map((d) => d.kind)).toEqual([
      "delivered",
      "delivered",
      "failed",
    ]);
    expect(plan.decisions[2]).toMatchObject({
      tries: 2,
      lastAttemptAt: new Date(SENT_AT.getTime() + 200),
    });
    expect(plan.attempts.map((w) => w.deliveryIds)).toEqual([
      [a.delivery.id, b.delivery.id, c.delivery.id],
      [c.delivery.id],
    ]);
  });

  it("keeps the first attempt time of earlier sends", () => {
    const first = new Date(NOW.getTime() - 2 * HOUR);
    const e = entry("1", { attempts: 2, firstAttemptAt: first });
    const plan = planSettlement({
      entries: [e],
      results: new Map([
        [e.id, resultFor(e, { type: "timeout", timeoutMs: 1 })],
      ]),
      policy: POLICY,
      now: NOW,
      random: () => 0,
    });
    expect(plan.decisions[0]).toMatchObject({
      kind: "reschedule",
      attempts: 3,
      firstAttemptAt: first,
    });
  });

  it("an event refused before any request (validation) fails with no attempt counted", () => {
    const e = entry("local");
    const outcome: DeliveryOutcome = {
      kind: "permanent",
      reason: "validation",
      httpStatus: null,
      code: null,
      message: "event_id is missing",
      requestId: null,
    };
    const plan = planSettlement({
      entries: [e],
      results: new Map([[e.id, { key: e.id, outcome, attempts: [] }]]),
      policy: POLICY,
      now: NOW,
    });
    expect(plan.attempts).toEqual([]);
    expect(plan.decisions).toEqual([
      expect.objectContaining({
        kind: "failed",
        tries: 0,
        lastAttemptAt: null,
      }),
    ]);
  });

  it("planFailAll fails every entry without an attempt", () => {
    const plan = planFailAll(
      [entry("a"), entry("b")],
      "Not sent: no access token is saved in Settings.",
    );
    expect(plan.attempts).toEqual([]);
    expect(plan.decisions).toEqual([
      {
        kind: "failed",
        outboxId: "o-a",
        deliveryId: "d-a",
        tries: 0,
        lastAttemptAt: null,
        reason: "Not sent: no access token is saved in Settings.",
      },
      {
        kind: "failed",
        outboxId: "o-b",
        deliveryId: "d-b",
        tries: 0,
        lastAttemptAt: null,
        reason: "Not sent: no access token is saved in Settings.",
      },
    ]);
  });
});
