import { describe, expect, it } from "vitest";
import { OrderPayloadError, parseOrder, type WebhookOrder } from "./order";

// Bodies are written as text: a JSON number above 2^53 (9007199254740992) must reach the parser
// as Shopify sends it, which JSON.stringify of a JS number could not produce.
const body = (fields: string) =>
  `{"id":820982911946154508,"name":"#1001"${fields ? `,${fields}` : ""}}`;

describe("parseOrder: ids", () => {
  it.each([
    ["18-digit number", `{"id":820982911946154508}`, "820982911946154508"],
    ["18-digit string", `{"id":"820982911946154508"}`, "820982911946154508"],
    ["20-digit number", `{"id":18446744073709551615}`, "18446744073709551615"],
    ["small number", `{"id":450789469}`, "450789469"],
    [
      "gid wins over a rounded id",
      `{"id":820982911946154500,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508"}`,
      "820982911946154508",
    ],
    [
      "a malformed gid is ignored",
      `{"id":42,"admin_graphql_api_id":"gid://shopify/Customer/7"}`,
      "42",
    ],
  ])("order id from a %s", (_label, raw, id) => {
    expect(parseOrder(raw).id).toBe(id);
  });

  it.each([
    [
      "line item ids as numbers",
      `"line_items":[{"id":1808950810123456,"variant_id":808950810123456789,"product_id":9007199254740993}]`,
    ],
    [
      "line item ids as strings",
      `"line_items":[{"id":"1808950810123456","variant_id":"808950810123456789","product_id":"9007199254740993"}]`,
    ],
  ])("%s stay exact", (_label, fields) => {
    const [item] = parseOrder(body(fields)).line_items ?? [];
    expect(item).toMatchObject({
      id: "1808950810123456",
      variant_id: "808950810123456789",
      product_id: "9007199254740993",
    });
  });

  it.each([
    ["a number", `"customer":{"id":739012345678901234}`, "739012345678901234"],
    [
      "a string",
      `"customer":{"id":"739012345678901234"}`,
      "739012345678901234",
    ],
  ])("customer id as %s stays exact", (_label, fields, id) => {
    expect(parseOrder(body(fields)).customer?.id).toBe(id);
  });

  it("only id-named numbers become text; amounts and quantities stay numbers", () => {
    const order = parseOrder(
      body(`"line_items":[{"variant_id":1,"quantity":3}]`),
    );
    expect(order.line_items?.[0]).toMatchObject({
      variant_id: "1",
      quantity: 3,
    });
  });
});

describe("parseOrder: missing customer", () => {
  it.each([
    ["absent", ""],
    ["null", `"customer":null`],
    ["not an object", `"customer":"guest"`],
  ])("customer %s → no customer, the order still parses", (_label, fields) => {
    const order = parseOrder(body(fields));
    expect(order.id).toBe("820982911946154508");
    expect(order.customer ?? null).toBeNull();
  });
});

describe("parseOrder: odd optional fields are dropped, not refused", () => {
  const cases: [string, string, (order: WebhookOrder) => unknown, unknown][] = [
    [
      "note_attributes not an array",
      `"note_attributes":{"not":"an array"}`,
      (o) => o.note_attributes,
      undefined,
    ],
    [
      "a note attribute with a non-string name",
      `"note_attributes":[{"name":1,"value":"x"},{"name":"_tt_sid","value":"s"}]`,
      (o) => o.note_attributes,
      [{ name: "_tt_sid", value: "s" }],
    ],
    [
      "created_at not a date",
      `"created_at":"yesterday-ish"`,
      (o) => o.created_at,
      undefined,
    ],
    [
      "processed_at not a string",
      `"processed_at":12`,
      (o) => o.processed_at,
      undefined,
    ],
    [
      "a null line item",
      `"line_items":[null,{"sku":"KEPT-1","quantity":1}]`,
      (o) => o.line_items?.map((i) => i.sku),
      ["KEPT-1"],
    ],
    [
      "a line item variant_id object",
      `"line_items":[{"variant_id":{"x":1},"sku":"KEPT-1"}]`,
      (o) => o.line_items?.[0]?.variant_id,
      undefined,
    ],
    ["tags as an array", `"tags":["a"]`, (o) => o.tags, undefined],
    [
      "customer id an object, email a number",
      `"customer":{"id":{"toString":null},"email":42}`,
      (o) => o.customer,
      { id: undefined, email: undefined },
    ],
    [
      "a 3-letter country code",
      `"billing_address":{"country_code":"ZZZ"}`,
      (o) => o.billing_address?.country_code,
      undefined,
    ],
    ["a lower-case currency", `"currency":"usd"`, (o) => o.currency, undefined],
    [
      "a price with a thousands separator",
      `"total_price":"1,000.00"`,
      (o) => o.total_price,
      undefined,
    ],
    ["test not a boolean", `"test":"yes"`, (o) => o.test, undefined],
    [
      "a user agent over 2048 characters",
      `"client_details":{"user_agent":"${"x".repeat(5000)}"}`,
      (o) => o.client_details?.user_agent?.length,
      2048,
    ],
  ];
  it.each(cases)("%s", (_label, fields, read, expected) => {
    const order = parseOrder(body(fields));
    expect(order.id).toBe("820982911946154508");
    expect(read(order)).toEqual(expected);
  });
});

describe("parseOrder: refused payloads", () => {
  it.each([
    ["not JSON", "{not json", /not valid JSON/],
    ["no id", `{"name":"#1"}`, /unexpected shape \(id:/],
    ["a non-numeric id", `{"id":"abc"}`, /unexpected shape \(id:/],
    ["an operator object as id", `{"id":{"$gt":1}}`, /unexpected shape \(id:/],
    ["a fractional id", `{"id":1.5}`, /unexpected shape \(id:/],
    ["a negative id", `{"id":-1}`, /unexpected shape \(id:/],
    [
      "an id of 21 digits",
      `{"id":123456789012345678901}`,
      /unexpected shape \(id:/,
    ],
    ["an array", "[]", /unexpected shape \(body:/],
    ["null", "null", /unexpected shape \(body:/],
  ])("%s → OrderPayloadError", (_label, raw, message) => {
    expect(() => parseOrder(raw)).toThrow(OrderPayloadError);
    expect(() => parseOrder(raw)).toThrow(message);
  });
});

describe("parseOrder: strings are made well-formed", () => {
  it.each([
    [
      "a lone high surrogate",
      `"cart_token":"c1-\\ud800"`,
      (o: WebhookOrder) => o.cart_token,
      "c1-\ufffd",
    ],
    [
      "a lone low surrogate",
      `"name":"#\\udc00"`,
      (o: WebhookOrder) => o.name,
      "#\ufffd",
    ],
    [
      "a note attribute value",
      `"note_attributes":[{"name":"_tt_sid","value":"s\\ud83d"}]`,
      (o: WebhookOrder) => o.note_attributes?.[0]?.value,
      "s\ufffd",
    ],
    [
      "a valid pair is kept",
      `"client_details":{"user_agent":"ok \\ud83d\\ude00"}`,
      (o: WebhookOrder) => o.client_details?.user_agent,
      "ok 😀",
    ],
  ])("%s", (_label, fields, read, expected) => {
    const value = read(parseOrder(body(fields)));
    expect(value).toBe(expected);
    expect(typeof value === "string" && value.isWellFormed()).toBe(true);
  });
});
