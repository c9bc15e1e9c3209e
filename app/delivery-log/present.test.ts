import { describe, expect, it } from "vitest";
import {
  deliveryLabel,
  keySourceRows,
  explainStatus,
  formatDateTime,
  formatDuration,
  MATCH_KEY_LABELS,
  MATCH_KEYS,
  orderAdminUrl,
  outcomeBadge,
  parseMatchKeys,
  payloadHeading,
  percent,
  prettyPayload,
  resendAvailability,
  RESEND_TOO_LATE,
  STATUS_BADGES,
} from "./present";
import { summarizeDeliveries, summaryWindowStart } from "./summary";

describe("status badges", () => {
  it("uses the agreed tones and labels", () => {
    expect(STATUS_BADGES).toEqual({
      delivered: { label: "Delivered", tone: "success" },
      pending: { label: "Pending", tone: "attention" },
      failed: { label: "Failed", tone: "critical" },
      skipped: { label: "Skipped", tone: undefined },
    });
  });
});

describe("match keys", () => {
  it("parses the stored list in canonical order and ignores unknown words", () => {
    expect(parseMatchKeys("ip_ua,email,ttclid,bogus, phone")).toEqual([
      "ttclid",
      "email",
      "phone",
      "ip_ua",
    ]);
    expect(parseMatchKeys("")).toEqual([]);
  });

  it("labels IP + UA for people", () => {
    expect(MATCH_KEYS.map((k) => MATCH_KEY_LABELS[k])).toEqual([
      "ttclid",
      "ttp",
      "email",
      "phone",
      "external_id",
      "first_name",
      "last_name",
      "city",
      "state",
      "country",
      "zip_code",
      "IP + UA",
    ]);
  });
});

describe("keySourceRows", () => {
  it("lists each key with its source in words, in the canonical order, unknown ones last as stored", () => {
    expect(
      keySourceRows({
        zip_code: "billing_address",
        future_key: "some_new_place",
        ttclid: "cart_attributes",
        external_id: "app_proxy",
        email: "checkout_pixel",
        first_name: "shipping_address",
      }),
    ).toEqual([
      { key: "ttclid", source: "cart attributes" },
      { key: "email", source: "checkout pixel" },
      { key: "external_id", source: "app proxy (signed by Shopify)" },
      { key: "first_name", source: "order shipping address" },
      { key: "zip_code", source: "order billing address" },
      { key: "future_key", source: "some new place" },
    ]);
    expect(keySourceRows({})).toEqual([]);
  });
});

describe("labels and links", () => {
  it("names a delivery by its order, or by where it came from", () => {
    expect(deliveryLabel("order", "#1001")).toBe("#1001");
    expect(deliveryLabel("order", null)).toBe("Order");
    expect(deliveryLabel("storefront", null)).toBe("Storefront");
    expect(deliveryLabel("test", "#1")).toBe("Test");
  });

  it("links an order gid to the admin", () => {
    expect(orderAdminUrl("gid://shopify/Order/820982911946154508")).toBe(
      "shopify://admin/orders/820982911946154508",
    );
    expect(orderAdminUrl("123")).toBe("shopify://admin/orders/123");
    expect(orderAdminUrl("gid://shopify/Customer/1")).toBeNull();
    expect(orderAdminUrl(null)).toBeNull();
  });
});

describe("explainStatus", () => {
  it("explains each state in plain words, using the stored reason", () => {
    expect(
      explainStatus({ status: "delivered", lastError: null, attemptCount: 1 }),
    ).toEqual({
      tone: "success",
      title: "Delivered",
      body: "TikTok accepted this event.",
    });
    expect(
      explainStatus({ status: "delivered", lastError: null, attemptCount: 3 })
        .body,
    ).toBe("TikTok accepted this event after 3 attempts.");
    expect(
      explainStatus({ status: "pending", lastError: null, attemptCount: 0 })
        .title,
    ).toBe("Waiting to be sent");
    expect(
      explainStatus({
        status: "pending",
        lastError: "TikTok did not answer in time.",
        attemptCount: 2,
      }),
    ).toMatchObject({
      tone: "warning",
      body: "TikTok did not answer in time. The app tries again automatically.",
    });
    expect(
      explainStatus({
        status: "failed",
        lastError: "The access token was rejected by TikTok.",
        attemptCount: 1,
      }),
    ).toEqual({
      tone: "critical",
      title: "Not delivered",
      body: "The access token was rejected by TikTok.",
    });
    expect(
      explainStatus({
        status: "skipped",
        lastError: "Not sent: the shopper declined marketing consent.",
        attemptCount: 0,
      }).body,
    ).toBe("Not sent: the shopper declined marketing consent.");
  });
});

describe("resendAvailability", () => {
  it("allows delivered and failed, explains pending and skipped", () => {
    expect(resendAvailability("delivered")).toEqual({
      allowed: true,
      reason: null,
    });
    expect(resendAvailability("failed")).toEqual({
      allowed: true,
      reason: null,
    });
    expect(resendAvailability("pending").allowed).toBe(false);
    expect(resendAvailability("skipped")).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/^Skipped/),
    });
  });
});

describe("resendAvailability within TikTok's dedup window", () => {
  const now = new Date("2026-03-10T12:00:00Z");
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
  it.each([
    ["delivered an hour ago", hoursAgo(2), hoursAgo(1), true],
    ["an old order delivered just now", hoursAgo(300), hoursAgo(0), true],
    ["delivered 45 h ago", hoursAgo(46), hoursAgo(45), true],
    ["delivered 47 h ago", hoursAgo(48), hoursAgo(47), false],
    ["delivered 3 days ago", hoursAgo(73), hoursAgo(72), false],
  ] as const)("%s → allowed %s", (_name, eventTime, deliveredAt, allowed) => {
    const answer = resendAvailability("delivered", {
      eventTime,
      deliveredAt,
      now,
    });
    expect(answer.allowed).toBe(allowed);
    expect(answer.reason).toBe(allowed ? null : RESEND_TOO_LATE);
  });

  it("a failed event stays resendable whatever its age (TikTok never accepted it)", () => {
    expect(
      resendAvailability("failed", {
        eventTime: hoursAgo(200),
        deliveredAt: null,
        now,
      }).allowed,
    ).toBe(true);
  });
});

describe("small formatters", () => {
  it("pretty-prints JSON and leaves anything else as stored", () => {
    expect(prettyPayload('{"event":"Purchase","user":{"email":["ab"]}}')).toBe(
      '{\n  "event": "Purchase",\n  "user": {\n    "email": [\n      "ab"\n    ]\n  }\n}',
    );
    expect(prettyPayload("not json")).toBe("not json");
  });

  it("formats durations, dates and percentages", () => {
    expect(formatDuration(87.4)).toBe("87 ms");
    expect(formatDuration(1234)).toBe("1.23 s");
    expect(formatDuration(15_000)).toBe("15.0 s");
    expect(formatDateTime("2026-11-20T15:04:00.000Z")).toBe(
      "Nov 20, 2026, 3:04 PM UTC",
    );
    expect(formatDateTime("2026-11-20T15:04:00.000Z", "America/Toronto")).toBe(
      "Nov 20, 2026, 10:04 AM",
    );
    expect(percent(2, 3)).toBe(67);
    expect(percent(0, 0)).toBeNull();
  });

  it("names attempt outcomes and payload headings", () => {
    expect(outcomeBadge("accepted")).toEqual({
      label: "Accepted",
      tone: "success",
    });
    expect(outcomeBadge("permanent").label).toBe("Rejected");
    expect(outcomeBadge("odd")).toEqual({ label: "odd", tone: undefined });
    expect(payloadHeading("delivered", 1)).toBe("JSON sent to TikTok");
    expect(payloadHeading("pending", 0)).toBe(
      "JSON that will be sent to TikTok",
    );
    expect(payloadHeading("skipped", 0)).toBe("Event recorded (not sent)");
  });
});

describe("summarizeDeliveries", () => {
  const since = new Date("2026-11-13T12:00:00.000Z");

  it("counts statuses and the share of delivered+pending purchases per key", () => {
    const summary = summarizeDeliveries(
      [
        { status: "delivered", matchKeys: "ttclid,email,phone", count: 2 },
        { status: "delivered", matchKeys: "email", count: 3 },
        { status: "pending", matchKeys: "", count: 1 },
        // Failed and skipped count as orders seen but not towards the shares.
        {
          status: "failed",
          matchKeys: "ttclid,ttp,email,phone,external_id,ip_ua",
          count: 4,
        },
        { status: "skipped", matchKeys: "", count: 5 },
        { status: "weird", matchKeys: "email", count: 100 },
      ],
      since,
    );
    expect(summary).toMatchObject({
      days: 7,
      since: "2026-11-13T12:00:00.000Z",
      ordersSeen: 15,
      sent: 5,
      pending: 1,
      failed: 4,
      skipped: 5,
      matchKeyBase: 6,
    });
    expect(
      Object.fromEntries(
        summary.matchKeyShare.map((s) => [s.key, [s.count, s.percent]]),
      ),
    ).toEqual({
      ttclid: [2, 33],
      ttp: [0, 0],
      email: [5, 83],
      phone: [2, 33],
      external_id: [0, 0],
      first_name: [0, 0],
      last_name: [0, 0],
      city: [0, 0],
      state: [0, 0],
      country: [0, 0],
      zip_code: [0, 0],
      ip_ua: [0, 0],
    });
    expect(summary.matchKeyShare.find((s) => s.key === "ip_ua")?.label).toBe(
      "IP + UA",
    );
  });

  it("has no percentages when nothing was sent", () => {
    const summary = summarizeDeliveries(
      [{ status: "skipped", matchKeys: "", count: 2 }],
      since,
    );
    expect(summary.ordersSeen).toBe(2);
    expect(summary.matchKeyShare.every((s) => s.percent === null)).toBe(true);
  });

  it("covers seven whole UTC days: today and the six before", () => {
    expect(
      summaryWindowStart(new Date("2026-11-20T12:00:00.000Z")).toISOString(),
    ).toBe("2026-11-14T00:00:00.000Z");
    expect(
      summaryWindowStart(new Date("2026-11-20T23:59:59.999Z")).toISOString(),
    ).toBe("2026-11-14T00:00:00.000Z");
    // Just after midnight the new day starts a new window.
    expect(
      summaryWindowStart(new Date("2026-11-21T00:00:00.000Z")).toISOString(),
    ).toBe("2026-11-15T00:00:00.000Z");
  });
});
