import { describe, expect, it } from "vitest";
import { planBatches, type QueuedEvent } from "./batching";
import { buildTrackBody } from "./track-body";
import type { TikTokEvent } from "./wire-types";

function ev(i: number, extra = ""): TikTokEvent {
  return {
    event: "Purchase",
    event_time: 1748781296,
    event_id: `o${i}_Purchase`,
    properties: { currency: "USD", value: i, order_id: `o${i}${extra}` },
  };
}

const target = {
  pixelCode: "PIXEL_A",
  accessToken: "tok_a",
  testEventCode: null,
};

describe("planBatches", () => {
  it("puts at most 1000 events in a request (2,500 → 1000 + 1000 + 500), in order", () => {
    const events: QueuedEvent[] = Array.from({ length: 2500 }, (_, i) => ({
      ...target,
      key: `k${i}`,
      event: ev(i),
    }));
    const { batches, oversized } = planBatches(events);
    expect(batches.map((b) => b.items.length)).toEqual([1000, 1000, 500]);
    expect(batches.flatMap((b) => b.items.map((it) => it.key))).toEqual(
      events.map((e) => e.key),
    );
    expect(oversized).toEqual([]);
  });

  it("groups per pixel code + token + test event code", () => {
    const targets = [
      { pixelCode: "PIXEL_A", accessToken: "tok_a", testEventCode: null },
      { pixelCode: "PIXEL_B", accessToken: "tok_a", testEventCode: null },
      { pixelCode: "PIXEL_A", accessToken: "tok_b", testEventCode: null },
      { pixelCode: "PIXEL_A", accessToken: "tok_a", testEventCode: "TEST1" },
    ];
    const events: QueuedEvent[] = Array.from({ length: 12 }, (_, i) => ({
      ...targets[i % 4],
      key: `k${i}`,
      event: ev(i),
    }));
    const { batches } = planBatches(events);
    expect(batches).toHaveLength(4);
    expect(
      batches.map((b) => [
        b.pixelCode,
        b.accessToken,
        b.testEventCode,
        b.items.map((it) => it.key),
      ]),
    ).toEqual([
      ["PIXEL_A", "tok_a", null, ["k0", "k4", "k8"]],
      ["PIXEL_B", "tok_a", null, ["k1", "k5", "k9"]],
      ["PIXEL_A", "tok_b", null, ["k2", "k6", "k10"]],
      ["PIXEL_A", "tok_a", "TEST1", ["k3", "k7", "k11"]],
    ]);
  });

  it("keeps every serialised request body under the byte cap, and counts bytes exactly", () => {
    const events: QueuedEvent[] = Array.from({ length: 300 }, (_, i) => ({
      ...target,
      key: `k${i}`,
      event: ev(i, "é".repeat(i % 17)), // multi-byte characters count as 2 bytes
    }));
    const maxBytes = 5_000;
    const { batches } = planBatches(events, { maxBytes });
    expect(batches.length).toBeGreaterThan(5);
    for (const b of batches) {
      const body = buildTrackBody({
        pixelCode: b.pixelCode,
        testEventCode: b.testEventCode,
        events: b.items.map((it) => it.event),
      });
      const size = Buffer.byteLength(JSON.stringify(body));
      expect(size).toBe(b.bytes);
      expect(size).toBeLessThanOrEqual(maxBytes);
    }
    // Greedy: adding the next event's bytes would have crossed the cap.
    for (let i = 0; i < batches.length - 1; i++) {
      expect(
        batches[i].bytes + batches[i + 1].items[0].bytes + 1,
      ).toBeGreaterThan(maxBytes);
    }
  });

  it("reports an event larger than the cap on its own instead of sending it", () => {
    const big: QueuedEvent = {
      ...target,
      key: "big",
      event: ev(1, "x".repeat(2000)),
    };
    const small: QueuedEvent = { ...target, key: "small", event: ev(2) };
    const { batches, oversized } = planBatches([big, small], {
      maxBytes: 1000,
    });
    expect(oversized.map((o) => o.key)).toEqual(["big"]);
    expect(batches.map((b) => b.items.map((it) => it.key))).toEqual([
      ["small"],
    ]);
  });
});
