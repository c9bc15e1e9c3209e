import { describe, expect, it } from "vitest";
import {
  eventNameFor,
  isSupportedCurrency,
  STANDARD_EVENTS,
  SUPPORTED_CURRENCIES,
} from "./events";

describe("events", () => {
  it("lists today's standard names and the supported currencies", () => {
    expect(STANDARD_EVENTS).toContain("Purchase");
    expect(STANDARD_EVENTS).not.toContain("CompletePayment");
    // Written out as one string, so a typo in the list shows up here.
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
