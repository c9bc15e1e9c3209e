import { describe, expect, it } from "vitest";
import {
  canadianOrderWithClick,
  germanGuestOrder,
  orderBody,
  type FixtureOrder,
} from "../../test/fixtures/orders";
import { parseOrder } from "./order";
import {
  cartAttribute,
  cartAttributesFrom,
  fromWebhookOrder,
  orderFlags,
  ttclidFromLandingSite,
  type ShopOrder,
} from "./shop-order";

const fromJson = (json: Record<string, unknown>) =>
  fromWebhookOrder(parseOrder(JSON.stringify({ id: "1001", ...json })));
/** As Shopify sends it: id fields as bare JSON numbers, even above 2^53. */
const fromShopifyOrder = (order: FixtureOrder) =>
  fromWebhookOrder(parseOrder(orderBody(order)));

describe("fromWebhookOrder: whole orders", () => {
  it("maps the Canadian order with a click to every ShopOrder field", () => {
    expect(fromShopifyOrder(canadianOrderWithClick())).toEqual<ShopOrder>({
      id: "820982911946154508",
      name: "#1001",
      createdAt: new Date("2026-11-20T15:15:30Z"),
      processedAt: null,
      currency: "USD",
      amounts: { total: "49.98", subtotal: "44.98" },
      lineItems: [
        {
          productId: "632910392",
          variantId: "808950810123456",
          sku: "SKU-3456",
          title: "Organic Cotton Shirt",
          vendor: "Acme",
          quantity: 2,
          price: "19.99",
        },
        {
          productId: "632910393",
          variantId: "808950810999999",
          sku: "SKU-9999",
          title: "Sticker",
          vendor: "Acme",
          quantity: 1,
          price: "5.00",
        },
      ],
      customer: {
        id: "7390123456789",
        emails: [
          " Jane.Doe@Example.com ",
          "jane.doe@example.com",
          "jane.doe@example.com",
        ],
        phones: ["(613) 555-0123", "+1 613-555-0123", "613 555 0123"],
        countryCode: "CA",
        address: {
          source: "billing_address",
          firstName: "Jane",
          lastName: "Doe",
          city: null,
          provinceCode: null,
          countryCode: "CA",
          zip: "K1A 0B1",
        },
      },
      hints: {
        cartAttributes: {
          _tt_sid: "sess_abcdefghijklmnop",
          _tt_ttclid: "E.C.P.clickid123",
          _ttp: "2abcDEFghiJKLmnoPQRstuVWXyz",
        },
        landingSite: "/products/shirt?ttclid=E.C.P.fromlanding",
        landingSiteTtclid: "E.C.P.fromlanding",
        clientIp: "203.0.113.7",
        userAgent: "Mozilla/5.0 (order)",
        acceptLanguage: "en-US,en;q=0.9",
        checkoutToken: "ck-123",
        cartToken: "c1-7f3c2a",
      },
      flags: {
        test: false,
        pointOfSale: false,
        fromDraftOrder: false,
        subscriptionRenewal: false,
      },
    });
  });

  it("maps the German guest order: no customer id, ttclid only on the landing page", () => {
    const order = fromShopifyOrder(germanGuestOrder());
    expect(order.customer).toEqual({
      id: null,
      emails: ["HANS@example.de"],
      phones: ["0049 151 23456789", "+49 151 23456789"],
      countryCode: "DE",
      address: {
        source: "billing_address",
        firstName: null,
        lastName: null,
        city: null,
        provinceCode: null,
        countryCode: "DE",
        zip: null,
      },
    });
    expect(order.hints).toMatchObject({
      cartAttributes: {},
      landingSiteTtclid: "E.C.P.landing999",
      cartToken: null,
      checkoutToken: null,
    });
    expect(order.amounts).toEqual({ total: "120.00", subtotal: "100.00" });
    expect(order.currency).toBe("EUR");
  });
});

describe("fromWebhookOrder: field by field", () => {
  const cases: [
    string,
    Record<string, unknown>,
    (order: ShopOrder) => unknown,
    unknown,
  ][] = [
    // ids
    [
      "order id from the gid",
      { admin_graphql_api_id: "gid://shopify/Order/820982911946154508" },
      (o) => o.id,
      "820982911946154508",
    ],
    [
      "customer id from its gid first",
      {
        customer: {
          id: "1",
          admin_graphql_api_id: "gid://shopify/Customer/739012345678901234",
        },
      },
      (o) => o.customer.id,
      "739012345678901234",
    ],
    [
      "customer id from id when the gid is not a customer gid",
      { customer: { id: "42", admin_graphql_api_id: "gid://shopify/Order/9" } },
      (o) => o.customer.id,
      "42",
    ],
    [
      "no customer",
      { customer: null },
      (o) => o.customer,
      { id: null, emails: [], phones: [], countryCode: null, address: null },
    ],
    // name and times
    ["name missing", {}, (o) => o.name, null],
    [
      "created and processed times",
      {
        created_at: "2026-11-20T10:15:30-05:00",
        processed_at: "2026-11-20T10:15:31-05:00",
      },
      (o) => [o.createdAt?.toISOString(), o.processedAt?.toISOString()],
      ["2026-11-20T15:15:30.000Z", "2026-11-20T15:15:31.000Z"],
    ],
    [
      "an unreadable created_at",
      { created_at: "yesterday-ish" },
      (o) => o.createdAt,
      null,
    ],
    // money
    [
      "amounts stay exact strings",
      { total_price: "123456789012345.1234567891", subtotal_price: "0.10" },
      (o) => o.amounts,
      { total: "123456789012345.1234567891", subtotal: "0.10" },
    ],
    ["missing amounts", {}, (o) => o.amounts, { total: null, subtotal: null }],
    ["currency", { currency: "JPY" }, (o) => o.currency, "JPY"],
    // line items
    [
      "line item fields",
      {
        line_items: [
          {
            product_id: "9007199254740993",
            variant_id: "808950810123456789",
            sku: "S-1",
            title: "T",
            vendor: "V",
            quantity: 4,
            price: "2.50",
          },
        ],
      },
      (o) => o.lineItems,
      [
        {
          productId: "9007199254740993",
          variantId: "808950810123456789",
          sku: "S-1",
          title: "T",
          vendor: "V",
          quantity: 4,
          price: "2.50",
        },
      ],
    ],
    [
      "an empty line item",
      { line_items: [{ sku: "" }] },
      (o) => o.lineItems,
      [
        {
          productId: null,
          variantId: null,
          sku: null,
          title: null,
          vendor: null,
          quantity: null,
          price: null,
        },
      ],
    ],
    ["no line items", {}, (o) => o.lineItems, []],
    // customer keys
    [
      "emails: order, contact, customer",
      {
        email: "a@x.io",
        contact_email: "b@x.io",
        customer: { email: "c@x.io" },
      },
      (o) => o.customer.emails,
      ["a@x.io", "b@x.io", "c@x.io"],
    ],
    [
      "blank emails are left out",
      { email: "  ", contact_email: null },
      (o) => o.customer.emails,
      [],
    ],
    [
      "phones: order, customer, billing, shipping",
      {
        phone: "1",
        customer: { phone: "2" },
        billing_address: { phone: "3" },
        shipping_address: { phone: "4" },
      },
      (o) => o.customer.phones,
      ["1", "2", "3", "4"],
    ],
    [
      "country from billing first",
      {
        billing_address: { country_code: "ca" },
        shipping_address: { country_code: "US" },
      },
      (o) => o.customer.countryCode,
      "CA",
    ],
    [
      "country from shipping without billing",
      { shipping_address: { country_code: "US" } },
      (o) => o.customer.countryCode,
      "US",
    ],
    // name and address: one whole address, billing first
    [
      "name and address from billing, not mixed with shipping",
      {
        billing_address: {
          first_name: "Ann",
          zip: "10115",
          country_code: "DE",
        },
        shipping_address: {
          first_name: "Bob",
          city: "Paris",
          country_code: "FR",
        },
      },
      (o) => o.customer.address,
      {
        source: "billing_address",
        firstName: "Ann",
        lastName: null,
        city: null,
        provinceCode: null,
        countryCode: "DE",
        zip: "10115",
      },
    ],
    [
      "name and address from shipping when billing is missing",
      {
        billing_address: null,
        shipping_address: {
          first_name: "Bob",
          last_name: "Li",
          city: "Paris",
          province_code: "IDF",
          country_code: "FR",
          zip: "75001",
        },
      },
      (o) => o.customer.address,
      {
        source: "shipping_address",
        firstName: "Bob",
        lastName: "Li",
        city: "Paris",
        provinceCode: "IDF",
        countryCode: "FR",
        zip: "75001",
      },
    ],
    [
      "a billing address with nothing but blanks counts as missing",
      {
        billing_address: { first_name: " ", phone: "1" },
        shipping_address: { city: "Paris" },
      },
      (o) => o.customer.address?.source,
      "shipping_address",
    ],
    [
      "no address at all",
      { billing_address: null, shipping_address: null },
      (o) => o.customer.address,
      null,
    ],
    // attribution hints
    [
      "note attributes become cart attributes, trimmed",
      {
        note_attributes: [
          { name: "_tt_sid", value: " s1 " },
          { name: "gift", value: "yes" },
        ],
      },
      (o) => o.hints.cartAttributes,
      { _tt_sid: "s1", gift: "yes" },
    ],
    [
      "the first value of a repeated attribute wins",
      {
        note_attributes: [
          { name: "_ttp", value: "first" },
          { name: "_ttp", value: "second" },
        ],
      },
      (o) => o.hints.cartAttributes,
      { _ttp: "first" },
    ],
    [
      "an attribute named __proto__ is plain data",
      { note_attributes: [{ name: "__proto__", value: "x" }] },
      (o) => [
        Object.keys(o.hints.cartAttributes),
        cartAttribute(o, "__proto__"),
      ],
      [["__proto__"], "x"],
    ],
    [
      "null and blank attribute values are left out",
      {
        note_attributes: [
          { name: "a", value: null },
          { name: "b", value: " " },
          { name: "b", value: "later" },
        ],
      },
      (o) => o.hints.cartAttributes,
      { b: "later" },
    ],
    [
      "landing-site ttclid",
      { landing_site: "/?utm_source=tiktok&ttclid=E.C.P.abc" },
      (o) => [o.hints.landingSite, o.hints.landingSiteTtclid],
      ["/?utm_source=tiktok&ttclid=E.C.P.abc", "E.C.P.abc"],
    ],
    [
      "landing site without ttclid",
      { landing_site: "/products/x" },
      (o) => o.hints.landingSiteTtclid,
      null,
    ],
    [
      "client details",
      {
        browser_ip: "2001:db8::1",
        client_details: { user_agent: "UA", accept_language: "de-DE" },
      },
      (o) => [o.hints.clientIp, o.hints.userAgent, o.hints.acceptLanguage],
      ["2001:db8::1", "UA", "de-DE"],
    ],
    [
      "no client details",
      { client_details: null },
      (o) => [o.hints.clientIp, o.hints.userAgent, o.hints.acceptLanguage],
      [null, null, null],
    ],
    [
      "cart token loses its ?key= secret",
      { cart_token: "c1-abc?key=secret" },
      (o) => o.hints.cartToken,
      "c1-abc",
    ],
    [
      "a cart token that is only a key",
      { cart_token: "?key=secret" },
      (o) => o.hints.cartToken,
      null,
    ],
    [
      "checkout token",
      { checkout_token: "ck-9" },
      (o) => o.hints.checkoutToken,
      "ck-9",
    ],
    // flags
    ["test order", { test: true }, (o) => o.flags.test, true],
    ["POS", { source_name: "pos" }, (o) => o.flags.pointOfSale, true],
    [
      "draft order",
      { source_name: "shopify_draft_order" },
      (o) => o.flags.fromDraftOrder,
      true,
    ],
    [
      "subscription renewal by tag",
      { tags: "VIP, Subscription Recurring Order" },
      (o) => o.flags.subscriptionRenewal,
      true,
    ],
    [
      "plain web order",
      { source_name: "web", tags: "VIP" },
      (o) => o.flags,
      {
        test: false,
        pointOfSale: false,
        fromDraftOrder: false,
        subscriptionRenewal: false,
      },
    ],
  ];
  it.each(cases)("%s", (_label, json, read, expected) => {
    expect(read(fromJson(json))).toEqual(expected);
  });

  it.each(["820982911946154508", "9007199254740993", "18446744073709551615"])(
    "order id %s sent as a bare number stays exact",
    (id) => {
      expect(fromShopifyOrder({ id, json: { id } }).id).toBe(id);
    },
  );
});

describe("orderFlags", () => {
  it.each([
    [
      { test: true, sourceName: null, tags: [] },
      {
        test: true,
        pointOfSale: false,
        fromDraftOrder: false,
        subscriptionRenewal: false,
      },
    ],
    [
      { test: false, sourceName: "POS", tags: [] },
      {
        test: false,
        pointOfSale: true,
        fromDraftOrder: false,
        subscriptionRenewal: false,
      },
    ],
    [
      { test: false, sourceName: "shopify_draft_order", tags: [] },
      {
        test: false,
        pointOfSale: false,
        fromDraftOrder: true,
        subscriptionRenewal: false,
      },
    ],
    [
      { test: false, sourceName: "subscription_contract", tags: [] },
      {
        test: false,
        pointOfSale: false,
        fromDraftOrder: false,
        subscriptionRenewal: true,
      },
    ],
    [
      {
        test: false,
        sourceName: "subscription_contract_checkout_one",
        tags: [],
      },
      {
        test: false,
        pointOfSale: false,
        fromDraftOrder: false,
        subscriptionRenewal: true,
      },
    ],
    [
      {
        test: false,
        sourceName: "web",
        tags: [" subscription recurring order "],
      },
      {
        test: false,
        pointOfSale: false,
        fromDraftOrder: false,
        subscriptionRenewal: true,
      },
    ],
    [
      { test: false, sourceName: "web", tags: ["subscription"] },
      {
        test: false,
        pointOfSale: false,
        fromDraftOrder: false,
        subscriptionRenewal: false,
      },
    ],
  ])("%j", (input, flags) => {
    expect(orderFlags(input)).toEqual(flags);
  });
});

describe("attribution helpers", () => {
  it.each([
    ["/products/shirt?ttclid=E.C.P.x", "E.C.P.x"],
    ["https://shop.example/?ttclid=%20E.C.P.y%20", "E.C.P.y"],
    ["/?ttclid=", null],
    ["/no-query", null],
    ["http://[bad", null],
    [null, null],
  ])("ttclidFromLandingSite(%j) = %j", (landingSite, ttclid) => {
    expect(ttclidFromLandingSite(landingSite)).toBe(ttclid);
  });

  it.each([
    ["_tt_sid", "s1"],
    ["missing", null],
    ["constructor", null], // never an inherited property
    ["__proto__", null],
  ])("cartAttribute(%j) = %j", (key, value) => {
    const order = {
      hints: {
        cartAttributes: cartAttributesFrom([{ key: "_tt_sid", value: "s1" }]),
      },
    } as Pick<ShopOrder, "hints">;
    expect(cartAttribute(order, key)).toBe(value);
  });
});
