import { describe, expect, it } from "vitest";
import { describeKeyCoverage, LOSS_PERCENT } from "./key-coverage";

const connected = { webPixelConnected: true, storefrontSeen: true };

describe("describeKeyCoverage", () => {
  it("gives no advice when no Purchase reached TikTok (failed and skipped do not count)", () => {
    const coverage = describeKeyCoverage(
      [
        {
          status: "failed",
          matchKeys: "email",
          journey: "direct_checkout",
          count: 3,
        },
        { status: "skipped", matchKeys: "", journey: "theme_cart", count: 2 },
      ],
      { webPixelConnected: false, storefrontSeen: false },
    );
    expect(coverage).toMatchObject({ purchases: 0, keys: [], journeys: [] });
    expect(coverage.empty).toMatch(/No Purchases reached TikTok/);
    expect(describeKeyCoverage([], connected).journeys).toEqual([]);
  });

  it("says per key on how many Purchases it reached TikTok", () => {
    const coverage = describeKeyCoverage(
      [
        {
          status: "delivered",
          matchKeys: "ttp,email,ip_ua",
          journey: "theme_cart",
          count: 41,
        },
        {
          status: "pending",
          matchKeys: "email,phone",
          journey: "theme_cart",
          count: 55,
        },
        { status: "delivered", matchKeys: "ip_ua", journey: "", count: 4 },
        // Not sent: ignored.
        {
          status: "failed",
          matchKeys: "ttclid",
          journey: "theme_cart",
          count: 50,
        },
      ],
      connected,
    );
    expect(coverage.purchases).toBe(100);
    const text = Object.fromEntries(coverage.keys.map((k) => [k.key, k.text]));
    expect(text.email).toBe("Email reached TikTok on 96% of Purchases.");
    expect(text.ttp).toBe(
      "_ttp (TikTok's browser id) reached TikTok on 41% of Purchases.",
    );
    expect(text.ttclid).toBe(
      "ttclid (TikTok's ad click id) reached TikTok on 0% of Purchases.",
    );
    expect(text.ip_ua).toBe(
      "IP address and browser reached TikTok on 45% of Purchases.",
    );
    // Unknown words in the stored list are ignored, known keys keep their canonical order.
    expect(coverage.keys.map((k) => k.key)).toEqual([
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
      "ip_ua",
    ]);
  });

  it("names the journey that loses _ttp and the checkout pixel as the remedy when it is not connected", () => {
    const groups = [
      {
        status: "delivered",
        matchKeys: "ttp,email",
        journey: "theme_cart",
        count: 88,
      },
      {
        status: "delivered",
        matchKeys: "email",
        journey: "direct_checkout",
        count: 10,
      },
      {
        status: "delivered",
        matchKeys: "ttp,email",
        journey: "direct_checkout",
        count: 2,
      },
    ];
    const coverage = describeKeyCoverage(groups, {
      webPixelConnected: false,
      storefrontSeen: true,
    });
    expect(coverage.journeys).toEqual([
      {
        journey: "direct_checkout",
        share: 12,
        lackingTtp: 83,
        fix: "connect-pixel",
        text: "12% of orders came through Buy it now or a checkout link; 83% of their Purchases lack _ttp (TikTok's browser id) until the checkout web pixel is connected.",
      },
    ]);
    // Connected: the same loss is stated without that remedy.
    const after = describeKeyCoverage(groups, connected);
    expect(after.journeys[0]).toMatchObject({
      journey: "direct_checkout",
      fix: null,
    });
    expect(after.journeys[0].text).not.toMatch(/until the checkout web pixel/);
  });

  it("asks for the app embed when theme-cart Purchases lack _ttp and no storefront events arrived", () => {
    const coverage = describeKeyCoverage(
      [
        {
          status: "delivered",
          matchKeys: "email",
          journey: "theme_cart",
          count: 7,
        },
        {
          status: "delivered",
          matchKeys: "ttp,email",
          journey: "theme_cart",
          count: 3,
        },
      ],
      { webPixelConnected: true, storefrontSeen: false },
    );
    expect(coverage.journeys).toEqual([
      expect.objectContaining({
        journey: "theme_cart",
        share: 100,
        lackingTtp: 70,
        fix: "app-embed",
        text: expect.stringContaining("turn on the app embed"),
      }),
    ]);
  });

  it(`stays quiet about a journey where fewer than ${LOSS_PERCENT}% lack _ttp, and explains draft/POS orders`, () => {
    const coverage = describeKeyCoverage(
      [
        {
          status: "delivered",
          matchKeys: "ttp",
          journey: "theme_cart",
          count: 85,
        },
        {
          status: "delivered",
          matchKeys: "",
          journey: "theme_cart",
          count: 15,
        },
        {
          status: "pending",
          matchKeys: "email,phone",
          journey: "draft_or_other",
          count: 25,
        },
      ],
      { webPixelConnected: false, storefrontSeen: false },
    );
    expect(coverage.journeys.map((j) => j.journey)).toEqual(["draft_or_other"]);
    expect(coverage.journeys[0]).toMatchObject({ share: 20, fix: null });
    expect(coverage.journeys[0].text).toMatch(
      /^20% of orders were draft, POS or API orders: no shopper browser took part/,
    );
  });

  it("ignores Purchases whose journey is unknown or not one it knows", () => {
    const coverage = describeKeyCoverage(
      [
        { status: "delivered", matchKeys: "email", journey: "", count: 5 },
        {
          status: "delivered",
          matchKeys: "email",
          journey: "__proto__",
          count: 5,
        },
        { status: "delivered", matchKeys: "email", count: 5 },
      ],
      connected,
    );
    expect(coverage.purchases).toBe(15);
    expect(coverage.journeys).toEqual([]);
  });
});
