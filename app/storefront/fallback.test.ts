import { describe, expect, it } from "vitest";
import type { TikTokEvent } from "~/tiktok/wire-types";
import {
  EMBED_EVENT_ID,
  fallbackEvent,
  fallbackEventName,
  sameAction,
} from "./fallback";
import type { FallbackBody } from "./fallback-schema";

const ON = { sendViewContent: true, sendAddToCart: true, sendSearch: true };
const OFF = { sendViewContent: false, sendAddToCart: false, sendSearch: false };

const event = (
  name: string,
  url: string,
  properties?: TikTokEvent["properties"],
): TikTokEvent => ({
  event: name,
  event_id: "x",
  event_time: 1_800_000_000,
  page: { url },
  properties,
});
const shirt = (id: string) => ({
  content_type: "product" as const,
  contents: [{ content_id: id }],
});

describe("fallbackEventName", () => {
  it("maps the four storefront events and follows the shop's switches; the page view has none", () => {
    expect(fallbackEventName("page_viewed", ON)).toBe("Pageview");
    expect(fallbackEventName("product_viewed", ON)).toBe("ViewContent");
    expect(fallbackEventName("product_added_to_cart", ON)).toBe("AddToCart");
    expect(fallbackEventName("search_submitted", ON)).toBe("Search");
    expect(fallbackEventName("page_viewed", OFF)).toBe("Pageview");
    expect(fallbackEventName("product_viewed", OFF)).toBeNull();
    expect(fallbackEventName("product_added_to_cart", OFF)).toBeNull();
    expect(fallbackEventName("search_submitted", OFF)).toBeNull();
  });
});

describe("fallbackEvent", () => {
  const body: FallbackBody = {
    v: 1,
    event: "product_viewed",
    id: "sh-123",
    ts: "2026-12-02T10:00:00.000Z",
    url: "https://shop.example/products/a",
    consent: "granted",
    items: [{ id: "1", q: 1, p: 5 }],
  };
  it("keeps Shopify's id and clamps a time from the future to now", () => {
    const now = new Date("2026-12-02T09:00:00.000Z");
    const built = fallbackEvent("ViewContent", {
      body,
      ip: null,
      userAgent: null,
      now,
    });
    expect(built.event_id).toBe("sh-123");
    expect(built.event_time).toBe(now.getTime() / 1000);
    expect(built.user).toBeUndefined();
    expect(built.properties?.contents).toEqual([
      { content_id: "1", price: 5, quantity: 1 },
    ]);
  });
});

describe("sameAction", () => {
  const page = "https://shop.example/products/a?variant=1";
  it("same event, page path and product: the same action", () => {
    expect(
      sameAction(
        event("ViewContent", "https://shop.example/products/a", shirt("1")),
        event("ViewContent", page, shirt("1")),
      ),
    ).toBe(true);
  });
  it("another event, page or product: not the same", () => {
    const ours = event("ViewContent", page, shirt("1"));
    expect(sameAction(event("AddToCart", page, shirt("1")), ours)).toBe(false);
    expect(
      sameAction(
        event("ViewContent", "https://shop.example/products/b", shirt("1")),
        ours,
      ),
    ).toBe(false);
    expect(sameAction(event("ViewContent", page, shirt("2")), ours)).toBe(
      false,
    );
  });
  it("searches match on their terms, ignoring case", () => {
    const search = (q: string) =>
      event("Search", "https://shop.example/search?q=" + q, { query: q });
    expect(sameAction(search("Linen"), search("linen "))).toBe(true);
    expect(sameAction(search("linen"), search("wool"))).toBe(false);
  });
  it("an unreadable page never matches", () => {
    expect(
      sameAction(
        event("Pageview", "not a url"),
        event("Pageview", "not a url"),
      ),
    ).toBe(false);
  });
});

describe("EMBED_EVENT_ID", () => {
  it("tells the embed's random ids from Shopify's event ids", () => {
    expect(EMBED_EVENT_ID.test("0123456789abcdef0123456789abcdef")).toBe(true);
    expect(EMBED_EVENT_ID.test("sh-88153c5a-8F2D-4CCA-3231-EF5C032A4C3B")).toBe(
      false,
    );
  });
});
