import { describe, expect, it } from "vitest";
import {
  JANE,
  SHOPIFY_ID,
  UA,
  US_PHONE,
  fullPurchase,
} from "./__fixtures__/purchase";
import {
  buildEvent,
  formatContent,
  formatContents,
  formatPage,
  formatProperties,
  formatUser,
} from "./event-builder";
import { validateEvent } from "./event-validation";
import { hashUserIdentifiers } from "./hashing";
import { matchKeysOf } from "./match-keys";

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
    const event = fullPurchase();
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

describe("formatUser", () => {
  it("writes keys in the documented order whatever the input order, raw values trimmed", () => {
    const user = formatUser({
      locale: " en-US ",
      userAgent: UA,
      ip: "203.0.113.7",
      external_id: [SHOPIFY_ID],
      phone: [US_PHONE],
      email: [JANE],
      ttp: "ttp1",
      ttclid: " click1 ",
    });
    expect(Object.keys(user ?? {})).toEqual([
      "ttclid",
      "ttp",
      "email",
      "phone",
      "external_id",
      "ip",
      "user_agent",
      "locale",
    ]);
    expect(user?.ttclid).toBe("click1");
    expect(user?.locale).toBe("en-US");
  });

  it("is undefined when every identifier is blank or an empty list", () => {
    expect(
      formatUser({
        email: [],
        phone: [],
        ttclid: " ",
        ip: null,
        userAgent: undefined,
      }),
    ).toBeUndefined();
  });
});

describe("formatProperties", () => {
  it("upper-cases the currency, turns decimal strings into numbers and ids into strings", () => {
    expect(
      formatProperties({
        currency: " eur ",
        value: "10.50",
        orderId: 42,
        numItems: 0,
      }),
    ).toEqual({
      currency: "EUR",
      value: 10.5,
      order_id: "42",
      num_items: 0,
    });
  });

  it("keeps junk money as NaN so validation reports it instead of silently dropping it", () => {
    const props = formatProperties({ currency: "USD", value: "12,50" });
    expect(props?.value).toBeNaN();
    expect(
      validateEvent({
        event: "Purchase",
        event_time: 1748781296,
        event_id: "x",
        properties: props,
      }),
    ).toEqual(["value must be a number"]);
  });

  it("is undefined when nothing is left, including contents that all lack an id", () => {
    expect(
      formatProperties({
        contents: [{ contentId: null, price: 3 }],
        contentType: null,
        query: "",
      }),
    ).toBeUndefined();
  });
});

describe("formatContents / formatContent", () => {
  it("drops items without an id and keeps the order of the rest", () => {
    expect(
      formatContents([
        { contentId: "b" },
        { contentId: " " },
        { contentId: 7, quantity: "3" },
        { contentId: undefined },
      ]),
    ).toEqual([{ content_id: "b" }, { content_id: "7", quantity: 3 }]);
    expect(formatContents([{ contentId: null }])).toBeUndefined();
  });

  it("writes content keys in the documented order and leaves blank text out", () => {
    const content = formatContent({
      brand: "Acme",
      quantity: 1,
      price: "0",
      contentCategory: "",
      contentName: " Shirt ",
      contentId: " sku-1 ",
    });
    expect(JSON.stringify(content)).toBe(
      '{"content_id":"sku-1","content_name":"Shirt","price":0,"quantity":1,"brand":"Acme"}',
    );
  });
});

describe("formatPage", () => {
  it("keeps url and referrer trimmed, and is undefined when both are blank", () => {
    expect(
      formatPage({
        referrer: " https://a.example/ ",
        url: "https://b.example/x",
      }),
    ).toEqual({
      url: "https://b.example/x",
      referrer: "https://a.example/",
    });
    expect(formatPage({ url: " ", referrer: null })).toBeUndefined();
  });
});
