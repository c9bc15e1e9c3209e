// The one in-memory shape of a Shopify order that the app maps to TikTok events. It is made
// once at the edge from whichever source carried the order (today the REST order webhook,
// later the Admin GraphQL Order object), so its fields follow neither source's names.
// Raw email and phone live here only in memory; the Purchase mapping hashes them.
import type { WebhookOrder } from "./order";

export interface ShopOrderLineItem {
  /** Decimal digits of the product / variant id (may exceed 2^53), null when unknown. */
  productId: string | null;
  variantId: string | null;
  sku: string | null;
  title: string | null;
  vendor: string | null;
  quantity: number | null;
  /** Unit price, exact decimal string in the order's currency. */
  price: string | null;
}

/** The keys TikTok can match a shopper on, raw (hashed later by ~/tiktok/hashing). */
export interface ShopOrderCustomer {
  /** Decimal digits of the customer id, null for a guest checkout. */
  id: string | null;
  /** Most trusted first, without empty values. */
  emails: string[];
  phones: string[];
  /** ISO 3166-1 alpha-2 of the billing (else shipping) address: the region of national phone numbers. */
  countryCode: string | null;
  /** Name and place from one address: billing, or shipping when the order has no billing address. */
  address: ShopOrderAddress | null;
}

/** One address's name and place, raw (hashed later by ~/tiktok/hashing's hashNameAndAddress). */
export interface ShopOrderAddress {
  source: "billing_address" | "shipping_address";
  firstName: string | null;
  lastName: string | null;
  city: string | null;
  /** Shopify's province code ("ON"), not the province name. */
  provinceCode: string | null;
  countryCode: string | null;
  zip: string | null;
}

type AddressFields = Omit<ShopOrderAddress, "source">;

/**
 * The billing address when it holds any name or place, else the shipping address, else null.
 * One address, not a field-by-field mix, so the keys describe one person at one place.
 */
export function pickAddress(
  billing: AddressFields | null,
  shipping: AddressFields | null,
): ShopOrderAddress | null {
  const usable = (a: AddressFields | null): a is AddressFields =>
    a !== null &&
    Object.values(a).some((v) => typeof v === "string" && v.trim() !== "");
  if (usable(billing)) return { source: "billing_address", ...billing };
  if (usable(shipping)) return { source: "shipping_address", ...shipping };
  return null;
}

/** What the order says about the visit it came from; stored sessions may know better. */
export interface ShopOrderHints {
  /** Cart attributes (REST `note_attributes`, GraphQL `customAttributes`): trimmed, first value per key. */
  cartAttributes: Readonly<Record<string, string>>;
  /** First page of the visit: a path with query (REST) or an absolute URL. */
  landingSite: string | null;
  /** The `ttclid` query parameter of that page. */
  landingSiteTtclid: string | null;
  clientIp: string | null;
  userAgent: string | null;
  acceptLanguage: string | null;
  checkoutToken: string | null;
  /** Without its `?key=` secret: the form the storefront script reports. */
  cartToken: string | null;
}

/** What the shop's order filters look at. */
export interface ShopOrderFlags {
  test: boolean;
  pointOfSale: boolean;
  fromDraftOrder: boolean;
  subscriptionRenewal: boolean;
}

export interface ShopOrder {
  /** Decimal digits of the order id (the last segment of `gid://shopify/Order/…`); may exceed 2^53. */
  id: string;
  /** e.g. "#1001"; null when the source gave none. */
  name: string | null;
  createdAt: Date | null;
  processedAt: Date | null;
  /** ISO 4217 code of the shop currency the amounts are in. */
  currency: string | null;
  /** Exact decimal strings, one per value source the settings offer. */
  amounts: { total: string | null; subtotal: string | null };
  lineItems: ShopOrderLineItem[];
  customer: ShopOrderCustomer;
  hints: ShopOrderHints;
  flags: ShopOrderFlags;
}

export const orderGid = (orderId: string) => `gid://shopify/Order/${orderId}`;
export const customerGid = (customerId: string) =>
  `gid://shopify/Customer/${customerId}`;

const CUSTOMER_GID = /^gid:\/\/shopify\/Customer\/(\d+)$/;

/**
 * The filter flags from an order's source and tags, for either source (REST `source_name`, GraphQL
 * `sourceName`; values such as `pos` and `shopify_draft_order`:
 * https://shopify.dev/docs/api/admin-rest/latest/resources/order).
 */
export function orderFlags(input: {
  test: boolean;
  sourceName: string | null;
  tags: readonly string[];
}): ShopOrderFlags {
  const source = (input.sourceName ?? "").trim().toLowerCase();
  const tags = input.tags.map((tag) => tag.trim().toLowerCase());
  return {
    test: input.test,
    pointOfSale: source === "pos",
    fromDraftOrder: source === "shopify_draft_order",
    subscriptionRenewal:
      source === "subscription_contract" ||
      source === "subscription_contract_checkout_one" ||
      tags.includes("subscription recurring order"),
  };
}

/** ttclid from a landing page given as a path with query or as an absolute URL. */
export function ttclidFromLandingSite(
  landingSite: string | null | undefined,
): string | null {
  if (!landingSite) return null;
  try {
    return (
      new URL(landingSite, "https://shop.invalid").searchParams
        .get("ttclid")
        ?.trim() || null
    );
  } catch {
    return null;
  }
}

/** Keeps the first non-empty value per key, as a lookup of the first match would. */
export function cartAttributesFrom(
  pairs: Iterable<{ key: string; value: string | null | undefined }>,
) {
  // No prototype: a shopper-chosen key such as "__proto__" is stored as plain data.
  const out: Record<string, string> = Object.create(null);
  for (const { key, value } of pairs) {
    const trimmed = value?.trim();
    if (trimmed && !Object.hasOwn(out, key)) out[key] = trimmed;
  }
  return out;
}

/** One value from the cart attributes, never an inherited property. */
export function cartAttribute(
  order: Pick<ShopOrder, "hints">,
  key: string,
): string | null {
  const attributes = order.hints.cartAttributes;
  return Object.hasOwn(attributes, key) ? (attributes[key] ?? null) : null;
}

const present = (values: ReadonlyArray<string | null | undefined>): string[] =>
  values.filter(
    (value): value is string =>
      typeof value === "string" && value.trim() !== "",
  );

const date = (value: string | null | undefined): Date | null =>
  value ? new Date(value) : null;

type WebhookAddress = NonNullable<WebhookOrder["billing_address"]>;

const webhookAddress = (
  a: WebhookAddress | null | undefined,
): AddressFields | null =>
  a
    ? {
        firstName: a.first_name || null,
        lastName: a.last_name || null,
        city: a.city || null,
        provinceCode: a.province_code || null,
        countryCode: a.country_code || null,
        zip: a.zip || null,
      }
    : null;

/** The webhook payload (already checked by parseOrder) as a ShopOrder. */
export function fromWebhookOrder(payload: WebhookOrder): ShopOrder {
  const customer = payload.customer;
  const billing = payload.billing_address;
  const shipping = payload.shipping_address;
  const gidCustomerId = customer?.admin_graphql_api_id
    ? CUSTOMER_GID.exec(customer.admin_graphql_api_id)?.[1]
    : undefined;
  const cartToken = payload.cart_token?.split("?")[0]?.trim();
  return {
    id: payload.id,
    name: payload.name || null,
    createdAt: date(payload.created_at),
    processedAt: date(payload.processed_at),
    currency: payload.currency ?? null,
    amounts: {
      total: payload.total_price ?? null,
      subtotal: payload.subtotal_price ?? null,
    },
    lineItems: (payload.line_items ?? []).map((item) => ({
      productId: item.product_id ?? null,
      variantId: item.variant_id ?? null,
      sku: item.sku || null,
      title: item.title || null,
      vendor: item.vendor || null,
      quantity: item.quantity ?? null,
      price: item.price ?? null,
    })),
    customer: {
      id: gidCustomerId ?? customer?.id ?? null,
      emails: present([payload.email, payload.contact_email, customer?.email]),
      phones: present([
        payload.phone,
        customer?.phone,
        billing?.phone,
        shipping?.phone,
      ]),
      countryCode:
        billing?.country_code?.toUpperCase() ??
        shipping?.country_code?.toUpperCase() ??
        null,
      address: pickAddress(webhookAddress(billing), webhookAddress(shipping)),
    },
    hints: {
      cartAttributes: cartAttributesFrom(
        (payload.note_attributes ?? []).map((a) => ({
          key: a.name,
          value: a.value,
        })),
      ),
      landingSite: payload.landing_site || null,
      landingSiteTtclid: ttclidFromLandingSite(payload.landing_site),
      clientIp: payload.browser_ip || null,
      userAgent: payload.client_details?.user_agent || null,
      acceptLanguage: payload.client_details?.accept_language || null,
      checkoutToken: payload.checkout_token || null,
      cartToken: cartToken || null,
    },
    flags: orderFlags({
      test: payload.test === true,
      sourceName: payload.source_name ?? null,
      tags: (payload.tags ?? "").split(","),
    }),
  };
}
