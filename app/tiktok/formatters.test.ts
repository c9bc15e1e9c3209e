import { describe, expect, it } from "vitest";
import {
  formatAmount,
  formatHashes,
  formatId,
  formatText,
  toUnixSeconds,
} from "./formatters";

describe("formatText", () => {
  it("trims, and leaves blank or missing text out", () => {
    expect(formatText("  Linen shirt ")).toBe("Linen shirt");
    expect(formatText(" \t ")).toBeUndefined();
    expect(formatText(null)).toBeUndefined();
    expect(formatText(undefined)).toBeUndefined();
  });
});

describe("formatId", () => {
  it("turns numeric ids into strings without losing digits", () => {
    expect(formatId(44012345678901)).toBe("44012345678901");
    expect(formatId(" gid-1 ")).toBe("gid-1");
    expect(formatId(0)).toBe("0");
    expect(formatId("")).toBeUndefined();
    expect(formatId(null)).toBeUndefined();
  });
});

describe("formatAmount", () => {
  it("keeps numbers (0 included), parses decimal strings, leaves blanks out, turns junk into NaN", () => {
    expect(formatAmount(0)).toBe(0);
    expect(formatAmount(12.5)).toBe(12.5);
    expect(formatAmount(" 49.95 ")).toBe(49.95);
    expect(formatAmount("")).toBeUndefined();
    expect(formatAmount(null)).toBeUndefined();
    expect(formatAmount("12,50")).toBeNaN();
  });
});

describe("formatHashes", () => {
  it("passes a non-empty list through as the same array and drops an empty one", () => {
    const list = ["a"];
    expect(formatHashes(list)).toBe(list);
    expect(formatHashes([])).toBeUndefined();
    expect(formatHashes(undefined)).toBeUndefined();
  });
});

describe("toUnixSeconds", () => {
  it("floors Dates and fractional seconds to whole seconds", () => {
    expect(toUnixSeconds(new Date("2025-06-01T12:34:56.999Z"))).toBe(
      1748781296,
    );
    expect(toUnixSeconds(1748781296.999)).toBe(1748781296);
    expect(toUnixSeconds(1748781296)).toBe(1748781296);
  });
});
