import { describe, expect, it } from "vitest";
import {
  JANE,
  SHOPIFY_ID,
  US_PHONE,
  fullPurchase,
} from "./__fixtures__/purchase";
import { validateEvent, validateTrackBody } from "./event-validation";
import type { TikTokEvent } from "./wire-types";

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

  it("accepts the name and address keys in TikTok's v1.3 user object, hashed or normalised", () => {
    expect(
      validateEvent({
        ...base(),
        user: {
          first_name: JANE,
          last_name: US_PHONE,
          city: "saopaulo",
          state: "sp",
          country: "br",
          zip_code: SHOPIFY_ID,
        },
      }),
    ).toEqual([]);
  });

  it("rejects raw names, postal codes and un-normalised places", () => {
    expect(
      validateEvent({
        ...base(),
        user: {
          first_name: "Jane",
          last_name: [JANE],
          zip_code: "SW1A 1AA",
          city: "São Paulo",
          state: "",
          country: "CA",
        },
      }),
    ).toEqual([
      "user.first_name must be a lowercase SHA-256 hex hash, never a raw value",
      "user.last_name must be a lowercase SHA-256 hex hash, never a raw value",
      "user.zip_code must be a lowercase SHA-256 hex hash, never a raw value",
      "user.city must be lower-case letters and digits only",
      "user.state must be a lower-case region code",
      "user.country must be a lower-case two-letter country code",
    ]);
    expect(
      validateEvent({ ...base(), user: { first_name: JANE.toUpperCase() } }),
    ).toHaveLength(1);
    expect(validateEvent({ ...base(), user: { country: "can" } })).toHaveLength(
      1,
    );
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

describe("validateEvent: shapes and ranges", () => {
  const base = {
    event: "Purchase",
    event_time: 1748781296,
    event_id: "o1_Purchase",
  };

  it("rejects non-objects, padded names, unknown fields and misplaced content_type", () => {
    expect(validateEvent(null)).toEqual(["event must be an object"]);
    expect(validateEvent([base])).toEqual(["event must be an object"]);
    expect(validateEvent({ ...base, event: " Purchase" })).toEqual([
      "event name has surrounding spaces",
    ]);
    expect(
      validateEvent({ ...base, extra: 1, content_type: "product" }),
    ).toEqual([
      "event: unknown field extra",
      "event: content_type belongs in properties",
    ]);
    expect(validateEvent({ ...base, limited_data_use: "yes" })).toEqual([
      "limited_data_use must be a boolean",
    ]);
  });

  it("rejects times before 2017 and future times only when a clock is given", () => {
    expect(validateEvent({ ...base, event_time: 1_400_000_000 })).toEqual([
      "event_time is not a plausible Unix time in seconds",
    ]);
    const now = new Date(1748781296 * 1000);
    expect(
      validateEvent({ ...base, event_time: 1748781296 + 600 }, { now }),
    ).toEqual([]);
    expect(
      validateEvent({ ...base, event_time: 1748781296 + 601 }, { now }),
    ).toEqual(["event_time is in the future"]);
  });

  it("rejects negative money, bad num_items, empty contents and blank text", () => {
    expect(
      validateEvent({
        ...base,
        properties: {
          currency: "USD",
          value: -1,
          num_items: 1.5,
          contents: [],
          order_id: " ",
          query: "",
        },
      }),
    ).toEqual([
      "value must not be negative",
      "contents must be a non-empty array",
      "order_id must be a non-empty string",
      "num_items must be a non-negative integer",
      "query must be a non-empty string",
    ]);
    expect(
      validateEvent({
        ...base,
        properties: {
          contents: [{ content_id: "a", brand: "", quantity: -2 }, "x"],
        },
      }),
    ).toEqual([
      "contents[0].quantity must be a non-negative number",
      "contents[0].brand must be a non-empty string",
      "contents[1] must be an object",
    ]);
  });

  it("accepts the full built Purchase", () => {
    expect(
      validateEvent(fullPurchase(), { now: new Date("2025-06-01T12:40:00Z") }),
    ).toEqual([]);
  });
});

describe("validateTrackBody", () => {
  const event = (): TikTokEvent => ({
    event: "Purchase",
    event_time: 1748781296,
    event_id: "o1",
  });

  it("accepts a minimal web body", () => {
    expect(
      validateTrackBody({
        event_source: "web",
        event_source_id: "C4PIXEL",
        data: [event()],
      }),
    ).toEqual([]);
  });

  it("names every top-level problem, including a legacy pixel_code", () => {
    expect(
      validateTrackBody({
        event_source: "app",
        event_source_id: " ",
        pixel_code: "C4",
        test_event_code: "",
        data: [],
      }),
    ).toEqual([
      'event_source must be "web"',
      "event_source_id (pixel code) is required",
      "body: legacy 1.x field pixel_code (use event_source_id at the top level)",
      "test_event_code must be a non-empty string when present",
      "data must hold 1 to 1000 events",
    ]);
    expect(validateTrackBody("{}")).toEqual(["body must be an object"]);
  });

  it("allows 1000 events and refuses 1001", () => {
    const body = (n: number) => ({
      event_source: "web",
      event_source_id: "C4PIXEL",
      data: Array.from({ length: n }, event),
    });
    expect(validateTrackBody(body(1000))).toEqual([]);
    expect(validateTrackBody(body(1001))).toEqual([
      "data holds more than 1000 events",
    ]);
  });
});
