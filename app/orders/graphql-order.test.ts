import { describe, expect, it } from "vitest";
import {
  addressedOrder,
  BILLING_ADDRESS,
  canadianOrderWithClick,
  germanGuestOrder,
  orderBody,
  simpleOrder,
  SHIPPING_ADDRESS,
  type FixtureOrder,
} from "../../test/fixtures/orders";
import { graphqlFromWebhook } from "../../test/fixtures/graphql-orders";
import { matchKeysOf } from "~/tiktok/match-keys";
import type { TikTokEvent } from "~/tiktok/wire-types";
import {
  fromGraphqlOrder,
  GraphqlOrderError,
  parseGraphqlOrder,
} from "./graphql-order";
import { parseOrder } from "./order";
import {
  mapPurchase,
  orderFilterReason,
  type Attribution,
  type OrderSettings,
} from "./purchase";
import { fromWebhookOrder } from "./shop-order";

const SHOP = "graphql-order.myshopify.com";
const SETTINGS: OrderSettings = {
  purchaseEventName: "Purchase",
  valueSource: "total",
  consentPolicy: "limited",
  skipTestOrders: true,
  skipPosOrders: true,
  skipDraftOrders: true,
  skipSubscriptionRecurringOrders: true,
};
const SESSION: Attribution = {
  sessionKey: "sess_abcdefghijklmnop",
  ttclid: "E.C.P.stored",
  ttp: "2storedTTP",
  ip: "198.51.100.4",
  userAgent: "Mozilla/5.0 (stored session)",
  consent: "granted",
  landingUrl: null,
};

/** Both edges for one order: the webhook body and the GraphQL node Shopify would return for it. */
function bothEdges(fixture: FixtureOrder) {
  const fromWebhook = fromWebhookOrder(parseOrder(orderBody(fixture)));
  const node = JSON.parse(
    JSON.stringify(graphqlFromWebhook(fixture.json, SHOP)),
  ) as unknown;
  const fromGraphql = fromGraphqlOrder(parseGraphqlOrder(node));
  return { fromWebhook, fromGraphql };
}

/** What the GraphQL Order cannot carry (no client_details there): the browser's locale, and its user agent unless a session supplies it. */
function withoutBrowserHeaders(event: TikTokEvent, keepUserAgent: boolean) {
  const { locale: _locale, user_agent, ...user } = event.user ?? {};
  return {
    ...event,
    user: keepUserAgent ? { ...user, user_agent } : user,
  };
}

const FIXTURES: [string, () => FixtureOrder][] = [
  ["Canadian customer from a TikTok ad", () => canadianOrderWithClick()],
  ["German guest, ttclid only in the landing page", () => germanGuestOrder()],
  ["plain web order", () => simpleOrder()],
  [
    "order without client details",
    () => canadianOrderWithClick({ client_details: null }),
  ],
  [
    "billing and shipping addresses",
    () =>
      addressedOrder({
        billing_address: BILLING_ADDRESS,
        shipping_address: SHIPPING_ADDRESS,
      }),
  ],
  [
    "shipping address only",
    () =>
      addressedOrder({
        billing_address: null,
        shipping_address: SHIPPING_ADDRESS,
      }),
  ],
  ["subtotal value, tags", () => simpleOrder({ tags: "vip, gift" })],
  ["test order (filtered)", () => simpleOrder({ test: true })],
  ["point of sale (filtered)", () => simpleOrder({ source_name: "pos" })],
  [
    "subscription renewal (filtered)",
    () => simpleOrder({ tags: "Subscription Recurring Order" }),
  ],
];

describe("GraphQL order and webhook payload make the same Purchase", () => {
  it.each(FIXTURES)("%s", (_name, make) => {
    const fixture = make();
    const { fromWebhook, fromGraphql } = bothEdges(fixture);
    expect(fromGraphql.id).toBe(fixture.id);
    expect(orderFilterReason(fromGraphql, SETTINGS)).toBe(
      orderFilterReason(fromWebhook, SETTINGS),
    );
    for (const attribution of [null, SESSION]) {
      for (const settings of [
        SETTINGS,
        { ...SETTINGS, valueSource: "subtotal", consentPolicy: "skip" },
      ]) {
        const webhook = mapPurchase(SHOP, fromWebhook, attribution, settings);
        const graphql = mapPurchase(SHOP, fromGraphql, attribution, settings);
        expect(graphql.event.event_id).toBe(webhook.event.event_id);
        expect(graphql.event.event_id).toBe(`${fixture.id}_Purchase`);
        expect(graphql.event.properties).toEqual(webhook.event.properties);
        expect(graphql.event.event_time).toBe(webhook.event.event_time);
        expect(graphql.decision).toEqual(webhook.decision);
        expect(graphql.sessionKey).toBe(webhook.sessionKey);
        expect(graphql.customerId).toBe(webhook.customerId);
        // Every identifier equal, hashes included; only the browser headers can differ.
        expect(withoutBrowserHeaders(graphql.event, !!attribution)).toEqual(
          withoutBrowserHeaders(webhook.event, !!attribution),
        );
        if (attribution || !fixture.json.client_details) {
          expect(matchKeysOf(graphql.event)).toEqual(
            matchKeysOf(webhook.event),
          );
        }
      }
    }
  });

  it("a backfilled Purchase carries the same name and address keys as the webhook's", () => {
    const { fromWebhook, fromGraphql } = bothEdges(
      addressedOrder({
        billing_address: BILLING_ADDRESS,
        shipping_address: SHIPPING_ADDRESS,
      }),
    );
    const graphql = mapPurchase(SHOP, fromGraphql, null, SETTINGS);
    expect(graphql.event.user).toMatchObject({
      city: "sanfrancisco",
      state: "ca",
      country: "us",
    });
    expect(matchKeysOf(graphql.event)).toEqual(
      expect.arrayContaining([
        "first_name",
        "last_name",
        "city",
        "state",
        "country",
        "zip_code",
      ]),
    );
    expect(graphql.keySources).toEqual(
      mapPurchase(SHOP, fromWebhook, null, SETTINGS).keySources,
    );
    expect(graphql.keySources.first_name).toBe("billing_address");
  });

  it("an order without client details gives the identical event, field for field", () => {
    const { fromWebhook, fromGraphql } = bothEdges(
      canadianOrderWithClick({ client_details: null }),
    );
    for (const attribution of [null, SESSION])
      expect(mapPurchase(SHOP, fromGraphql, attribution, SETTINGS)).toEqual(
        mapPurchase(SHOP, fromWebhook, attribution, SETTINGS),
      );
  });
});

describe("parseGraphqlOrder", () => {
  it("keeps 18-digit ids exact, as digits", () => {
    const order = fromGraphqlOrder(
      parseGraphqlOrder({
        id: "gid://shopify/Order/9007199254740993123",
        customer: { id: "gid://shopify/Customer/9007199254740993" },
        lineItems: {
          nodes: [
            {
              product: { id: "gid://shopify/Product/9007199254740995" },
              variant: { id: "gid://shopify/ProductVariant/9007199254740997" },
              quantity: 1,
            },
          ],
        },
      }),
    );
    expect(order.id).toBe("9007199254740993123");
    expect(order.customer.id).toBe("9007199254740993");
    expect(order.lineItems[0]).toMatchObject({
      productId: "9007199254740995",
      variantId: "9007199254740997",
    });
  });

  it("refuses a node without a valid order id, drops odd optional fields", () => {
    expect(() => parseGraphqlOrder({ id: "820982911946154508" })).toThrow(
      GraphqlOrderError,
    );
    expect(() => parseGraphqlOrder(null)).toThrow(GraphqlOrderError);
    const order = parseGraphqlOrder({
      id: "gid://shopify/Order/1",
      totalPriceSet: { shopMoney: { amount: "abc", currencyCode: "USD" } },
      tags: "not-a-list",
      customAttributes: [{ key: "_tt_sid", value: "s1" }, 42],
    });
    expect(order.totalPriceSet).toBeUndefined();
    expect(order.tags).toBeUndefined();
    expect(fromGraphqlOrder(order).hints.cartAttributes).toEqual({
      _tt_sid: "s1",
    });
  });
});
