import { describe, expect, it } from "vitest";
import {
  JANE,
  SHOPIFY_ID,
  US_PHONE,
  fullPurchase,
} from "./__fixtures__/purchase";
import { matchKeysOf } from "./match-keys";
import type { TikTokEvent } from "./wire-types";

const base: TikTokEvent = {
  event: "Purchase",
  event_time: 1748781296,
  event_id: "o1",
};

describe("matchKeysOf", () => {
  it("lists every key of a full event in a fixed order", () => {
    expect(matchKeysOf(fullPurchase())).toEqual([
      "ttclid",
      "ttp",
      "email",
      "phone",
      "external_id",
      "ip_ua",
    ]);
  });

  it("names the address keys, in the canonical order, between external_id and ip_ua", () => {
    const event = fullPurchase();
    event.user = {
      ...event.user,
      first_name: JANE,
      last_name: US_PHONE,
      city: "ottawa",
      state: "on",
      country: "ca",
      zip_code: SHOPIFY_ID,
    };
    expect(matchKeysOf(event)).toEqual([
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
    expect(
      matchKeysOf({ ...base, user: { country: "de", zip_code: JANE } }),
    ).toEqual(["country", "zip_code"]);
  });

  it("is empty without a user, and without any usable identifier", () => {
    expect(matchKeysOf(base)).toEqual([]);
    expect(
      matchKeysOf({ ...base, user: { email: [], phone: [], locale: "en-US" } }),
    ).toEqual([]);
  });

  it("counts ip_ua only when both the IP and the user agent are present", () => {
    expect(matchKeysOf({ ...base, user: { ip: "203.0.113.7" } })).toEqual([]);
    expect(
      matchKeysOf({ ...base, user: { user_agent: "Mozilla/5.0" } }),
    ).toEqual([]);
    expect(
      matchKeysOf({
        ...base,
        user: { ip: "203.0.113.7", user_agent: "Mozilla/5.0" },
      }),
    ).toEqual(["ip_ua"]);
  });

  it("names each hashed identifier on its own", () => {
    expect(matchKeysOf({ ...base, user: { phone: [US_PHONE] } })).toEqual([
      "phone",
    ]);
    expect(
      matchKeysOf({
        ...base,
        user: { external_id: [SHOPIFY_ID], email: [JANE] },
      }),
    ).toEqual(["email", "external_id"]);
  });
});
