import { describe, expect, it } from "vitest";
import {
  DEFAULT_FILTERS,
  dateWindow,
  deliveryWhere,
  encodeCursor,
  filtersToSearch,
  isFiltered,
  keysetWhere,
  withinMatches,
  orderNameCandidates,
  parseCursor,
  parseDay,
  parseFilters,
  parsePixelCode,
  type DeliveryFilters,
} from "./filters";

const params = (query: string) => new URLSearchParams(query);
const NOW = new Date("2026-11-20T12:00:00.000Z");

describe("parseFilters", () => {
  it("defaults to every status of orders, all time", () => {
    expect(parseFilters(params(""))).toEqual(DEFAULT_FILTERS);
    expect(DEFAULT_FILTERS).toMatchObject({
      status: "all",
      source: "order",
      range: "all",
      q: "",
      pixel: "",
    });
  });

  it("reads every filter from the query", () => {
    expect(
      parseFilters(
        params(
          "status=failed&source=storefront&range=7d&q=%20%231001%20&pixel=CABC123DEF456GHI789J",
        ),
      ),
    ).toEqual({
      status: "failed",
      source: "storefront",
      range: "7d",
      from: null,
      to: null,
      q: "#1001",
      pixel: "CABC123DEF456GHI789J",
    });
  });

  it("falls back to defaults for unknown values instead of failing", () => {
    expect(
      parseFilters(params("status=DELIVERED&source=pos&range=1y")),
    ).toEqual(DEFAULT_FILTERS);
  });

  it("treats dates without a range as a custom range, swaps reversed dates, drops bad ones", () => {
    expect(parseFilters(params("from=2026-11-10&to=2026-11-01"))).toMatchObject(
      {
        range: "custom",
        from: "2026-11-01",
        to: "2026-11-10",
      },
    );
    expect(
      parseFilters(params("range=custom&from=2026-02-30&to=2026-03-01")),
    ).toMatchObject({
      range: "custom",
      from: null,
      to: "2026-03-01",
    });
    // Dates only count with the custom range.
    expect(parseFilters(params("range=7d&from=2026-11-01"))).toMatchObject({
      range: "7d",
      from: null,
    });
  });

  it("reads a pixel code as stored, and ignores anything that is not one", () => {
    expect(parsePixelCode(" CABC123 ")).toBe("CABC123");
    // Matched as stored, not case-folded.
    expect(parsePixelCode("cabc123")).toBe("cabc123");
    for (const bad of [null, "", "CABC 123", "CABC'--", "C%", "C".repeat(65)])
      expect(parsePixelCode(bad)).toBe("");
    expect(parseFilters(params("pixel=C'1")).pixel).toBe("");
  });

  it("caps the search length", () => {
    expect(parseFilters(params(`q=${"9".repeat(500)}`)).q).toHaveLength(100);
  });
});

describe("parseDay", () => {
  it("accepts real calendar days only", () => {
    expect(parseDay("2024-02-29")).toBe("2024-02-29");
    expect(parseDay("2026-02-29")).toBeNull();
    expect(parseDay("2026-1-5")).toBeNull();
    expect(parseDay("")).toBeNull();
    expect(parseDay(null)).toBeNull();
  });
});

describe("filtersToSearch", () => {
  it("omits defaults and round-trips through parseFilters", () => {
    expect(filtersToSearch(DEFAULT_FILTERS)).toBe("");
    const filters: DeliveryFilters = {
      status: "pending",
      source: "all",
      range: "custom",
      from: "2026-11-01",
      to: "2026-11-02",
      q: "#1001",
      pixel: "CABC123DEF456GHI789J",
    };
    const search = filtersToSearch(filters);
    expect(search).toBe(
      "?status=pending&source=all&range=custom&from=2026-11-01&to=2026-11-02&q=%231001&pixel=CABC123DEF456GHI789J",
    );
    expect(parseFilters(params(search.slice(1)))).toEqual(filters);
  });

  it("adds exactly one page cursor", () => {
    expect(
      filtersToSearch(DEFAULT_FILTERS, { after: "1.a", before: "2.b" }),
    ).toBe("?after=1.a");
    expect(filtersToSearch(DEFAULT_FILTERS, { before: "2.b" })).toBe(
      "?before=2.b",
    );
  });

  it("knows when a view is filtered", () => {
    expect(isFiltered(DEFAULT_FILTERS)).toBe(false);
    expect(isFiltered({ ...DEFAULT_FILTERS, q: "1001" })).toBe(true);
    expect(isFiltered({ ...DEFAULT_FILTERS, source: "all" })).toBe(true);
    expect(isFiltered({ ...DEFAULT_FILTERS, pixel: "CABC123" })).toBe(true);
  });
});

describe("cursors", () => {
  it("encodes creation time and id, and rejects malformed values", () => {
    const at = new Date("2026-11-20T10:00:00.123Z");
    const token = encodeCursor(at, "clx0abc123");
    expect(parseCursor(params(`after=${token}`))).toEqual({
      direction: "after",
      createdAt: at,
      id: "clx0abc123",
    });
    expect(parseCursor(params(`before=${token}`))).toMatchObject({
      direction: "before",
    });
    expect(parseCursor(params("after=abc"))).toBeNull();
    expect(parseCursor(params("after=123.bad'id"))).toBeNull();
    expect(parseCursor(params(""))).toBeNull();
  });

  it("pages strictly older (after) or newer (before), tie-broken by id", () => {
    const createdAt = new Date(1000);
    expect(keysetWhere({ direction: "after", createdAt, id: "m" })).toEqual({
      createdAt: { lte: createdAt },
      OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: "m" } }],
    });
    expect(keysetWhere({ direction: "before", createdAt, id: "m" })).toEqual({
      createdAt: { gte: createdAt },
      OR: [{ createdAt: { gt: createdAt } }, { createdAt, id: { gt: "m" } }],
    });
  });
});

describe("orderNameCandidates", () => {
  it("finds #1001 whether typed with or without the #, by its exact name", () => {
    expect(orderNameCandidates("#1001")).toEqual(["#1001", "1001"]);
    expect(orderNameCandidates("  # 1001 ")).toEqual(["#1001", "1001"]);
    expect(orderNameCandidates("1001")).toEqual(["#1001", "1001"]);
    // A shop's own prefix is typed as shown; the "#" form is harmless.
    expect(orderNameCandidates("SHOP-1001")).toEqual([
      "#SHOP-1001",
      "SHOP-1001",
    ]);
    // Nothing to look for: no search at all.
    expect(orderNameCandidates("#")).toEqual([]);
    expect(orderNameCandidates("   ")).toEqual([]);
    // Typed characters are values, never patterns.
    expect(orderNameCandidates("10%01")).toEqual(["#10%01", "10%01"]);
  });
});

describe("dateWindow and deliveryWhere", () => {
  it("turns presets into a window ending now", () => {
    expect(dateWindow({ ...DEFAULT_FILTERS, range: "24h" }, NOW)).toEqual({
      gte: new Date("2026-11-19T12:00:00.000Z"),
    });
    expect(dateWindow({ ...DEFAULT_FILTERS, range: "30d" }, NOW)).toEqual({
      gte: new Date("2026-10-21T12:00:00.000Z"),
    });
    expect(dateWindow(DEFAULT_FILTERS, NOW)).toBeNull();
  });

  it("includes the whole `to` day of a custom range", () => {
    expect(
      dateWindow(
        {
          ...DEFAULT_FILTERS,
          range: "custom",
          from: "2026-11-01",
          to: "2026-11-03",
        },
        NOW,
      ),
    ).toEqual({
      gte: new Date("2026-11-01T00:00:00.000Z"),
      lt: new Date("2026-11-04T00:00:00.000Z"),
    });
    expect(dateWindow({ ...DEFAULT_FILTERS, range: "custom" }, NOW)).toBeNull();
  });

  it("always scopes to the shop and adds only the filters that are set", () => {
    expect(
      deliveryWhere(
        "a.myshopify.com",
        { ...DEFAULT_FILTERS, source: "all" },
        NOW,
      ),
    ).toEqual({
      shop: "a.myshopify.com",
    });
    expect(
      deliveryWhere(
        "a.myshopify.com",
        { ...DEFAULT_FILTERS, status: "failed", range: "7d", q: "#10" },
        NOW,
      ),
    ).toEqual({
      shop: "a.myshopify.com",
      status: "failed",
      source: "order",
      createdAt: { gte: new Date("2026-11-13T12:00:00.000Z") },
    });
    expect(
      deliveryWhere(
        "a.myshopify.com",
        { ...DEFAULT_FILTERS, pixel: "CABC123" },
        NOW,
      ),
    ).toEqual({
      shop: "a.myshopify.com",
      source: "order",
      pixelCode: "CABC123",
    });
  });

  it("narrows to a search's matches by id, the shop scoping carried by the ids", () => {
    const where = deliveryWhere(
      "a.myshopify.com",
      { ...DEFAULT_FILTERS, status: "failed" },
      NOW,
    );
    expect(withinMatches(where, ["d1", "d2"])).toEqual({
      status: "failed",
      source: "order",
      id: { in: ["d1", "d2"] },
    });
    // No match: an empty id list, which selects nothing.
    expect(withinMatches(where, [])).toMatchObject({ id: { in: [] } });
  });
});
