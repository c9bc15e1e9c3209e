import { describe, expect, it } from "vitest";
import {
  describeLastDelivery,
  describeLastTest,
  timeAgo,
  type LastDeliveryRow,
} from "./pixel-list";

const NOW = new Date("2026-12-02T12:00:00Z");
const before = (ms: number) => new Date(NOW.getTime() - ms);
const MIN = 60_000;

describe("timeAgo", () => {
  it.each([
    [0, "just now"],
    [59_999, "just now"],
    [MIN, "1 min ago"],
    [59 * MIN, "59 min ago"],
    [60 * MIN, "1 h ago"],
    [47 * 60 * MIN, "47 h ago"],
    [48 * 60 * MIN, "2 days ago"],
    // A clock a little ahead of the database's is still "just now", never negative.
    [-5_000, "just now"],
  ])("%i ms ago is %s", (ms, text) => {
    expect(timeAgo(before(ms), NOW)).toBe(text);
  });
});

describe("describeLastDelivery", () => {
  const row = (over: Partial<LastDeliveryRow>): LastDeliveryRow => ({
    status: "pending",
    lastError: null,
    createdAt: before(10 * MIN),
    deliveredAt: null,
    lastAttemptAt: null,
    ...over,
  });

  it("tells each status in words", () => {
    expect(describeLastDelivery(null, NOW)).toEqual({
      tone: "subdued",
      text: "Nothing sent yet",
    });
    expect(
      describeLastDelivery(
        row({ status: "delivered", deliveredAt: before(5 * MIN) }),
        NOW,
      ),
    ).toEqual({ tone: "success", text: "Delivered 5 min ago" });
    expect(
      describeLastDelivery(
        row({ status: "failed", lastError: "The access token was rejected." }),
        NOW,
      ),
    ).toEqual({
      tone: "critical",
      text: "Failed: The access token was rejected.",
    });
    expect(describeLastDelivery(row({ status: "failed" }), NOW).text).toBe(
      "Failed: TikTok did not accept the last event.",
    );
    expect(describeLastDelivery(row({}), NOW)).toEqual({
      tone: "caution",
      text: "Waiting to be sent (queued 10 min ago)",
    });
    expect(
      describeLastDelivery(
        row({ status: "skipped", lastError: "The shopper declined." }),
        NOW,
      ).text,
    ).toBe("Not sent on purpose 10 min ago: The shopper declined.");
  });

  it("shows a status it does not know as waiting, rather than failing the page", () => {
    expect(describeLastDelivery(row({ status: "weird" }), NOW).tone).toBe(
      "caution",
    );
  });
});

describe("describeLastTest", () => {
  const at = before(2 * MIN).toISOString();

  it("says when the last test was accepted, or that there was none", () => {
    expect(describeLastTest(null, NOW).text).toBe("No test event sent yet");
    expect(
      describeLastTest({ at, ok: true, code: 0, message: "OK" }, NOW),
    ).toEqual({ tone: "success", text: "Test event accepted 2 min ago" });
  });

  it("tells a pixel code TikTok refuses (40001, 40002) as a problem with that pixel", () => {
    const permission = describeLastTest(
      {
        at,
        ok: false,
        code: 40001,
        message: "No permission to operate pixel code: CX.",
      },
      NOW,
    );
    expect(permission.tone).toBe("critical");
    expect(permission.text).toMatch(
      /^Test event failed 2 min ago \(TikTok code 40001\)\. TikTok does not accept this pixel code with this access token\./,
    );
    expect(
      describeLastTest(
        {
          at,
          ok: false,
          code: 40002,
          message: "Invalid value for event_source_id.",
        },
        NOW,
      ).text,
    ).toMatch(/TikTok says the pixel code is not valid/);
    // A 40002 about something else is TikTok's validation message, not the code's fault.
    expect(
      describeLastTest(
        { at, ok: false, code: 40002, message: "Invalid email." },
        NOW,
      ).text,
    ).toMatch(/TikTok rejected the event data as invalid: Invalid email\./);
  });

  it("tells a rejected token, an unknown code and a send that never reached TikTok", () => {
    expect(
      describeLastTest({ at, ok: false, code: 40105, message: "x" }, NOW).text,
    ).toMatch(/The access token was rejected by TikTok/);
    expect(
      describeLastTest({ at, ok: false, code: 41234, message: "Nope." }, NOW)
        .text,
    ).toMatch(/\(TikTok code 41234\)\. TikTok refused it: Nope\.$/);
    expect(
      describeLastTest(
        { at, ok: false, code: null, message: "No answer within 5000 ms" },
        NOW,
      ).text,
    ).toBe(
      "Test event failed 2 min ago. It did not reach TikTok: No answer within 5000 ms",
    );
  });
});
