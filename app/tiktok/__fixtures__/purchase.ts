/** Shared test fixtures: a full Purchase (every field set) and the hashes it must carry. */
import { buildEvent, type EventInput } from "../event-builder";
import { hashUserIdentifiers } from "../hashing";
import type { TikTokEvent } from "../wire-types";

// printf %s '<value>' | sha256sum
export const JANE =
  "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d"; // jane@example.com
export const US_PHONE =
  "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928"; // +14155552671
export const SHOPIFY_ID =
  "e98425850f640efda957f97681f58377101a0825117e6358db196232d128ce94"; // 7391043534931

export const UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";

/** Raw input as an order would give it: padded text, numeric ids, decimal strings, an item without id. */
export function fullPurchaseInput(): EventInput {
  return {
    eventName: "Purchase",
    eventId: "5512345678901_Purchase",
    eventTime: new Date("2025-06-01T12:34:56.789Z"),
    user: {
      ...hashUserIdentifiers({
        emails: [" Jane@Example.com "],
        phones: ["(415) 555-2671"],
        externalIds: [7391043534931],
        defaultCountry: "US",
      }),
      ttclid: "E.C.P.v3Abc123",
      ttp: "2aBcDeFgHiJkLmNoPqRsTuVwXyZ",
      ip: "203.0.113.7",
      userAgent: UA,
      locale: "en-US",
    },
    properties: {
      currency: "usd",
      value: "129.90",
      contentType: "product",
      contents: [
        {
          contentId: 44012345678901,
          contentName: "Linen shirt",
          contentCategory: "Shirts",
          price: "49.95",
          quantity: 2,
          brand: "Acme",
        },
        {
          contentId: "44012345678902",
          contentName: "Socks",
          price: 30,
          quantity: 1,
          brand: "",
        },
        {
          contentId: null,
          contentName: "Custom engraving",
          price: 0,
          quantity: 1,
        },
      ],
      orderId: 5512345678901,
      numItems: 3,
    },
    page: {
      url: "https://shop.example.com/checkouts/c/abc/thank-you",
      referrer: "https://shop.example.com/checkouts/c/abc/payment",
    },
    limitedDataUse: true,
  };
}

export function fullPurchase(): TikTokEvent {
  return buildEvent(fullPurchaseInput());
}
