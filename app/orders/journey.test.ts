import { describe, expect, it } from "vitest";
import { fromWebhookOrder } from "./shop-order";
import { parseOrder } from "./order";
import { classifyJourney, isJourney } from "./journey";

const webhook = (fields: Record<string, unknown>) =>
  fromWebhookOrder(
    parseOrder(JSON.stringify({ id: 820982911946154500, ...fields })),
  );
const known = { tokensKnown: true };

describe("classifyJourney", () => {
  it("a cart token means the theme's cart", () => {
    expect(
      classifyJourney(
        webhook({
          cart_token: "c1-abc?key=secret",
          checkout_token: "chk1",
          source_name: "web",
        }),
        known,
      ),
    ).toBe("theme_cart");
  });

  it("our cart attributes also mean the theme's cart, without a cart token", () => {
    expect(
      classifyJourney(
        webhook({
          checkout_token: "chk1",
          note_attributes: [{ name: "_tt_sid", value: "s1" }],
        }),
        known,
      ),
    ).toBe("theme_cart");
  });

  it("a checkout without a cart is a direct checkout (Buy it now, checkout links)", () => {
    expect(
      classifyJourney(
        webhook({
          checkout_token: "chk2",
          source_name: "web",
          landing_site: "/products/x",
        }),
        known,
      ),
    ).toBe("direct_checkout");
    // Empty attribute values do not count as a cart.
    expect(
      classifyJourney(
        webhook({
          checkout_token: "chk2",
          note_attributes: [{ name: "_tt_sid", value: " " }],
        }),
        known,
      ),
    ).toBe("direct_checkout");
  });

  it("draft orders and POS are draft_or_other even with a checkout token", () => {
    expect(
      classifyJourney(
        webhook({ checkout_token: "chk3", source_name: "shopify_draft_order" }),
        known,
      ),
    ).toBe("draft_or_other");
    expect(
      classifyJourney(
        webhook({ cart_token: "c1-x", source_name: "pos" }),
        known,
      ),
    ).toBe("draft_or_other");
  });

  it("an order with neither token (created through the API) is draft_or_other", () => {
    expect(classifyJourney(webhook({ source_name: "1234567" }), known)).toBe(
      "draft_or_other",
    );
  });

  it("without tokens to read (Admin GraphQL orders), only POS, draft or cart attributes are known", () => {
    const graphqlLike = webhook({ source_name: "web" });
    expect(classifyJourney(graphqlLike, { tokensKnown: false })).toBeNull();
    expect(
      classifyJourney(webhook({ source_name: "shopify_draft_order" }), {
        tokensKnown: false,
      }),
    ).toBe("draft_or_other");
    expect(
      classifyJourney(
        webhook({ note_attributes: [{ name: "_ttp", value: "t" }] }),
        {
          tokensKnown: false,
        },
      ),
    ).toBe("theme_cart");
  });

  it("knows its own values", () => {
    expect(isJourney("direct_checkout")).toBe(true);
    expect(isJourney("buy_it_now")).toBe(false);
  });
});
