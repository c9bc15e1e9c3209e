import { z } from "zod";
import { parseShopifyJson } from "~/shopify-json";
// The subset of Shopify's REST order payload (webhooks orders/create, orders/paid) we use.
// Ids arrive as JSON numbers that can exceed 2^53, so parseOrder keeps every *id* as the
// exact source text. The rest of the app reads the ShopOrder made from it (shop-order.ts).

export class OrderPayloadError extends Error {}

// Shopify's payload carries far more fields; only those we read are checked. Only a missing
// or malformed order id refuses the order (400): an odd optional field is dropped or trimmed,
// because refusing a real order would lose its Purchase.
const optional = <T extends z.ZodType>(schema: T) =>
  schema.nullish().catch(undefined);
const text = (max: number) =>
  optional(z.string().transform((v) => v.slice(0, max)));
const numericId = z.string().regex(/^\d{1,20}$/);
const decimal = z.string().regex(/^-?\d{1,15}(\.\d{1,10})?$/);
const timestamp = optional(
  z
    .string()
    .max(64)
    .refine((v) => !Number.isNaN(Date.parse(v)), "not a date"),
);
const address = optional(
  z.object({
    phone: text(64),
    first_name: text(255),
    last_name: text(255),
    city: text(255),
    province_code: text(16),
    country_code: optional(z.string().regex(/^[A-Za-z]{2}$/)),
    zip: text(32),
  }),
);
const lineItem = z.object({
  id: optional(numericId),
  product_id: optional(numericId),
  variant_id: optional(numericId),
  sku: text(255),
  title: text(1024),
  vendor: text(255),
  quantity: optional(z.number().int().min(0).max(1_000_000)),
  price: optional(decimal),
});

const orderSchema = z.object({
  id: numericId,
  admin_graphql_api_id: text(100),
  name: text(255),
  email: text(320),
  contact_email: text(320),
  phone: text(64),
  created_at: timestamp,
  processed_at: timestamp,
  currency: optional(z.string().regex(/^[A-Z]{3}$/)),
  presentment_currency: optional(z.string().regex(/^[A-Z]{3}$/)),
  total_price: optional(decimal),
  subtotal_price: optional(decimal),
  test: optional(z.boolean()),
  source_name: text(128),
  tags: text(10_000),
  cart_token: text(512),
  checkout_token: text(512),
  landing_site: text(8192),
  browser_ip: text(64),
  customer_locale: text(32),
  client_details: optional(
    z.object({ user_agent: text(2048), accept_language: text(512) }),
  ),
  note_attributes: optional(
    z
      .array(
        z
          .object({ name: z.string().max(256), value: text(2048) })
          .nullable()
          .catch(null),
      )
      .max(1000)
      .transform((items) => items.filter((item) => item !== null)),
  ),
  customer: optional(
    z.object({
      id: optional(numericId),
      admin_graphql_api_id: text(100),
      email: text(320),
      phone: text(64),
    }),
  ),
  billing_address: address,
  shipping_address: address,
  line_items: optional(
    z
      .array(lineItem.nullable().catch(null))
      .max(10_000)
      .transform((items) => items.filter((item) => item !== null)),
  ),
});

/** The checked webhook order: exactly what the schema lets through, no more. */
export type WebhookOrder = z.output<typeof orderSchema>;

/** Parses and checks an order webhook body; ids keep their exact digits (see parseShopifyJson). */
export function parseOrder(rawBody: string): WebhookOrder {
  let parsed: unknown;
  try {
    parsed = parseShopifyJson(rawBody);
  } catch {
    throw new OrderPayloadError("The order payload is not valid JSON.");
  }
  if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
    const gid = (parsed as { admin_graphql_api_id?: unknown })
      .admin_graphql_api_id;
    const fromGid =
      typeof gid === "string"
        ? gid.match(/^gid:\/\/shopify\/Order\/(\d+)$/)?.[1]
        : undefined;
    if (fromGid) (parsed as { id?: unknown }).id = fromGid;
  }
  const result = orderSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new OrderPayloadError(
      `The order payload has an unexpected shape (${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}).`,
    );
  }
  return result.data;
}
