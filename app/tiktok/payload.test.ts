import { describe, expect, it } from "vitest";
import { hashUserIdentifiers } from "./hashing";
import {
  buildEvent,
  buildTrackBody,
  matchKeysOf,
  PARTNER_NAME,
  validateEvent,
  validateTrackBody,
  type TikTokEvent,
} from "./payload";
import {
  eventNameFor,
  isSupportedCurrency,
  STANDARD_EVENTS,
  SUPPORTED_CURRENCIES,
} from "./events";

// printf %s '<value>' | sha256sum
const JANE = "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d"; // jane@example.com
const US_PHONE =
  "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928"; // +14155552671
const SHOPIFY_ID =
  "e98425850f640efda957f97681f58377101a0825117e6358db196232d128ce94"; // 7391043534931

const UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";

function purchase(): TikTokEvent {
  return buildEvent({
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
  });
}

describe("buildEvent", () => {
  it("builds the exact JSON of a full Purchase", () => {
    const expected =
      "{" +
      '"event":"Purchase",' +
      '"event_time":1748781296,' +
      '"event_id":"5512345678901_Purchase",' +
      '"user":{' +
      '"ttclid":"E.C.P.v3Abc123",' +
      '"ttp":"2aBcDeFgHiJkLmNoPqRsTuVwXyZ",' +
      `"email":["${JANE}"],` +
      `"phone":["${US_PHONE}"],` +
      `"external_id":["${SHOPIFY_ID}"],` +
      '"ip":"203.0.113.7",' +
      `"user_agent":"${UA}",` +
      '"locale":"en-US"},' +
      '"properties":{' +
      '"currency":"USD",' +
      '"value":129.9,' +
      '"content_type":"product",' +
      '"contents":[' +
      '{"content_id":"44012345678901","content_name":"Linen shirt","content_category":"Shirts","price":49.95,"quantity":2,"brand":"Acme"},' +
      '{"content_id":"44012345678902","content_name":"Socks","price":30,"quantity":1}],' +
      '"order_id":"5512345678901",' +
      '"num_items":3},' +
      '"page":{"url":"https://shop.example.com/checkouts/c/abc/thank-you","referrer":"https://shop.example.com/checkouts/c/abc/payment"},' +
      '"limited_data_use":true' +
      "}";
    const event = purchase();
    expect(JSON.stringify(event)).toBe(expected);
    // Types, spelled out.
    expect(typeof event.event_id).toBe("string");
    expect(Number.isInteger(event.event_time)).toBe(true);
    expect(typeof event.properties?.value).toBe("number");
    expect(typeof event.properties?.order_id).toBe("string");
    expect(
      event.properties?.contents?.every(
        (c) => typeof c.content_id === "string",
      ),
    ).toBe(true);
    expect(validateEvent(event)).toEqual([]);
  });

  it("builds a minimal ViewContent: empty values omitted, value 0 kept", () => {
    const event = buildEvent({
      eventName: "ViewContent",
      eventId: "vc_8f14e45f",
      eventTime: 1748781296,
      user: {
        ttclid: "",
        ttp: "2aBcDeFgHiJkLmNoPqRsTuVwXyZ",
        ip: "  ",
        userAgent: null,
        locale: "",
      },
      properties: {
        currency: "EUR",
        value: 0,
        contentType: "product_group",
        contents: [
          { contentId: 8001234567, contentName: "Linen shirt", price: 0 },
        ],
        orderId: null,
        query: "",
      },
      page: {
        url: "https://shop.example.com/products/linen-shirt",
        referrer: "",
      },
      limitedDataUse: false,
    });
    expect(JSON.stringify(event)).toBe(
      '{"event":"ViewContent","event_time":1748781296,"event_id":"vc_8f14e45f",' +
        '"user":{"ttp":"2aBcDeFgHiJkLmNoPqRsTuVwXyZ"},' +
        '"properties":{"currency":"EUR","value":0,"content_type":"product_group",' +
        '"contents":[{"content_id":"8001234567","content_name":"Linen shirt","price":0}]},' +
        '"page":{"url":"https://shop.example.com/products/linen-shirt"}}',
    );
    expect(validateEvent(event)).toEqual([]);
  });

  it("builds an AddToCart with numeric ids as strings and fractional seconds floored", () => {
    const event = buildEvent({
      eventName: "AddToCart",
      eventId: 987654321,
      eventTime: 1748781296.999,
      user: {
        ...hashUserIdentifiers({ emails: ["jane@example.com"] }),
        ip: "2001:db8::1",
        userAgent: UA,
      },
      properties: {
        currency: "GBP",
        value: 24.5,
        contentType: "product",
        contents: [
          { contentId: 44012345678901, price: "12.25", quantity: "2" },
        ],
      },
    });
    expect(event).toEqual({
      event: "AddToCart",
      event_time: 1748781296,
      event_id: "987654321",
      user: { email: [JANE], ip: "2001:db8::1", user_agent: UA },
      properties: {
        currency: "GBP",
        value: 24.5,
        content_type: "product",
        contents: [{ content_id: "44012345678901", price: 12.25, quantity: 2 }],
      },
    });
    expect(JSON.stringify(event)).toBe(
      `{"event":"AddToCart","event_time":1748781296,"event_id":"987654321","user":{"email":["${JANE}"],"ip":"2001:db8::1","user_agent":"${UA}"},` +
        '"properties":{"currency":"GBP","value":24.5,"content_type":"product","contents":[{"content_id":"44012345678901","price":12.25,"quantity":2}]}}',
    );
    expect(matchKeysOf(event)).toEqual(["email", "ip_ua"]);
  });

  it("leaves out user, properties and page when all their values are empty", () => {
    const event = buildEvent({
      eventName: "Search",
      eventId: "s1",
      eventTime: 1748781296,
      user: { email: [], ttclid: "" },
      properties: { contents: [], query: " " },
      page: { url: "" },
    });
    expect(event).toEqual({
      event: "Search",
      event_time: 1748781296,
      event_id: "s1",
    });
  });
});

describe("buildTrackBody", () => {
  it("puts test_event_code only at the top level, only when set, with no legacy fields", () => {
    const event = purchase();
    const body = buildTrackBody({
      pixelCode: "C4ABCDEF123",
      testEventCode: "TEST12345",
      events: [event],
    });
    expect(Object.keys(body)).toEqual([
      "event_source",
      "event_source_id",
      "partner_name",
      "test_event_code",
      "data",
    ]);
    expect(body).toMatchObject({
      event_source: "web",
      event_source_id: "C4ABCDEF123",
      partner_name: PARTNER_NAME,
      test_event_code: "TEST12345",
    });
    const json = JSON.stringify(body);
    expect(json.match(/test_event_code/g)).toHaveLength(1);
    for (const legacy of [
      '"pixel_code"',
      '"timestamp"',
      '"context"',
      '"phone_number"',
    ]) {
      expect(json).not.toContain(legacy);
    }
    expect(validateTrackBody(body)).toEqual([]);

    const live = buildTrackBody({
      pixelCode: "C4ABCDEF123",
      testEventCode: "",
      events: [event],
      partnerName: null,
    });
    expect(Object.keys(live)).toEqual([
      "event_source",
      "event_source_id",
      "data",
    ]);
  });
});

describe("validateEvent", () => {
  const base = (): TikTokEvent => ({
    event: "Purchase",
    event_time: 1748781296,
    event_id: "o1_Purchase",
  });

  it("accepts a minimal event", () => {
    expect(validateEvent(base())).toEqual([]);
  });

  it("rejects a numeric event_id, milliseconds, fractional seconds, empty name", () => {
    expect(validateEvent({ ...base(), event_id: 123 })).toContain(
      "event_id must be a string",
    );
    expect(validateEvent({ ...base(), event_time: 1748781296000 })).toContain(
      "event_time looks like milliseconds; send Unix seconds",
    );
    expect(validateEvent({ ...base(), event_time: 1748781296.5 })).toContain(
      "event_time must be an integer number of Unix seconds",
    );
    expect(validateEvent({ ...base(), event: "" })).toContain(
      "event name must be a non-empty string",
    );
    expect(
      validateEvent(
        { ...base(), event_time: 1748781296 },
        { now: new Date("2025-05-01T00:00:00Z") },
      ),
    ).toContain("event_time is in the future");
  });

  it("rejects an unsupported currency with a clear message and string money", () => {
    const errors = validateEvent({
      ...base(),
      properties: { currency: "XAF", value: 10 },
    });
    expect(errors).toEqual(['currency "XAF" is not supported by TikTok']);
    expect(
      validateEvent({
        ...base(),
        properties: { currency: "USD", value: "10.00" },
      }),
    ).toContain("value must be a number");
    expect(validateEvent({ ...base(), properties: { value: 10 } })).toContain(
      "currency is required when value is set",
    );
    expect(
      validateEvent({
        ...base(),
        properties: {
          currency: "USD",
          value: 1,
          contents: [{ content_id: 42, price: "1" }],
        },
      }),
    ).toEqual([
      "contents[0].content_id must be a non-empty string",
      "contents[0].price must be a non-negative number",
    ]);
  });

  it("rejects raw or uppercase identifiers where hashes belong", () => {
    expect(
      validateEvent({ ...base(), user: { email: ["jane@example.com"] } }),
    ).toEqual([
      "user.email must hold lowercase SHA-256 hex hashes, never raw values",
    ]);
    expect(
      validateEvent({ ...base(), user: { phone: [US_PHONE.toUpperCase()] } }),
    ).toHaveLength(1);
    expect(validateEvent({ ...base(), user: { external_id: [] } })).toEqual([
      "user.external_id must not be empty",
    ]);
    expect(validateEvent({ ...base(), user: { email: JANE } })).toEqual([]); // a single string is allowed by TikTok
    expect(validateEvent({ ...base(), user: { ip: "not-an-ip" } })).toEqual([
      "user.ip must be an IPv4 or IPv6 address",
    ]);
  });

  it("names legacy 1.x fields", () => {
    const errors = validateEvent({
      ...base(),
      pixel_code: "C4ABC",
      timestamp: "2025-06-01T12:00:00Z",
      context: { ad: { callback: "x" } },
      test_event_code: "TEST1",
      user: { phone_number: US_PHONE },
    });
    expect(errors).toEqual([
      "event: legacy 1.x field pixel_code (use event_source_id at the top level)",
      "event: legacy 1.x field timestamp (use integer event_time)",
      "event: legacy 1.x field context (use user, page)",
      "event: test_event_code belongs at the top level of the request, not in an event",
      "user: legacy 1.x field phone_number (use phone)",
    ]);
  });

  it("requires absolute http(s) page URLs", () => {
    expect(validateEvent({ ...base(), page: { url: "/products/x" } })).toEqual([
      "page.url must be an absolute http(s) URL",
    ]);
    expect(
      validateEvent({
        ...base(),
        page: { referrer: "ftp://example.com/file" },
      }),
    ).toEqual(["page.referrer must be an absolute http(s) URL"]);
  });
});

describe("events", () => {
  it("lists today's standard names and the supported currencies", () => {
    expect(STANDARD_EVENTS).toContain("Purchase");
    expect(STANDARD_EVENTS).not.toContain("CompletePayment");
    // Copied from the reference (§9) as one string, so a typo in the list shows up here.
    expect(SUPPORTED_CURRENCIES.join(" ")).toBe(
      "AED ARS AUD BDT BHD BIF BOB BRL CAD CHF CLP CNY COP CRC CZK DKK DZD EGP EUR GBP GTQ HKD HNL HUF IDR ILS INR ISK JPY KES KHR KRW KWD KZT MAD MOP MXN MYR NGN NIO NOK NZD OMR PEN PHP PKR PLN PYG QAR RON RUB SAR SEK SGD THB TRY TWD UAH USD VES VND ZAR",
    );
    expect(isSupportedCurrency("EUR")).toBe(true);
    expect(isSupportedCurrency("XAF")).toBe(false);
  });
  it("maps orders to Purchase unless the merchant overrides the name", () => {
    expect(eventNameFor("order")).toBe("Purchase");
    expect(eventNameFor("order", { order: "CompletePayment" })).toBe(
      "CompletePayment",
    );
    expect(eventNameFor("order", { order: "  " })).toBe("Purchase");
    expect(eventNameFor("product_viewed")).toBe("ViewContent");
  });
});
