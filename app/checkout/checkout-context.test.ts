import { describe, expect, it } from "vitest";
import { isStandardEventName, STANDARD_EVENTS } from "~/tiktok/events";
import { RELAY_EVENTS } from "./relay-schema";
import {
  CHECKOUT_EVENTS,
  checkoutEventName,
  hashCheckoutAddress,
  type CheckoutEventSwitches,
} from "./checkout-context";

const ALL_ON: CheckoutEventSwitches = {
  sendInitiateCheckout: true,
  sendAddPaymentInfo: true,
  sendCheckoutSteps: true,
};
const ALL_OFF: CheckoutEventSwitches = {
  sendInitiateCheckout: false,
  sendAddPaymentInfo: false,
  sendCheckoutSteps: false,
};

describe("checkoutEventName: each step follows its own switch", () => {
  it.each([
    ["checkout_started", "sendInitiateCheckout", "InitiateCheckout"],
    ["payment_info_submitted", "sendAddPaymentInfo", "AddPaymentInfo"],
    [
      "checkout_contact_info_submitted",
      "sendCheckoutSteps",
      "CheckoutContactInfo",
    ],
    [
      "checkout_shipping_info_submitted",
      "sendCheckoutSteps",
      "CheckoutShippingInfo",
    ],
  ] as const)("%s → %s → %s", (step, own, name) => {
    expect(checkoutEventName(step, ALL_ON)).toBe(name);
    expect(checkoutEventName(step, { ...ALL_ON, [own]: false })).toBeNull();
    expect(checkoutEventName(step, { ...ALL_OFF, [own]: true })).toBe(name);
  });

  it("the completed checkout is never a checkout event (it is the order's Purchase)", () => {
    expect(checkoutEventName("checkout_completed", ALL_ON)).toBeNull();
  });

  it("every relayed step is handled", () => {
    for (const step of RELAY_EVENTS)
      expect(() => checkoutEventName(step, ALL_ON)).not.toThrow();
  });
});

describe("checkout event names", () => {
  it("InitiateCheckout and AddPaymentInfo are TikTok standard events", () => {
    expect(isStandardEventName(CHECKOUT_EVENTS.checkout_started)).toBe(true);
    expect(isStandardEventName(CHECKOUT_EVENTS.payment_info_submitted)).toBe(
      true,
    );
  });

  it("the contact and shipping steps are custom events with valid custom names", () => {
    for (const name of [
      CHECKOUT_EVENTS.checkout_contact_info_submitted,
      CHECKOUT_EVENTS.checkout_shipping_info_submitted,
    ]) {
      expect(STANDARD_EVENTS).not.toContain(name);
      expect(name).toMatch(/^[A-Za-z][A-Za-z0-9_-]{0,49}$/);
    }
  });
});

describe("hashCheckoutAddress", () => {
  it("maps the relay's short address fields to TikTok's keys; none without an address", () => {
    // printf '%s' josé | sha256sum; printf '%s' 94105-1234 | sha256sum
    expect(
      hashCheckoutAddress({
        fn: " José",
        city: "San Francisco",
        prov: "CA",
        cc: "US",
        zip: "94105-1234",
      }),
    ).toEqual({
      first_name:
        "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866",
      city: "sanfrancisco",
      state: "ca",
      country: "us",
      zip_code:
        "8419808b12022b49f3b3724a6a2a8f3f8798fdf48376fbe8722a6de43fa3c5a9",
    });
    expect(hashCheckoutAddress(undefined)).toEqual({});
  });
});
