import { describe, expect, it } from "vitest";
import { buildEvent } from "~/tiktok/event-builder";
import {
  joinBrowserContext,
  withCheckoutContext,
  type CheckoutFacts,
  type SessionFacts,
} from "./browser-context";
import type { ShopOrder } from "./shop-order";

const order = (cartAttributes: Record<string, string> = {}) =>
  ({ hints: { cartAttributes } }) as unknown as Pick<ShopOrder, "hints">;

const session = (over: Partial<SessionFacts> = {}): SessionFacts => ({
  sessionKey: "sid_session_000000000001",
  ttclid: "E.C.P.session",
  ttp: "ttp_session",
  ip: "192.0.2.1",
  userAgent: "SessionUA",
  consent: "granted",
  landingUrl: "https://shop.example/landing",
  ...over,
});
const checkout = (over: Partial<CheckoutFacts> = {}): CheckoutFacts => ({
  sessionKey: null,
  ttclid: "E.C.P.checkout",
  ttp: "ttp_checkout",
  ip: "192.0.2.2",
  userAgent: "CheckoutUA",
  consent: "granted",
  emailHash: "a".repeat(64),
  phoneHash: "b".repeat(64),
  pageUrl: "https://shop.example/checkouts/cn/x",
  ...over,
});
const none = { cartSession: null, checkout: null, tokenSession: null };

describe("joinBrowserContext", () => {
  it("finds nothing without cart attributes, a checkout context or a session (the order alone: held)", () => {
    expect(joinBrowserContext(order(), none)).toBeNull();
  });

  it("takes cart attributes first, then the checkout pixel, then the cart token's session", () => {
    const joined = joinBrowserContext(order({ _tt_ttclid: "E.C.P.cart" }), {
      cartSession: null,
      checkout: checkout({ ttp: null }),
      tokenSession: session(),
    });
    expect(joined).toMatchObject({
      ttclid: "E.C.P.cart",
      ttp: "ttp_session", // the checkout had none
      ip: "192.0.2.2",
      userAgent: "CheckoutUA",
      consent: "granted",
      emailHashes: ["a".repeat(64)],
      phoneHashes: ["b".repeat(64)],
      sources: {
        ttclid: "cart_attributes",
        ttp: "storefront_session",
        ip: "checkout_pixel",
        user_agent: "checkout_pixel",
        consent: "checkout_pixel",
      },
    });
  });

  it("the session named by the cart attributes outranks the checkout context", () => {
    const joined = joinBrowserContext(
      order({ _tt_sid: "sid_session_000000000001" }),
      { cartSession: session(), checkout: checkout(), tokenSession: null },
    );
    expect(joined).toMatchObject({
      ttclid: "E.C.P.session",
      ip: "192.0.2.1",
      sources: { ttclid: "storefront_session", ip: "storefront_session" },
    });
  });

  it("a refusal anywhere wins over a grant elsewhere", () => {
    expect(
      joinBrowserContext(order(), {
        cartSession: null,
        checkout: checkout(),
        tokenSession: session({ consent: "denied" }),
      })?.consent,
    ).toBe("denied");
  });
});

describe("withCheckoutContext", () => {
  const held = buildEvent({
    eventName: "Purchase",
    eventId: "1001_Purchase",
    eventTime: 1_800_000_000,
    user: {
      email: ["a".repeat(64)],
      external_id: ["c".repeat(64)],
      ttclid: "E.C.P.landing",
      ip: "198.51.100.1",
      userAgent: "OrderUA",
      locale: "de-DE",
    },
    properties: { currency: "EUR", value: 10 },
    page: { url: "https://shop.example/landing" },
    limitedDataUse: true,
  });
  const sources = {
    ttclid: "landing_site",
    email: "order",
    external_id: "order",
    ip: "order",
    user_agent: "order",
  } as const;

  it("the context outranks the order's own keys, adds new contact hashes and lifts limited data use", () => {
    const { event, sources: next } = withCheckoutContext(
      held,
      sources,
      checkout(),
    );
    expect(event).toEqual({
      event: "Purchase",
      event_time: 1_800_000_000,
      event_id: "1001_Purchase",
      user: {
        ttclid: "E.C.P.checkout",
        ttp: "ttp_checkout",
        email: ["a".repeat(64)], // the same hash, once
        phone: ["b".repeat(64)],
        external_id: ["c".repeat(64)],
        ip: "192.0.2.2",
        user_agent: "CheckoutUA",
        locale: "de-DE",
      },
      properties: { currency: "EUR", value: 10 },
      page: { url: "https://shop.example/landing" },
    });
    expect(next).toEqual({
      ttclid: "checkout_pixel",
      ttp: "checkout_pixel",
      email: "order",
      phone: "checkout_pixel",
      external_id: "order",
      ip: "checkout_pixel",
      user_agent: "checkout_pixel",
      consent: "checkout_pixel",
    });
  });

  it("keys the context lacks stay as they were, and so does limited data use without a grant", () => {
    const { event } = withCheckoutContext(
      held,
      sources,
      checkout({
        ttclid: null,
        ttp: null,
        ip: null,
        userAgent: null,
        emailHash: null,
        phoneHash: null,
        consent: "unknown",
      }),
    );
    expect(event).toEqual(held);
  });
});
