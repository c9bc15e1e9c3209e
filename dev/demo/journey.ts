// The demo's shopper journey as plain data: the app proxy bodies the storefront script would
// post and the order webhooks Shopify would send. Pure, so tests can check every step is
// something the real endpoints accept; journey.server.ts signs and sends them.
import { randomBytes, randomUUID } from "node:crypto";
import type { CollectBody, CollectEvent } from "~/storefront/collect-schema";

export const DEMO_SHOP = "demo-shop.myshopify.com";
export const DEMO_PIXEL_CODE = "CDEMOPIXEL000000001";
export const DEMO_TIKTOK_TOKEN = "demo-access-token";
export const DEMO_SCOPES =
  "read_orders,read_customers,write_app_proxy,write_pixels,read_customer_events";

/** Shopify's `host` parameter: base64 of the admin URL the app is embedded in. */
export function demoHostParam(shop: string = DEMO_SHOP): string {
  const store = shop.replace(/\.myshopify\.com$/, "");
  return Buffer.from(`admin.shopify.com/store/${store}`).toString("base64");
}

/** Query string Shopify adds when it opens an embedded app page (id_token comes from App Bridge). */
export function embeddedQuery(shop: string = DEMO_SHOP): string {
  return new URLSearchParams({
    embedded: "1",
    shop,
    host: demoHostParam(shop),
  }).toString();
}

export const CHROME_USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
export const IPHONE_USER_AGENT =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";

export interface ProxyStep {
  kind: "proxy";
  label: string;
  body: CollectBody;
  /** The shopper's address as Shopify's proxy forwards it (X-Forwarded-For). */
  ip: string;
  userAgent: string;
}

export interface WebhookStep {
  kind: "webhook";
  label: string;
  topic: "orders/create";
  orderId: string;
  orderName: string;
  /** Raw JSON text, ids as bare 18-digit numbers like Shopify sends them. */
  body: string;
  webhookId: string;
  eventId: string;
  /** True for Shopify re-sending a delivery it already made (same webhook and event ids). */
  redelivery?: boolean;
}

/** What the checkout web pixel relays (app/checkout/relay-schema.ts) through the app proxy. */
export interface RelayStep {
  kind: "relay";
  label: string;
  body: Record<string, unknown>;
  ip: string;
  userAgent: string;
}

export type JourneyStep = ProxyStep | WebhookStep | RelayStep;

export interface Journey {
  steps: JourneyStep[];
  /** The order whose Purchase must reach TikTok ("Purchase delivered"). */
  clickOrder: { id: string; name: string; ttclid: string };
  /** event_ids the storefront script generated, in order (ViewContent, AddToCart). */
  storefrontEventIds: string[];
}

const hex = (bytes: number) => randomBytes(bytes).toString("hex");

/** The storefront script's ids: 16 random bytes as 32 hex characters. */
const scriptId = () => hex(16);

const STORE_URL = `https://${DEMO_SHOP}`;

const SHIRT = {
  variantId: "44871234567801",
  productId: "8912345678901",
  title: "Organic Cotton Shirt",
  price: "24.50",
};
const MUG = {
  variantId: "44871234567802",
  productId: "8912345678902",
  title: "Enamel Camp Mug",
  price: "12.00",
};

interface LineSpec {
  item: typeof SHIRT;
  quantity: number;
}

interface OrderSpec {
  id: string;
  number: number;
  createdAt: Date;
  email: string | null;
  phone: string | null;
  customerId: string | null;
  country: string;
  lines: LineSpec[];
  sourceName: string;
  landingSite: string | null;
  browserIp: string | null;
  userAgent: string | null;
  acceptLanguage: string | null;
  cartToken: string | null;
  noteAttributes: { name: string; value: string }[];
  /** The checkout token the web pixel saw; random when not given (none for POS). */
  checkoutToken?: string;
}

/** A REST order as Shopify's orders/create webhook carries it (the fields the app reads and a few more). */
export function orderWebhookBody(spec: OrderSpec): string {
  const subtotal = spec.lines.reduce(
    (sum, l) => sum + Number(l.item.price) * l.quantity,
    0,
  );
  const shipping = spec.sourceName === "pos" ? 0 : 4.9;
  const tax = Math.round(subtotal * 0.1 * 100) / 100;
  const money = (n: number) => n.toFixed(2);
  const json = {
    id: spec.id,
    admin_graphql_api_id: `gid://shopify/Order/${spec.id}`,
    name: `#${spec.number}`,
    order_number: spec.number,
    email: spec.email ?? "",
    contact_email: spec.email,
    phone: spec.phone,
    created_at: spec.createdAt.toISOString(),
    processed_at: spec.createdAt.toISOString(),
    currency: "USD",
    presentment_currency: "USD",
    subtotal_price: money(subtotal),
    total_tax: money(tax),
    total_price: money(subtotal + tax + shipping),
    financial_status: "paid",
    test: false,
    source_name: spec.sourceName,
    tags: "",
    cart_token: spec.cartToken,
    checkout_token:
      spec.checkoutToken ?? (spec.sourceName === "pos" ? null : hex(16)),
    landing_site: spec.landingSite,
    referring_site: spec.landingSite ? "https://www.tiktok.com/" : null,
    browser_ip: spec.browserIp,
    client_details: spec.userAgent
      ? { user_agent: spec.userAgent, accept_language: spec.acceptLanguage }
      : null,
    note_attributes: spec.noteAttributes,
    customer: spec.customerId
      ? {
          id: spec.customerId,
          admin_graphql_api_id: `gid://shopify/Customer/${spec.customerId}`,
          email: spec.email,
          phone: spec.phone,
        }
      : null,
    billing_address: {
      first_name: "Demo",
      last_name: "Shopper",
      country_code: spec.country,
      phone: spec.phone,
    },
    shipping_address: {
      first_name: "Demo",
      last_name: "Shopper",
      country_code: spec.country,
      phone: null,
    },
    line_items: spec.lines.map((l, i) => ({
      id: `1${spec.id.slice(1, -1)}${i}`,
      variant_id: l.item.variantId,
      product_id: l.item.productId,
      title: l.item.title,
      price: l.item.price,
      quantity: l.quantity,
      sku: `DEMO-${l.item.variantId.slice(-4)}`,
      vendor: "Demo Outfitters",
    })),
  };
  // Shopify sends ids as bare JSON numbers, beyond 2^53 for some: keep their exact digits.
  return JSON.stringify(json).replace(
    /"(id|variant_id|product_id)":"(\d+)"/g,
    '"$1":$2',
  );
}

function collect(
  sessionId: string,
  consent: CollectBody["consent"],
  page: string,
  events: CollectEvent[],
  extra: Partial<Pick<CollectBody, "ttclid" | "ttp" | "cart_token">> & {
    referrer?: string;
  } = {},
): CollectBody {
  const { referrer, ...ids } = extra;
  return {
    v: 1,
    session_id: sessionId,
    consent,
    ...ids,
    page: { url: page, ...(referrer ? { referrer } : {}) },
    events,
  };
}

/** The whole demo: one shopper from a TikTok ad, then the orders that show the other cases. */
export function buildJourney(now: Date = new Date()): Journey {
  const t = Math.floor(now.getTime() / 1000);
  const shopperIp = "203.0.113.7";
  const ttclid = `E.C.P.${randomBytes(24).toString("base64url")}`;
  const ttp = randomBytes(20).toString("base64url").slice(0, 27);
  const sessionId = scriptId();
  const cartToken = `Z2NwLXVzLWVhc3QxOjAxSj${hex(10).toUpperCase()}`;
  const landing = `${STORE_URL}/?ttclid=${encodeURIComponent(ttclid)}&utm_source=tiktok&utm_medium=paid`;
  const productUrl = `${STORE_URL}/products/organic-cotton-shirt`;
  const viewId = scriptId();
  const addId = scriptId();
  const shirtContent = {
    content_id: SHIRT.variantId,
    content_name: SHIRT.title,
    price: Number(SHIRT.price),
  };

  const clickOrderId = "6120458731001";
  const steps: JourneyStep[] = [
    {
      kind: "proxy",
      label: "Shopper lands from a TikTok ad (ttclid in the URL): PageView",
      ip: shopperIp,
      userAgent: IPHONE_USER_AGENT,
      body: collect(
        sessionId,
        "granted",
        landing,
        [{ event: "PageView", event_id: scriptId(), event_time: t - 240 }],
        {
          ttclid,
          ttp,
          referrer: "https://www.tiktok.com/",
        },
      ),
    },
    {
      kind: "proxy",
      label: "Views the product: ViewContent",
      ip: shopperIp,
      userAgent: IPHONE_USER_AGENT,
      body: collect(
        sessionId,
        "granted",
        productUrl,
        [
          { event: "PageView", event_id: scriptId(), event_time: t - 180 },
          {
            event: "ViewContent",
            event_id: viewId,
            event_time: t - 180,
            properties: {
              currency: "USD",
              value: Number(SHIRT.price),
              content_type: "product",
              contents: [shirtContent],
            },
          },
        ],
        { ttclid, ttp, referrer: landing },
      ),
    },
    {
      kind: "proxy",
      label: "Adds two to the cart: AddToCart",
      ip: shopperIp,
      userAgent: IPHONE_USER_AGENT,
      body: collect(
        sessionId,
        "granted",
        productUrl,
        [
          {
            event: "AddToCart",
            event_id: addId,
            event_time: t - 120,
            properties: {
              currency: "USD",
              value: Number(SHIRT.price) * 2,
              content_type: "product",
              contents: [{ ...shirtContent, quantity: 2 }],
            },
          },
        ],
        { ttclid, ttp, cart_token: cartToken, referrer: landing },
      ),
    },
  ];

  const clickOrder: WebhookStep = {
    kind: "webhook",
    label: "Checks out: orders/create with the hidden cart attributes",
    topic: "orders/create",
    orderId: clickOrderId,
    orderName: "#1001",
    webhookId: `b54557e4-${hex(2)}-4d1b-${hex(2)}-${hex(6)}`,
    eventId: `e0f1a2b3-${hex(2)}-4c5d-${hex(2)}-${hex(6)}`,
    body: orderWebhookBody({
      id: clickOrderId,
      number: 1001,
      createdAt: new Date((t - 30) * 1000),
      email: "Jane.Doe@Example.com",
      phone: "(415) 555-0134",
      customerId: "7712345678901",
      country: "US",
      lines: [{ item: SHIRT, quantity: 2 }],
      sourceName: "web",
      landingSite: `/?ttclid=${encodeURIComponent(ttclid)}&utm_source=tiktok&utm_medium=paid`,
      browserIp: shopperIp,
      userAgent: IPHONE_USER_AGENT,
      acceptLanguage: "en-US,en;q=0.9",
      cartToken,
      noteAttributes: [
        { name: "_tt_sid", value: sessionId },
        { name: "_tt_ttclid", value: ttclid },
        { name: "_ttp", value: ttp },
      ],
    }),
  };
  steps.push(clickOrder);

  steps.push({
    kind: "webhook",
    label:
      "Another shopper, no click id and no storefront visit seen (consent unknown)",
    topic: "orders/create",
    orderId: "6120458731002",
    orderName: "#1002",
    webhookId: randomUUID(),
    eventId: randomUUID(),
    body: orderWebhookBody({
      id: "6120458731002",
      number: 1002,
      createdAt: new Date((t - 20) * 1000),
      email: "sam.lee@example.org",
      phone: null,
      customerId: null,
      country: "US",
      lines: [{ item: MUG, quantity: 1 }],
      sourceName: "web",
      landingSite: "/collections/all",
      browserIp: "198.51.100.23",
      userAgent: CHROME_USER_AGENT,
      acceptLanguage: "en-US",
      cartToken: null,
      noteAttributes: [],
    }),
  });

  const deniedSession = scriptId();
  steps.push({
    kind: "proxy",
    label: "A third shopper declines marketing cookies (consent denied)",
    ip: "192.0.2.44",
    userAgent: CHROME_USER_AGENT,
    body: collect(
      deniedSession,
      "denied",
      `${STORE_URL}/products/enamel-camp-mug`,
      [],
    ),
  });
  steps.push({
    kind: "webhook",
    label: "... and orders: orders/create for the shopper who declined",
    topic: "orders/create",
    orderId: "6120458731003",
    orderName: "#1003",
    webhookId: randomUUID(),
    eventId: randomUUID(),
    body: orderWebhookBody({
      id: "6120458731003",
      number: 1003,
      createdAt: new Date((t - 15) * 1000),
      email: "private.person@example.net",
      phone: "+44 20 7946 0958",
      customerId: "7712345678903",
      country: "GB",
      lines: [{ item: MUG, quantity: 2 }],
      sourceName: "web",
      landingSite: "/products/enamel-camp-mug",
      browserIp: "192.0.2.44",
      userAgent: CHROME_USER_AGENT,
      acceptLanguage: "en-GB",
      cartToken: null,
      noteAttributes: [{ name: "_tt_sid", value: deniedSession }],
    }),
  });

  steps.push({
    kind: "webhook",
    label: "A sale in the physical shop: POS order",
    topic: "orders/create",
    orderId: "6120458731004",
    orderName: "#1004",
    webhookId: randomUUID(),
    eventId: randomUUID(),
    body: orderWebhookBody({
      id: "6120458731004",
      number: 1004,
      createdAt: new Date((t - 10) * 1000),
      email: null,
      phone: null,
      customerId: null,
      country: "US",
      lines: [{ item: MUG, quantity: 1 }],
      sourceName: "pos",
      landingSite: null,
      browserIp: null,
      userAgent: null,
      acceptLanguage: null,
      cartToken: null,
      noteAttributes: [],
    }),
  });

  steps.push({
    ...clickOrder,
    label: "Shopify re-delivers the first webhook (same ids)",
    redelivery: true,
  });

  steps.push(...checkoutJourneys(t));

  return {
    steps,
    clickOrder: { id: clickOrderId, name: "#1001", ttclid },
    storefrontEventIds: [viewId, addId],
  };
}

/** The checkout web pixel's relay body for one event (the pixel's cookies and the checkout). */
function relayBody(
  event: string,
  token: string,
  at: number,
  cookies: { ttclid?: string; ttp?: string; sid?: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    v: 1,
    event,
    id: `sh-${randomUUID()}`,
    ts: new Date(at * 1000).toISOString(),
    token,
    url: `${STORE_URL}/checkouts/cn/${token}${event === "checkout_completed" ? "/thank-you" : ""}`,
    consent: "granted",
    ...cookies,
    ...extra,
  };
}

/**
 * Two journeys the cart attributes cannot cover, told by the checkout web pixel: Buy it now
 * (the cart is skipped, so the order has no cart attributes), and a checkout link from a
 * recovery email where orders/create arrives before the thank-you page has loaded.
 */
function checkoutJourneys(t: number): JourneyStep[] {
  const ip = "203.0.113.88";
  const ttclid = `E.C.P.${randomBytes(24).toString("base64url")}`;
  const ttp = randomBytes(20).toString("base64url").slice(0, 27);
  const sid = scriptId();
  const token = hex(16);
  const cookies = { ttclid, ttp, sid };
  const priced = {
    currency: "USD",
    value: 28.3,
    items: [{ id: SHIRT.variantId, q: 1, p: 24.5, n: SHIRT.title }],
  };
  const contact = { email: "Ada.Buyer@Example.com", phone: "+1 415 555 0188" };
  const buyNowOrder = "6120458731005";
  const relay = (label: string, body: Record<string, unknown>) =>
    ({
      kind: "relay",
      label,
      ip,
      userAgent: IPHONE_USER_AGENT,
      body,
    }) satisfies RelayStep;
  const order = (
    id: string,
    number: number,
    checkoutToken: string,
    email: string,
    label: string,
  ): WebhookStep => ({
    kind: "webhook",
    label,
    topic: "orders/create",
    orderId: id,
    orderName: `#${number}`,
    webhookId: randomUUID(),
    eventId: randomUUID(),
    body: orderWebhookBody({
      id,
      number,
      createdAt: new Date((t - 2) * 1000),
      email,
      phone: null,
      customerId: null,
      country: "US",
      lines: [{ item: SHIRT, quantity: 1 }],
      sourceName: "web",
      landingSite: "/products/organic-cotton-shirt",
      browserIp: ip,
      userAgent: IPHONE_USER_AGENT,
      acceptLanguage: "en-US",
      cartToken: null,
      noteAttributes: [],
      checkoutToken,
    }),
  });

  const lateToken = hex(16);
  const lateOrder = "6120458731006";
  const lateCookies = {
    ttclid: `E.C.P.${randomBytes(24).toString("base64url")}`,
    ttp: randomBytes(20).toString("base64url").slice(0, 27),
  };
  return [
    {
      kind: "proxy",
      label: "Buy it now: a shopper from a TikTok ad views a product",
      ip,
      userAgent: IPHONE_USER_AGENT,
      body: collect(
        sid,
        "granted",
        `${STORE_URL}/products/organic-cotton-shirt?ttclid=${encodeURIComponent(ttclid)}`,
        [{ event: "PageView", event_id: scriptId(), event_time: t - 60 }],
        { ttclid, ttp },
      ),
    },
    relay(
      "... presses Buy it now (no cart): checkout_started from the web pixel",
      relayBody("checkout_started", token, t - 50, cookies, priced),
    ),
    relay(
      "... enters contact details: checkout_contact_info_submitted",
      relayBody(
        "checkout_contact_info_submitted",
        token,
        t - 40,
        cookies,
        contact,
      ),
    ),
    relay(
      "... pays: payment_info_submitted",
      relayBody("payment_info_submitted", token, t - 30, cookies, priced),
    ),
    relay(
      "... thank-you page: checkout_completed",
      relayBody("checkout_completed", token, t - 20, cookies, {
        ...contact,
        order_id: buyNowOrder,
      }),
    ),
    order(
      buyNowOrder,
      1005,
      token,
      "ada.buyer@example.com",
      "... orders/create: no cart attributes, joined by checkout_token",
    ),
    order(
      lateOrder,
      1006,
      lateToken,
      "lee.late@example.com",
      "A checkout link from an email: orders/create before the thank-you page (held)",
    ),
    relay(
      "... the thank-you page loads: checkout_completed releases the held Purchase",
      relayBody("checkout_completed", lateToken, t, lateCookies, {
        email: "lee.late@example.com",
        order_id: lateOrder,
      }),
    ),
  ];
}
