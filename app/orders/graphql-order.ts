// The Admin GraphQL `Order` object (https://shopify.dev/docs/api/admin-graphql/latest/objects/Order)
// as the reconciliation query selects it, checked, and turned into the one internal ShopOrder.
// GraphQL ids are gid strings (`gid://shopify/Order/820982911946154508`), so they stay exact;
// the digits after the last slash are what the webhook path uses as the order id.
//
// What the GraphQL Order does not carry, compared with the REST webhook payload: the browser's
// user agent and Accept-Language (REST `client_details`), the cart and checkout tokens. A
// backfilled Purchase therefore takes the user agent only from a stored storefront session
// and has no `user.locale`; everything else is the same (see graphql-order.test.ts).
import { z } from "zod";
import {
  cartAttributesFrom,
  orderFlags,
  pickAddress,
  ttclidFromLandingSite,
  type ShopOrder,
} from "./shop-order";

const optional = <T extends z.ZodType>(schema: T) =>
  schema.nullish().catch(undefined);
const text = (max: number) =>
  optional(z.string().transform((v) => v.slice(0, max)));
const decimal = z.string().regex(/^-?\d{1,15}(\.\d{1,10})?$/);
const gid = (type: string) =>
  z
    .string()
    .regex(new RegExp(`^gid://shopify/${type}/\\d{1,20}$`))
    .transform((v) => v.slice(v.lastIndexOf("/") + 1));
const timestamp = optional(
  z
    .string()
    .max(64)
    .refine((v) => !Number.isNaN(Date.parse(v)), "not a date"),
);
const moneyBag = optional(
  z.object({
    shopMoney: z.object({ amount: decimal, currencyCode: text(3) }),
  }),
);
const address = optional(
  z.object({
    phone: text(64),
    firstName: text(255),
    lastName: text(255),
    city: text(255),
    provinceCode: text(16),
    countryCodeV2: optional(z.string().regex(/^[A-Za-z]{2}$/)),
    zip: text(32),
  }),
);

const lineItemSchema = z.object({
  sku: text(255),
  title: text(1024),
  vendor: text(255),
  quantity: optional(z.number().int().min(0).max(1_000_000)),
  product: optional(z.object({ id: gid("Product") })),
  variant: optional(z.object({ id: gid("ProductVariant") })),
  originalUnitPriceSet: moneyBag,
});

export const graphqlOrderSchema = z.object({
  id: gid("Order"),
  name: text(255),
  createdAt: timestamp,
  processedAt: timestamp,
  test: optional(z.boolean()),
  sourceName: text(128),
  tags: optional(z.array(z.string().max(255)).max(1000)),
  email: text(320),
  phone: text(64),
  /** e.g. PAID, PENDING (https://shopify.dev/docs/api/admin-graphql/latest/enums/OrderDisplayFinancialStatus). */
  displayFinancialStatus: text(64),
  currencyCode: optional(z.string().regex(/^[A-Z]{3}$/)),
  totalPriceSet: moneyBag,
  subtotalPriceSet: moneyBag,
  customAttributes: optional(
    z
      .array(
        z
          .object({ key: z.string().max(256), value: text(2048) })
          .nullable()
          .catch(null),
      )
      .max(1000)
      .transform((items) => items.filter((item) => item !== null)),
  ),
  clientIp: text(64),
  customerJourneySummary: optional(
    z.object({
      firstVisit: optional(z.object({ landingPage: text(8192) })),
    }),
  ),
  customer: optional(
    z.object({
      id: optional(gid("Customer")),
      defaultEmailAddress: optional(z.object({ emailAddress: text(320) })),
      defaultPhoneNumber: optional(z.object({ phoneNumber: text(64) })),
    }),
  ),
  billingAddress: address,
  shippingAddress: address,
  lineItems: optional(
    z.object({
      nodes: z
        .array(lineItemSchema.nullable().catch(null))
        .max(10_000)
        .transform((items) => items.filter((item) => item !== null)),
    }),
  ),
});

export type GraphqlOrder = z.output<typeof graphqlOrderSchema>;

export class GraphqlOrderError extends Error {}

/** Checks one `Order` node; only a missing or malformed id refuses it. */
export function parseGraphqlOrder(node: unknown): GraphqlOrder {
  const result = graphqlOrderSchema.safeParse(node);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new GraphqlOrderError(
      `The order node has an unexpected shape (${issue?.path.join(".") || "node"}: ${issue?.message ?? "invalid"}).`,
    );
  }
  return result.data;
}

const present = (values: ReadonlyArray<string | null | undefined>): string[] =>
  values.filter(
    (value): value is string =>
      typeof value === "string" && value.trim() !== "",
  );

const date = (value: string | null | undefined): Date | null =>
  value ? new Date(value) : null;

const graphqlAddress = (a: GraphqlOrder["billingAddress"]) =>
  a
    ? {
        firstName: a.firstName || null,
        lastName: a.lastName || null,
        city: a.city || null,
        provinceCode: a.provinceCode || null,
        countryCode: a.countryCodeV2 || null,
        zip: a.zip || null,
      }
    : null;

/** The GraphQL order as a ShopOrder: the same fields fromWebhookOrder fills, from their GraphQL names. */
export function fromGraphqlOrder(order: GraphqlOrder): ShopOrder {
  const {
    customer,
    billingAddress: billing,
    shippingAddress: shipping,
  } = order;
  const landingSite =
    order.customerJourneySummary?.firstVisit?.landingPage || null;
  return {
    id: order.id,
    name: order.name || null,
    createdAt: date(order.createdAt),
    processedAt: date(order.processedAt),
    currency: order.currencyCode ?? null,
    amounts: {
      total: order.totalPriceSet?.shopMoney.amount ?? null,
      subtotal: order.subtotalPriceSet?.shopMoney.amount ?? null,
    },
    lineItems: (order.lineItems?.nodes ?? []).map((item) => ({
      productId: item.product?.id ?? null,
      variantId: item.variant?.id ?? null,
      sku: item.sku || null,
      title: item.title || null,
      vendor: item.vendor || null,
      quantity: item.quantity ?? null,
      price: item.originalUnitPriceSet?.shopMoney.amount ?? null,
    })),
    customer: {
      id: customer?.id ?? null,
      emails: present([
        order.email,
        customer?.defaultEmailAddress?.emailAddress,
      ]),
      phones: present([
        order.phone,
        customer?.defaultPhoneNumber?.phoneNumber,
        billing?.phone,
        shipping?.phone,
      ]),
      countryCode:
        billing?.countryCodeV2?.toUpperCase() ??
        shipping?.countryCodeV2?.toUpperCase() ??
        null,
      address: pickAddress(graphqlAddress(billing), graphqlAddress(shipping)),
    },
    hints: {
      cartAttributes: cartAttributesFrom(
        (order.customAttributes ?? []).map((a) => ({
          key: a.key,
          value: a.value,
        })),
      ),
      landingSite,
      landingSiteTtclid: ttclidFromLandingSite(landingSite),
      clientIp: order.clientIp || null,
      userAgent: null,
      acceptLanguage: null,
      checkoutToken: null,
      cartToken: null,
    },
    flags: orderFlags({
      test: order.test === true,
      sourceName: order.sourceName ?? null,
      tags: order.tags ?? [],
    }),
  };
}
