import { describe, expect, it } from "vitest";
import { parseShopifyJson } from "./shopify-json";

describe("parseShopifyJson", () => {
  it.each([
    ['{"id":820982911946154508}', { id: "820982911946154508" }],
    ['{"customer_id":9007199254740993}', { customer_id: "9007199254740993" }],
    ['{"id":42}', { id: "42" }],
    [
      '{"orders_to_redact":[299938200000000001,12]}',
      { orders_to_redact: ["299938200000000001", 12] },
    ],
    ['{"quantity":3,"price":19.99}', { quantity: 3, price: 19.99 }],
    ['{"big":1e300}', { big: 1e300 }],
    ['{"name":"a\\ud800b"}', { name: "a\ufffdb" }],
  ])("%s", (raw, expected) => {
    expect(parseShopifyJson(raw)).toEqual(expected);
  });

  it("throws SyntaxError on invalid JSON", () => {
    expect(() => parseShopifyJson("{")).toThrow(SyntaxError);
  });
});
