import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { VALUE_SOURCES } from "~/settings/settings-form";
import {
  consentDecision,
  mapPurchase,
  orderFilterReason,
  purchaseEventId,
  storefrontKeys,
  withoutUserData,
  type Attribution,
  type Consent,
  type ConsentPolicy,
  type OrderSettings,
} from "./purchase";
import type { ShopOrder, ShopOrderFlags } from "./shop-order";

const SHOP = "shop-purchase.myshopify.com";
const sha = (value: string) => createHash("sha256").update(value).digest("hex");

const SETTINGS: OrderSettings = {
  purchaseEventName: "Purchase",
  valueSource: "total",
  consentPolicy: "send",
  skipTestOrders: true,
  skipPosOrders: true,
  skipDraftOrders: true,
  skipSubscriptionRecurringOrders: true,
};

const NO_FLAGS: ShopOrderFlags = {
  test: false,
  pointOfSale: false,
  fromDraftOrder: false,
  subscriptionRenewal: false,
};

function shopOrder(overrides: Partial<ShopOrder> = {}): ShopOrder {
  return {
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
        sku: "SKU-1",
        title: "Shirt",
        vendor: "Acme",
        quantity: 2,
        price: "19.99",
      },
    ],
    customer: {
      id: "739012345678901234",
      emails: ["Jane@Example.com"],
      phones: ["+1 613-555-0123"],
      countryCode: "CA",
      address: null,
    },
    hints: {
      cartAttributes: {},
      landingSite: null,
      landingSiteTtclid: null,
      clientIp: "203.0.113.7",
      userAgent: "UA (order)",
      acceptLanguage: "en-US,en;q=0.9",
      checkoutToken: null,
      cartToken: null,
    },
    flags: NO_FLAGS,
    ...overrides,
  };
}

const hints = (over: Partial<ShopOrder["hints"]>) => ({
  hints: { ...shopOrder().hints, ...over },
});

function stored(overrides: Partial<Attribution> = {}): Attribution {
  return {
    sessionKey: "sess_stored000000001",
    ttclid: null,
    ttp: null,
    ip: null,
    userAgent: null,
    consent: "granted",
    landingUrl: null,
    ...overrides,
  };
}

const map = (
  order: ShopOrder,
  attribution: Attribution | null = null,
  settings: Partial<OrderSettings> = {},
) => mapPurchase(SHOP, order, attribution, { ...SETTINGS, ...settings });

describe("orderFilterReason", () => {
  const filters = [
    ["test", "skipTestOrders", "Skipped: test order."],
    ["pointOfSale", "skipPosOrders", "Skipped: point of sale order."],
    [
      "fromDraftOrder",
      "skipDraftOrders",
      "Skipped: created from a draft order.",
    ],
    [
      "subscriptionRenewal",
      "skipSubscriptionRecurringOrders",
      "Skipped: recurring subscription order.",
    ],
  ] as const;
  const cases = filters.flatMap(
    ([flag, setting, reason]) =>
      [
        [flag, true, true, reason],
        [flag, true, false, null],
        [flag, false, true, null],
        [flag, false, false, null],
      ] as const,
  );

  it.each(cases)(
    "%s order=%s, filter on=%s → %j",
    (flag, flagged, filterOn, reason) => {
      const setting = filters.find(([f]) => f === flag)![1];
      const order = shopOrder({ flags: { ...NO_FLAGS, [flag]: flagged } });
      expect(
        orderFilterReason(order, { ...SETTINGS, [setting]: filterOn }),
      ).toBe(reason);
    },
  );

  it("an order that is everything is let through when every filter is off", () => {
    const order = shopOrder({
      flags: {
        test: true,
        pointOfSale: true,
        fromDraftOrder: true,
        subscriptionRenewal: true,
      },
    });
    const off = {
      ...SETTINGS,
      skipTestOrders: false,
      skipPosOrders: false,
      skipDraftOrders: false,
      skipSubscriptionRecurringOrders: false,
    };
    expect(orderFilterReason(order, off)).toBeNull();
  });
});

describe("consent", () => {
  const cases: [
    Consent,
    ConsentPolicy,
    { send: boolean; limited?: boolean; reason?: RegExp },
  ][] = [
    ["granted", "send", { send: true, limited: false }],
    ["granted", "limited", { send: true, limited: false }],
    ["granted", "skip", { send: true, limited: false }],
    ["denied", "send", { send: false, reason: /declined/ }],
    ["denied", "limited", { send: false, reason: /declined/ }],
    ["denied", "skip", { send: false, reason: /declined/ }],
    ["unknown", "send", { send: true, limited: false }],
    ["unknown", "limited", { send: true, limited: true }],
    ["unknown", "skip", { send: false, reason: /unknown/ }],
  ];

  it.each(cases)("consent %s, policy %s", (consent, policy, expected) => {
    const decision = consentDecision(consent, policy);
    expect(decision.send).toBe(expected.send);
    if (decision.send) expect(decision.limitedDataUse).toBe(expected.limited);
    else expect(decision.reason).toMatch(expected.reason!);

    // The mapping carries the same decision, and marks limited data use on the event itself.
    const mapping = map(
      shopOrder(),
      consent === "unknown" ? null : stored({ consent }),
      { consentPolicy: policy },
    );
    expect(mapping.decision).toEqual(decision);
    expect(mapping.event.limited_data_use).toBe(
      expected.limited ? true : undefined,
    );
  });

  it("without a stored session the consent is unknown", () => {
    expect(
      map(shopOrder(), null, { consentPolicy: "skip" }).decision,
    ).toMatchObject({ send: false });
  });
});

describe("value source", () => {
  const cases: [string, ShopOrder["amounts"], number | undefined][] = [
    ["total", { total: "49.98", subtotal: "44.98" }, 49.98],
    ["subtotal", { total: "49.98", subtotal: "44.98" }, 44.98],
    ["subtotal", { total: "49.98", subtotal: null }, 49.98], // falls back to the total
    ["total", { total: null, subtotal: "44.98" }, undefined],
    ["total", { total: "0.00", subtotal: "0.00" }, 0],
    ["something-else", { total: "49.98", subtotal: "44.98" }, 49.98],
  ];

  it.each(cases)(
    "valueSource %s with %j → %s",
    (valueSource, amounts, value) => {
      expect(
        map(shopOrder({ amounts }), null, { valueSource }).event.properties
          ?.value,
      ).toBe(value);
    },
  );

  it("every value source the settings offer has a case", () => {
    for (const source of VALUE_SOURCES)
      expect(
        cases.some(([s]) => s === source),
        source,
      ).toBe(true);
  });
});

describe("ttclid and ttp precedence: cart attribute, then stored session, then landing page", () => {
  const cases: [
    string,
    Record<string, string>,
    Partial<Attribution> | null,
    string | null,
    string | undefined,
  ][] = [
    [
      "cart attribute beats the stored session and the landing page",
      { _tt_ttclid: "E.C.P.cart" },
      { ttclid: "E.C.P.stored" },
      "E.C.P.landing",
      "E.C.P.cart",
    ],
    [
      "cart attribute beats the landing page",
      { _tt_ttclid: "E.C.P.cart" },
      null,
      "E.C.P.landing",
      "E.C.P.cart",
    ],
    [
      "stored session beats the landing page",
      {},
      { ttclid: "E.C.P.stored" },
      "E.C.P.landing",
      "E.C.P.stored",
    ],
    ["landing page alone", {}, null, "E.C.P.landing", "E.C.P.landing"],
    [
      "landing page when the session has none",
      {},
      { ttclid: null },
      "E.C.P.landing",
      "E.C.P.landing",
    ],
    [
      "a cart attribute not shaped like ours is ignored",
      { _tt_ttclid: "has space" },
      null,
      "E.C.P.landing",
      "E.C.P.landing",
    ],
    ["none at all", {}, null, null, undefined],
  ];
  it.each(cases)(
    "%s",
    (_label, cartAttributes, session, landingSiteTtclid, ttclid) => {
      const order = shopOrder(hints({ cartAttributes, landingSiteTtclid }));
      expect(map(order, session && stored(session)).event.user?.ttclid).toBe(
        ttclid,
      );
    },
  );

  it.each([
    [{ _ttp: "ttp-cart" }, { ttp: "ttp-stored" }, "ttp-cart"],
    [{}, { ttp: "ttp-stored" }, "ttp-stored"],
    [{}, null, undefined],
  ])("ttp: cart %j, session %j → %s", (cartAttributes, session, ttp) => {
    expect(
      map(shopOrder(hints({ cartAttributes })), session && stored(session))
        .event.user?.ttp,
    ).toBe(ttp);
  });
});

describe("stored session vs order hints", () => {
  const order = shopOrder(
    hints({
      landingSite: "/products/shirt?ttclid=x",
      cartAttributes: { _tt_sid: "sess_fromcart0000001" },
    }),
  );
  const cases: [string, Attribution | null, Record<string, unknown>][] = [
    [
      "the session's IP, user agent and landing URL win",
      stored({
        ip: "198.51.100.20",
        userAgent: "UA (session)",
        landingUrl: "https://shop.example/landing",
      }),
      {
        ip: "198.51.100.20",
        userAgent: "UA (session)",
        url: "https://shop.example/landing",
        sessionKey: "sess_stored000000001",
      },
    ],
    [
      "a session without them falls back to the order",
      stored({ sessionKey: "sess_stored000000001" }),
      {
        ip: "203.0.113.7",
        userAgent: "UA (order)",
        url: `https://${SHOP}/products/shirt?ttclid=x`,
        sessionKey: "sess_stored000000001",
      },
    ],
    [
      "no session: the order's hints and the cart attribute's session key",
      null,
      {
        ip: "203.0.113.7",
        userAgent: "UA (order)",
        url: `https://${SHOP}/products/shirt?ttclid=x`,
        sessionKey: "sess_fromcart0000001",
      },
    ],
  ];
  it.each(cases)("%s", (_label, attribution, expected) => {
    const mapping = map(order, attribution);
    expect({
      ip: mapping.event.user?.ip,
      userAgent: mapping.event.user?.user_agent,
      url: mapping.event.page?.url,
      sessionKey: mapping.sessionKey,
    }).toEqual(expected);
  });

  it.each([
    [
      "an absolute landing URL is kept",
      "https://other.example/x?y=1",
      "https://other.example/x?y=1",
    ],
    ["a non-web landing URL is dropped", "ftp://files.example/x", undefined],
    ["no landing site, no page", null, undefined],
  ])("%s", (_label, landingSite, url) => {
    expect(map(shopOrder(hints({ landingSite }))).event.page?.url).toBe(url);
  });
});

describe("ids", () => {
  it.each([
    ["820982911946154508", "739012345678901234"],
    ["9007199254740993", "9007199254740993"],
    ["1", "2"],
  ])(
    "order %s / customer %s keep every digit in event_id, order_id and external_id",
    (orderId, customerId) => {
      const order = shopOrder({
        id: orderId,
        customer: { ...shopOrder().customer, id: customerId },
      });
      const { event, customerId: mappedCustomer } = map(order);
      expect(event.event_id).toBe(`${orderId}_Purchase`);
      expect(event.properties?.order_id).toBe(orderId);
      expect(event.user?.external_id).toEqual([sha(customerId)]);
      expect(mappedCustomer).toBe(customerId);
    },
  );

  it.each([
    ["Purchase", "820982911946154508_Purchase"],
    ["CompletePayment", "820982911946154508_CompletePayment"],
    ["PlaceAnOrder", "820982911946154508_PlaceAnOrder"],
    ["", "820982911946154508_Purchase"],
  ])("event name %j → event id %s", (purchaseEventName, eventId) => {
    const { event } = map(shopOrder(), null, { purchaseEventName });
    expect(event.event_id).toBe(eventId);
    expect(event.event).toBe(eventId.split("_")[1]);
    expect(
      purchaseEventId(
        SHOP,
        "820982911946154508",
        purchaseEventName || undefined,
      ),
    ).toBe(eventId);
  });
});

describe("customer keys", () => {
  const cases: [string, ShopOrder["customer"], string[]][] = [
    [
      "all keys",
      {
        id: "7",
        emails: ["Jane@Example.com"],
        phones: ["+1 613-555-0123"],
        countryCode: "CA",
        address: null,
      },
      ["email", "phone", "external_id"],
    ],
    [
      "no customer (guest)",
      {
        id: null,
        emails: ["a@b.io"],
        phones: ["+16135550123"],
        countryCode: null,
        address: null,
      },
      ["email", "phone"],
    ],
    [
      "no email",
      {
        id: "7",
        emails: [],
        phones: ["+16135550123"],
        countryCode: null,
        address: null,
      },
      ["phone", "external_id"],
    ],
    [
      "no phone",
      {
        id: "7",
        emails: ["a@b.io"],
        phones: [],
        countryCode: null,
        address: null,
      },
      ["email", "external_id"],
    ],
    [
      "nothing",
      { id: null, emails: [], phones: [], countryCode: null, address: null },
      [],
    ],
  ];
  it.each(cases)("%s", (_label, customer, keys) => {
    const user = map(shopOrder({ customer })).event.user ?? {};
    for (const key of ["email", "phone", "external_id"] as const) {
      expect(user[key] !== undefined, key).toBe(keys.includes(key));
    }
  });

  it("hashes normalised email and E.164 phone, deduplicated; the national phone uses the order's country", () => {
    const customer = {
      id: null,
      emails: [" Jane@Example.com ", "jane@example.com"],
      phones: ["(613) 555-0123"],
      countryCode: "CA",
      address: null,
    };
    const user = map(shopOrder({ customer })).event.user;
    expect(user?.email).toEqual([sha("jane@example.com")]);
    expect(user?.phone).toEqual([sha("+16135550123")]);
    expect(JSON.stringify(user)).not.toMatch(/Jane|613/);
  });
});

describe("name and address keys", () => {
  // printf '%s' '<normalised>' | sha256sum
  const JOSE =
    "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866"; // josé
  const MULLER =
    "5d111567d02391abb8602b6a6498465eb1edf98eb6ba46fa5bd2f2d69351a514"; // müllerlüdenscheidt
  const ZIP_PLUS4 =
    "8419808b12022b49f3b3724a6a2a8f3f8798fdf48376fbe8722a6de43fa3c5a9"; // 94105-1234
  const customer: ShopOrder["customer"] = {
    id: "7",
    emails: [],
    phones: [],
    countryCode: "US",
    address: {
      source: "shipping_address",
      firstName: "  José ",
      lastName: "Müller-Lüdenscheidt",
      city: "San Francisco",
      provinceCode: "CA",
      countryCode: "US",
      zip: "94105-1234",
    },
  };

  it("hashes names and postal code, sends city/state/country plain, and records the address they came from", () => {
    const mapping = map(shopOrder({ customer }));
    expect(mapping.event.user).toMatchObject({
      first_name: JOSE,
      last_name: MULLER,
      city: "sanfrancisco",
      state: "ca",
      country: "us",
      zip_code: ZIP_PLUS4,
    });
    expect(mapping.keySources).toMatchObject({
      external_id: "order",
      first_name: "shipping_address",
      last_name: "shipping_address",
      city: "shipping_address",
      state: "shipping_address",
      country: "shipping_address",
      zip_code: "shipping_address",
    });
    expect(JSON.stringify(mapping.event)).not.toMatch(/José|Müller|94105/);
  });

  it("omits the keys an address lacks, and their sources", () => {
    const mapping = map(
      shopOrder({
        customer: {
          ...customer,
          address: {
            source: "billing_address",
            firstName: null,
            lastName: "",
            city: null,
            provinceCode: null,
            countryCode: "DE",
            zip: null,
          },
        },
      }),
    );
    const user = mapping.event.user ?? {};
    for (const key of ["first_name", "last_name", "city", "state", "zip_code"])
      expect(key in user, key).toBe(false);
    expect(user.country).toBe("de");
    expect(mapping.keySources).toEqual({
      external_id: "order",
      country: "billing_address",
      ip: "order",
      user_agent: "order",
    });
  });
});

describe("properties", () => {
  it("maps line items: variant, then product, then SKU as the content id; items without any are dropped", () => {
    const item = {
      productId: null,
      variantId: null,
      sku: null,
      title: "T",
      vendor: null,
      quantity: 1,
      price: "1.00",
    };
    const order = shopOrder({
      currency: "EUR",
      lineItems: [
        { ...item, variantId: "808950810123456789", productId: "1", sku: "S" },
        { ...item, productId: "9007199254740993", sku: "S" },
        {
          ...item,
          sku: "SKU-ONLY",
          quantity: 3,
          price: "2.50",
          vendor: "Brand",
        },
        { ...item, title: "No id", quantity: 4 },
      ],
    });
    const { properties } = map(order).event;
    expect(properties).toMatchObject({
      currency: "EUR",
      content_type: "product",
      num_items: 9,
    });
    expect(properties?.contents).toEqual([
      {
        content_id: "808950810123456789",
        content_name: "T",
        price: 1,
        quantity: 1,
      },
      {
        content_id: "9007199254740993",
        content_name: "T",
        price: 1,
        quantity: 1,
      },
      {
        content_id: "SKU-ONLY",
        content_name: "T",
        price: 2.5,
        quantity: 3,
        brand: "Brand",
      },
    ]);
  });

  it.each([
    ["en-US,en;q=0.9", "en-US"],
    ["de-DE", "de-DE"],
    ["*", undefined],
    [null, undefined],
  ])("accept-language %j → locale %j", (acceptLanguage, locale) => {
    expect(map(shopOrder(hints({ acceptLanguage }))).event.user?.locale).toBe(
      locale,
    );
  });

  it.each([
    [new Date("2026-11-20T15:15:30Z"), 1795187730],
    [new Date("2026-11-20T15:15:30.999Z"), 1795187730],
  ])("event time from createdAt %s", (createdAt, seconds) => {
    expect(map(shopOrder({ createdAt })).event.event_time).toBe(seconds);
  });

  it("an order without createdAt is stamped now", () => {
    const before = Math.floor(Date.now() / 1000);
    const time = map(shopOrder({ createdAt: null })).event.event_time;
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });
});

describe("storefrontKeys and withoutUserData", () => {
  it.each([
    [
      { _tt_sid: "sess_1", _tt_ttclid: "E.C.P.1", _ttp: "ttp1" },
      { sessionKey: "sess_1", ttclid: "E.C.P.1", ttp: "ttp1" },
    ],
    [{ _tt_sid: "has space" }, { sessionKey: null, ttclid: null, ttp: null }],
    [{ _tt_sid: "sess_é" }, { sessionKey: null, ttclid: null, ttp: null }],
    [
      { _tt_sid: "x".repeat(513) },
      { sessionKey: null, ttclid: null, ttp: null },
    ],
    [
      { _tt_sid: "x".repeat(512) },
      { sessionKey: "x".repeat(512), ttclid: null, ttp: null },
    ],
    [{ other: "sess_1" }, { sessionKey: null, ttclid: null, ttp: null }],
  ])("%j", (cartAttributes, keys) => {
    expect(storefrontKeys(shopOrder(hints({ cartAttributes })))).toEqual(keys);
  });

  it("a skipped delivery's event keeps no identifiers", () => {
    const { event } = map(
      shopOrder(hints({ landingSite: "/x" })),
      stored({ ttclid: "E.C.P.1" }),
    );
    expect(event.user).toBeDefined();
    expect(event.page).toBeDefined();
    const bare = withoutUserData(event);
    expect(bare.user).toBeUndefined();
    expect(bare.page).toBeUndefined();
    expect(bare).toMatchObject({
      event: "Purchase",
      event_id: event.event_id,
      properties: event.properties,
    });
  });
});
