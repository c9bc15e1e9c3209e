import { describe, expect, it } from "vitest";
import {
  classifyOrder,
  fromCents,
  isIneligible,
  summarize,
  toCents,
} from "./classify";
import { csvCell, parseListFilter, rowAction, toCsv } from "./report";

const NOW = new Date("2026-12-02T12:00:00Z");
const DAY = 86_400_000;

describe("csvCell", () => {
  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ["+1+1", `"'+1+1"`],
    ["-2+3", `"'-2+3"`],
    ["@SUM(A1)", `"'@SUM(A1)"`],
    ["\t=1", `"'\t=1"`],
    ["\r=1", `"'\r=1"`],
    ["#1001", `"#1001"`],
    ["a, b", `"a, b"`],
    ['say "hi"', `"say ""hi"""`],
    ["line\nbreak", `"line\nbreak"`],
    ["", `""`],
  ])("%j → %s", (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it("writes a header and one quoted line per row, CRLF", () => {
    const csv = toCsv([
      {
        orderId: "gid://shopify/Order/820982911946154508",
        orderName: "=cmd|' /C calc'!A0",
        orderCreatedAt: "2026-12-01T10:00:00.000Z",
        status: "missing",
        reason: null,
        value: "25.00",
        currency: "USD",
        backfill: null,
        deliveryId: null,
      },
    ]);
    expect(csv.split("\r\n")).toEqual([
      `"Order","Order id","Created (UTC)","Status","Reason","Value","Currency"`,
      `"'=cmd|' /C calc'!A0","gid://shopify/Order/820982911946154508","2026-12-01T10:00:00.000Z","missing","","25.00","USD"`,
      "",
    ]);
  });
});

describe("classifyOrder", () => {
  const base = {
    createdAt: new Date(NOW.getTime() - DAY),
    financialStatus: "PAID",
    purchaseTrigger: "orders/create",
    now: NOW,
  };
  it.each([
    [{ status: "delivered", lastError: null }, "sent", null],
    [{ status: "pending", lastError: null }, "pending", null],
    [
      { status: "failed", lastError: "TikTok 40001: no permission" },
      "failed",
      "TikTok 40001: no permission",
    ],
    [
      { status: "skipped", lastError: "Skipped: test order." },
      "skipped",
      "Skipped: test order.",
    ],
  ])("recorded %j → %s", (recorded, status, reason) => {
    expect(classifyOrder({ ...base, recorded })).toEqual({ status, reason });
  });

  it("never recorded: missing, too old past 7 days, not owed before payment on orders/paid", () => {
    expect(classifyOrder({ ...base, recorded: null }).status).toBe("missing");
    expect(
      classifyOrder({
        ...base,
        recorded: null,
        createdAt: new Date(NOW.getTime() - 8 * DAY),
      }).status,
    ).toBe("too_old");
    expect(
      classifyOrder({
        ...base,
        recorded: null,
        purchaseTrigger: "orders/paid",
        financialStatus: "PENDING",
      }),
    ).toMatchObject({ status: "skipped", notOwed: true });
    expect(
      classifyOrder({
        ...base,
        recorded: null,
        purchaseTrigger: "orders/paid",
        financialStatus: "PAID",
      }).status,
    ).toBe("missing");
  });
});

describe("summarize", () => {
  const row = (
    day: string,
    status: string,
    value: string,
    backfill: string | null = null,
  ) => ({
    orderCreatedAt: new Date(`${day}T10:00:00Z`),
    status,
    backfill,
    value,
    reason: null,
  });

  it("counts per day, eligible excludes skipped, coverage = sent ÷ eligible, revenue exact", () => {
    const { days, totals } = summarize([
      row("2026-12-01", "sent", "10.10"),
      row("2026-12-01", "sent", "0.20"),
      row("2026-12-01", "skipped", "5.00"),
      row("2026-12-01", "missing", "7.00", "queued"),
      row("2026-12-02", "failed", "1.00"),
      row("2026-12-02", "missing", "2.00", "skipped"),
      row("2026-12-02", "too_old", "3.00"),
    ]);
    expect(days.map((d) => d.day)).toEqual(["2026-12-02", "2026-12-01"]);
    expect(days[1]).toMatchObject({
      orders: 4,
      eligible: 3,
      sent: 2,
      skipped: 1,
      missing: 1,
      coverage: 2 / 3,
      revenueShopify: "22.30",
      revenueSent: "10.30",
    });
    expect(days[0]).toMatchObject({
      orders: 3,
      eligible: 2,
      sent: 0,
      failed: 1,
      tooOld: 1,
      coverage: 0,
    });
    expect(totals).toMatchObject({ orders: 7, eligible: 5, sent: 2 });
    expect(summarize([]).totals.coverage).toBeNull();
  });

  it("money helpers never go through floating point", () => {
    expect(toCents("0.1")).toBe(10n);
    expect(toCents("123456789012345.99")).toBe(12345678901234599n);
    expect(toCents("-1.5")).toBe(-150n);
    expect(toCents(null)).toBe(0n);
    expect(fromCents(toCents("0.1") + toCents("0.2"))).toBe("0.30");
    expect(isIneligible({ status: "missing", backfill: "queued" })).toBe(false);
  });
});

describe("list filter and actions", () => {
  it("falls back to all for unknown filters", () => {
    expect(parseListFilter("failed")).toBe("failed");
    expect(parseListFilter("<script>")).toBe("all");
    expect(parseListFilter(null)).toBe("all");
  });
  it("offers Resend for failed, Send now for missing not yet sent", () => {
    expect(rowAction({ status: "failed", backfill: null })).toBe("resend");
    expect(rowAction({ status: "missing", backfill: null })).toBe("send");
    expect(rowAction({ status: "missing", backfill: "queued" })).toBeNull();
    expect(rowAction({ status: "too_old", backfill: null })).toBeNull();
  });
});
