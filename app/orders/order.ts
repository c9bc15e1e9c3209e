// The subset of Shopify's REST order payload (webhooks orders/create, orders/paid) we use.
// Ids arrive as JSON numbers that can exceed 2^53, so parseOrder keeps every *id* as the
// exact source text.

export interface AddressLike {
  phone?: string | null;
  country_code?: string | null;
}

export interface OrderPayload {
  id: string;
  admin_graphql_api_id?: string;
  name?: string;
  email?: string | null;
  contact_email?: string | null;
  phone?: string | null;
  created_at?: string;
  currency?: string;
  presentment_currency?: string;
  total_price?: string;
  subtotal_price?: string;
  test?: boolean;
  source_name?: string | null;
  tags?: string | null;
  cart_token?: string | null;
  checkout_token?: string | null;
  landing_site?: string | null;
  browser_ip?: string | null;
  customer_locale?: string | null;
  client_details?: { user_agent?: string | null; accept_language?: string | null } | null;
  note_attributes?: { name: string; value: string | null }[] | null;
  customer?: { id?: string; admin_graphql_api_id?: string; email?: string | null; phone?: string | null } | null;
  billing_address?: AddressLike | null;
  shipping_address?: AddressLike | null;
  line_items?: {
    id?: string;
    product_id?: string | null;
    variant_id?: string | null;
    sku?: string | null;
    title?: string | null;
    vendor?: string | null;
    quantity?: number;
    price?: string;
  }[];
}

export class OrderPayloadError extends Error {}

const ID_KEY = /(^|_)id$/;

type SourceReviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

/** JSON.parse that keeps numeric ids as their exact source text (Node 22+ reviver context). */
export function parseOrder(rawBody: string): OrderPayload {
  const reviver: SourceReviver = (key, value, context) =>
    typeof value === "number" && ID_KEY.test(key) && context?.source ? context.source : value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody, reviver as Parameters<typeof JSON.parse>[1]);
  } catch {
    throw new OrderPayloadError("The order payload is not valid JSON.");
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new OrderPayloadError("The order payload is not an object.");
  }
  const order = parsed as OrderPayload;
  const gidId = order.admin_graphql_api_id?.match(/^gid:\/\/shopify\/Order\/(\d+)$/)?.[1];
  if (gidId) order.id = gidId;
  if (typeof order.id !== "string" || !/^\d+$/.test(order.id)) {
    throw new OrderPayloadError("The order payload has no order id.");
  }
  return order;
}

export const orderGid = (order: OrderPayload) => `gid://shopify/Order/${order.id}`;

export function customerNumericId(order: OrderPayload): string | null {
  const gid = order.customer?.admin_graphql_api_id?.match(/^gid:\/\/shopify\/Customer\/(\d+)$/)?.[1];
  const id = gid ?? order.customer?.id;
  return id ? String(id) : null;
}

export function noteAttribute(order: OrderPayload, name: string): string | null {
  const found = order.note_attributes?.find((a) => a.name === name)?.value?.trim();
  return found ? found : null;
}
