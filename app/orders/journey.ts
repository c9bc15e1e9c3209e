// How the shopper reached an order, told from the order alone, so the settings page and the
// home page can say which paths lose match keys. The order webhook's `cart_token` is set when
// the checkout started from a cart and `checkout_token` names the checkout; `source_name` tells
// POS and draft orders apart (https://shopify.dev/docs/api/admin-rest/latest/resources/order).
import { CART_ATTRIBUTES } from "./purchase";
import { cartAttribute, type ShopOrder } from "./shop-order";

export const JOURNEYS = [
  "theme_cart",
  "direct_checkout",
  "draft_or_other",
] as const;
export type Journey = (typeof JOURNEYS)[number];

export function isJourney(value: string): value is Journey {
  return (JOURNEYS as readonly string[]).includes(value);
}

/**
 * - `theme_cart`: the order has a cart token or our cart attributes: the shopper used the
 *   theme's cart, where the app embed runs.
 * - `direct_checkout`: a checkout without a cart: Buy it now and the other dynamic checkout
 *   buttons, checkout links, abandoned-checkout emails. Only the checkout web pixel sees it.
 * - `draft_or_other`: draft orders, POS, orders created through the API: no shopper browser.
 *
 * `tokensKnown` is false for orders read from the Admin GraphQL API (reconciliation), which
 * has no cart or checkout token: those are only told apart when POS or draft, else unknown (null).
 */
export function classifyJourney(
  order: Pick<ShopOrder, "hints" | "flags">,
  { tokensKnown }: { tokensKnown: boolean },
): Journey | null {
  if (order.flags.pointOfSale || order.flags.fromDraftOrder)
    return "draft_or_other";
  const fromCart =
    Boolean(order.hints.cartToken) ||
    Object.values(CART_ATTRIBUTES).some((key) => cartAttribute(order, key));
  if (fromCart) return "theme_cart";
  if (!tokensKnown) return null;
  if (order.hints.checkoutToken) return "direct_checkout";
  return "draft_or_other";
}
