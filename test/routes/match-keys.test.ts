// Issue 13: every match key on every event. Signed order webhooks with billing / shipping /
// no address through the real app, the worker and the TikTok stand-in; the delivery log's
// sources; and a logged-in shopper's storefront events through the signed app proxy.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { sessionToken } from "../../dev/shopify-signing";
import {
  APP_URL,
  createTestApp,
  TEST_CREDS,
  type TestApp,
} from "../support/test-app";
import { configureShop } from "../support/shops";
import {
  addressedOrder,
  BILLING_ADDRESS,
  canadianOrderWithClick,
  orderBody,
  SHIPPING_ADDRESS,
  type FixtureOrder,
} from "../fixtures/orders";

const SHOP = "shop-match-keys.myshopify.com";
const PIXEL = "CMATCHKEYSPIXEL0001";
const TOKEN = "match-keys-access-token";
const DETAIL = "routes%2Fapp.deliveries.%24id";

// Computed outside the code: printf '%s' '<normalised>' | sha256sum
const H = {
  jose: "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866", // josé
  muller: "5d111567d02391abb8602b6a6498465eb1edf98eb6ba46fa5bd2f2d69351a514", // müllerlüdenscheidt
  zip94105: "8419808b12022b49f3b3724a6a2a8f3f8798fdf48376fbe8722a6de43fa3c5a9", // 94105-1234
  zoe: "2752b88686847fa5c86f47b94ce652b7b3f22a91c37617d451a4db9afa431450", // zoë
  obrien: "b4cb6cb33fe4b865868de825023a1e2790dc12ac01ecc8d7c5afe8254071c8ba", // obrien
  sw1a1aa: "830e1d4b9838bab1f5c2acdb23e0b502ff13a9832c4632e8d67a1d43d3b7f614", // sw1a1aa
  customer: "8ef5d31e692df42691e40c358a07dd201ca4afecea1bf0b41af07ef2ffc940c8", // 7390123456789
};

let app: TestApp;
let tiktok: TikTokStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  await app.installShop(SHOP);
});
afterAll(async () => {
  await app.close();
  await tiktok.close();
});

beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  await app.prisma.webhookReceipt.deleteMany({});
  await app.prisma.attributionSession.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  tiktok.reset();
  await configureShop(SHOP, { pixelCode: PIXEL, accessToken: TOKEN });
});

const drain = () => app.drainDeliveries();

async function sendOrder(order: FixtureOrder) {
  const res = await app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(order),
    }),
  );
  expect(res.status).toBe(200);
}

/** The Purchase TikTok received for this order. */
function purchaseAt(order: FixtureOrder) {
  const sent = tiktok.accepted.find(
    (e) => e.event_id === `${order.id}_Purchase`,
  );
  expect(sent, "the Purchase reached the stand-in").toBeDefined();
  return sent!;
}

async function deliveryOf(order: FixtureOrder) {
  return app.prisma.delivery.findFirstOrThrow({
    where: { shop: SHOP, eventId: `${order.id}_Purchase` },
  });
}

async function detailJson(id: string) {
  const res = await app.handle(
    app.adminRequest(SHOP, `/app/deliveries/${id}?_data=${DETAIL}`),
  );
  expect(res.status).toBe(200);
  return (await res.json()).delivery as {
    matchKeys: string[];
    keySources: Record<string, string> | null;
  };
}

function documentRequest(pathname: string) {
  const params = new URLSearchParams({
    embedded: "1",
    shop: SHOP,
    host: Buffer.from(`admin.shopify.com/store/${SHOP.split(".")[0]}`).toString(
      "base64",
    ),
    id_token: sessionToken(SHOP, TEST_CREDS),
  });
  return app.handle(new Request(`${APP_URL}${pathname}?${params}`));
}

describe("order webhook → Purchase: names and address", () => {
  it("billing and shipping addresses: the billing address's keys, hashed and normalised, and their source in the log", async () => {
    const order = addressedOrder({
      billing_address: BILLING_ADDRESS,
      shipping_address: SHIPPING_ADDRESS,
    });
    await sendOrder(order);
    await drain();
    const user = purchaseAt(order).user ?? {};
    expect(Object.keys(user).sort()).toEqual([
      "city",
      "country",
      "email",
      "external_id",
      "first_name",
      "last_name",
      "phone",
      "state",
      "zip_code",
    ]);
    expect(user).toMatchObject({
      external_id: [H.customer],
      first_name: H.jose,
      last_name: H.muller,
      city: "sanfrancisco",
      state: "ca",
      country: "us",
      zip_code: H.zip94105,
    });

    const row = await deliveryOf(order);
    expect(row.status).toBe("delivered");
    expect(row.matchKeys).toBe(
      "email,phone,external_id,first_name,last_name,city,state,country,zip_code",
    );
    const detail = await detailJson(row.id);
    expect(detail.keySources).toEqual({
      email: "order",
      phone: "order",
      external_id: "order",
      first_name: "billing_address",
      last_name: "billing_address",
      city: "billing_address",
      state: "billing_address",
      country: "billing_address",
      zip_code: "billing_address",
    });
    expect(detail.matchKeys).toContain("zip_code");

    const html = await (
      await documentRequest(`/app/deliveries/${row.id}`)
    ).text();
    const shown = (key: string, source: string) =>
      new RegExp(`<code>${key}</code>: (<!-- -->)?${source}`);
    expect(html).toMatch(shown("first_name", "order billing address"));
    expect(html).toMatch(shown("zip_code", "order billing address"));
    expect(html).toMatch(shown("email", "order"));
    expect(html).not.toContain("Müller");
  });

  it("shipping address only: its keys, no state (none given), source shipping address", async () => {
    const order = addressedOrder({
      billing_address: null,
      shipping_address: SHIPPING_ADDRESS,
    });
    await sendOrder(order);
    await drain();
    const user = purchaseAt(order).user ?? {};
    expect(Object.keys(user).sort()).toEqual([
      "city",
      "country",
      "email",
      "external_id",
      "first_name",
      "last_name",
      "zip_code",
    ]);
    expect(user).toMatchObject({
      first_name: H.zoe, // sent in NFD, hashed as NFC
      last_name: H.obrien,
      city: "london",
      country: "gb",
      zip_code: H.sw1a1aa,
    });
    const detail = await detailJson((await deliveryOf(order)).id);
    expect(detail.keySources).toEqual({
      email: "order",
      external_id: "order",
      first_name: "shipping_address",
      last_name: "shipping_address",
      city: "shipping_address",
      country: "shipping_address",
      zip_code: "shipping_address",
    });
  });

  it("neither address: no name or address key at all, not even an empty one", async () => {
    const order = addressedOrder({
      billing_address: null,
      shipping_address: null,
    });
    await sendOrder(order);
    await drain();
    const user = purchaseAt(order).user ?? {};
    expect(Object.keys(user).sort()).toEqual(["email", "external_id"]);
    const row = await deliveryOf(order);
    expect(row.matchKeys).toBe("email,external_id");
    expect(JSON.parse(row.keySources!)).toEqual({
      email: "order",
      external_id: "order",
    });
  });

  it("the stored payloads and the database file hold no raw first name, last name or postal code", async () => {
    const orders = [
      addressedOrder({
        billing_address: BILLING_ADDRESS,
        shipping_address: SHIPPING_ADDRESS,
      }),
      addressedOrder({
        billing_address: null,
        shipping_address: SHIPPING_ADDRESS,
      }),
    ];
    for (const order of orders) await sendOrder(order);
    await drain();
    const RAW = [
      "José",
      "josé",
      "Müller",
      "müller",
      "Lüdenscheidt",
      "Zoe\u0308",
      "Zoë",
      "zoë",
      "O'Brien",
      "obrien",
      "94105",
      "SW1A",
      "sw1a",
    ];
    const rows = await app.prisma.delivery.findMany({ where: { shop: SHOP } });
    expect(rows).toHaveLength(2);
    for (const row of rows)
      for (const raw of RAW)
        expect(row.payload.includes(raw), `${raw} in payload`).toBe(false);
    // What TikTok wants plain is there, as are the hashes.
    expect(rows.some((r) => r.payload.includes('"city":"london"'))).toBe(true);
    expect(rows.every((r) => r.payload.includes(H.customer))).toBe(true);

    await app.prisma.$disconnect();
    const bytes = Buffer.concat([
      readFileSync(app.dbFile),
      readIfPresent(`${app.dbFile}-wal`),
    ]);
    for (const raw of RAW)
      expect(bytes.includes(Buffer.from(raw, "utf8")), raw).toBe(false);
    expect(bytes.includes(Buffer.from(H.zip94105))).toBe(true);
  });
});

function readIfPresent(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

describe("storefront events of a logged-in customer", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const collectBody = (suffix: string) =>
    JSON.stringify({
      v: 1,
      session_id: `sid_loggedin_${suffix}_0123456789`,
      consent: "granted",
      ttclid: "E.C.P.storefront",
      page: { url: `https://${SHOP}/products/shirt` },
      events: [
        {
          event: "ViewContent",
          event_id: `vc-${suffix}-000001`,
          event_time: now(),
          properties: {
            currency: "USD",
            value: 19.99,
            contents: [{ content_id: "808950810123456", quantity: 1 }],
          },
        },
        {
          event: "AddToCart",
          event_id: `ac-${suffix}-000001`,
          event_time: now(),
          properties: { currency: "USD", value: 19.99 },
        },
      ],
    });
  const collect = (suffix: string, customerId?: string | string[]) =>
    app.handle(
      app.appProxyRequest("/proxy/collect", {
        shop: SHOP,
        body: collectBody(suffix),
        customerId,
        headers: {
          "X-Forwarded-For": "203.0.113.9",
          "User-Agent": "Mozilla/5.0 (shopper)",
        },
      }),
    );

  it("carry the same hashed external_id as that customer's Purchase, taken from the signed logged_in_customer_id", async () => {
    expect((await collect("in", "7390123456789")).status).toBe(204);
    const order = canadianOrderWithClick(); // customer 7390123456789
    await sendOrder(order);
    await drain();

    const storefront = tiktok.accepted.filter((e) =>
      ["ViewContent", "AddToCart"].includes(e.event),
    );
    expect(storefront).toHaveLength(2);
    const purchase = purchaseAt(order);
    expect(purchase.user?.external_id).toEqual([H.customer]);
    for (const event of storefront)
      expect(event.user?.external_id).toEqual(purchase.user?.external_id);

    const rows = await app.prisma.delivery.findMany({
      where: { shop: SHOP, source: "storefront" },
    });
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.matchKeys).toBe("ttclid,external_id,ip_ua");
      // customers/redact and data requests find these rows by the customer
      expect(row.customerId).toBe("gid://shopify/Customer/7390123456789");
      expect(row.payload).not.toContain("7390123456789");
      expect((await detailJson(row.id)).keySources).toEqual({
        ttclid: "storefront_script",
        external_id: "app_proxy",
        ip: "app_proxy",
        user_agent: "app_proxy",
      });
    }
  });

  it("a guest (empty logged_in_customer_id), a non-numeric id or a repeated parameter give no external_id", async () => {
    expect((await collect("guest", "")).status).toBe(204);
    expect((await collect("odd", "abc")).status).toBe(204);
    // A storefront URL bringing its own id next to Shopify's: both are signed, neither trusted.
    expect(
      (await collect("twice", ["7390123456789", "1234567890"])).status,
    ).toBe(204);
    await drain();
    const events = tiktok.accepted;
    expect(events).toHaveLength(6);
    for (const event of events)
      expect(event.user && "external_id" in event.user).toBe(false);
    const rows = await app.prisma.delivery.findMany({ where: { shop: SHOP } });
    for (const row of rows) expect(row.customerId).toBeNull();
  });

  it("never takes a customer id from the JSON body: the body is refused", async () => {
    const body = JSON.parse(collectBody("body")) as Record<string, unknown>;
    body.customer_id = "7390123456789";
    const res = await app.handle(
      app.appProxyRequest("/proxy/collect", {
        shop: SHOP,
        body: JSON.stringify(body),
      }),
    );
    expect(res.status).toBe(400);
    expect(await app.prisma.delivery.count({ where: { shop: SHOP } })).toBe(0);
  });

  it("a changed logged_in_customer_id breaks Shopify's signature: 400, nothing stored", async () => {
    const request = app.appProxyRequest("/proxy/collect", {
      shop: SHOP,
      body: collectBody("forged"),
      customerId: "1111111111",
    });
    const url = new URL(request.url);
    url.searchParams.set("logged_in_customer_id", "7390123456789");
    const res = await app.handle(
      new Request(url, {
        method: "POST",
        headers: request.headers,
        body: collectBody("forged"),
      }),
    );
    expect(res.status).toBe(400);
    expect(await app.prisma.delivery.count({ where: { shop: SHOP } })).toBe(0);
  });
});
