import { describe, expect, it } from "vitest";
import { pixelChoices, pixelLabeler } from "./pixels";
import {
  summarizeByPixel,
  summarizeDeliveries,
  type StatusKeysGroup,
} from "./summary";

const SINCE = new Date("2026-11-14T00:00:00.000Z");

describe("pixelChoices", () => {
  it("lists the shop's pixels as ordered, then removed codes from the log, each code once", () => {
    const choices = pixelChoices(
      [
        { pixelCode: "CUS", name: "US store" },
        { pixelCode: "CAGENCY", name: "Agency" },
      ],
      ["CZOLD", "CAGENCY", "COLD", "CUS"],
    );
    expect(choices).toEqual([
      { code: "CUS", name: "US store", removed: false, label: "US store" },
      { code: "CAGENCY", name: "Agency", removed: false, label: "Agency" },
      { code: "COLD", name: "COLD", removed: true, label: "COLD (removed)" },
      { code: "CZOLD", name: "CZOLD", removed: true, label: "CZOLD (removed)" },
    ]);
  });

  it("tells apart pixels that share a name by their code", () => {
    const choices = pixelChoices(
      [
        { pixelCode: "CA", name: "TikTok pixel" },
        { pixelCode: "CB", name: "TikTok pixel" },
        { pixelCode: "CC", name: "Agency" },
      ],
      [],
    );
    expect(choices.map((c) => c.label)).toEqual([
      "TikTok pixel (CA)",
      "TikTok pixel (CB)",
      "Agency",
    ]);
  });

  it("has nothing to offer a shop without pixels or deliveries", () => {
    expect(pixelChoices([], [])).toEqual([]);
  });
});

describe("pixelLabeler", () => {
  it("names a code by its pixel, a removed one by its code", () => {
    const label = pixelLabeler(
      pixelChoices([{ pixelCode: "CUS", name: "US store" }], ["COLD"]),
    );
    expect(label("CUS")).toBe("US store");
    expect(label("COLD")).toBe("COLD (removed)");
    // Beyond the choices (more codes than are listed): the code itself.
    expect(label("CUNKNOWN")).toBe("CUNKNOWN");
  });
});

describe("summarizeByPixel", () => {
  const groups: StatusKeysGroup[] = [
    { pixelCode: "CUS", status: "delivered", matchKeys: "ttp,email", count: 8 },
    { pixelCode: "CUS", status: "pending", matchKeys: "email", count: 2 },
    { pixelCode: "CUS", status: "failed", matchKeys: "email", count: 1 },
    { pixelCode: "CAGENCY", status: "delivered", matchKeys: "email", count: 5 },
    { pixelCode: "CAGENCY", status: "skipped", matchKeys: "", count: 3 },
    { pixelCode: "COLD", status: "delivered", matchKeys: "ttclid", count: 1 },
    // A status the app does not know is ignored, here as in the total.
    { pixelCode: "CUS", status: "weird", matchKeys: "", count: 4 },
  ];
  const choices = pixelChoices(
    [
      { pixelCode: "CUS", name: "US store" },
      { pixelCode: "CAGENCY", name: "Agency" },
      { pixelCode: "CNEW", name: "New" },
    ],
    ["COLD"],
  );

  it("gives each pixel its own figures and key shares", () => {
    const rows = summarizeByPixel(groups, SINCE, choices);
    expect(
      rows.map((r) => [r.label, r.summary.ordersSeen, r.summary.sent]),
    ).toEqual([
      ["US store", 11, 8],
      ["Agency", 8, 5],
      ["New", 0, 0],
      ["COLD (removed)", 1, 1],
    ]);
    const us = rows[0].summary;
    expect(us).toMatchObject({
      failed: 1,
      pending: 2,
      skipped: 0,
      matchKeyBase: 10,
    });
    const share = Object.fromEntries(
      us.matchKeyShare.map((s) => [s.key, s.percent]),
    );
    expect(share).toMatchObject({ ttp: 80, email: 100, ttclid: 0 });
    // A pixel with nothing in the window has no percentages, not 0%.
    expect(rows[2].summary.matchKeyShare.every((s) => s.percent === null)).toBe(
      true,
    );
  });

  it("adds up to the total of the same groups", () => {
    const rows = summarizeByPixel(groups, SINCE, choices);
    const total = summarizeDeliveries(groups, SINCE);
    for (const field of [
      "ordersSeen",
      "sent",
      "failed",
      "pending",
      "skipped",
      "matchKeyBase",
    ] as const)
      expect(
        rows.reduce((a, r) => a + r.summary[field], 0),
        field,
      ).toBe(total[field]);
    for (const [i, share] of total.matchKeyShare.entries())
      expect(
        rows.reduce((a, r) => a + r.summary.matchKeyShare[i].count, 0),
      ).toBe(share.count);
  });
});
