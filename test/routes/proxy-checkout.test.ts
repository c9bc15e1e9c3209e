// The checkout relay through the real route: signed app proxy requests, the real ingest and a
// temporary SQLite database. The process's flood guard is replaced by one on a fake clock.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import {
  DEFAULT_LIMITS,
  ProxyLimits,
  type ProxyLimitSettings,
} from "~/storefront/rate-limit";
import { sha256Hex } from "~/tiktok/hashing";
import { forgetPixels, seedPixel } from "../support/shops";

const SHOP = "relay-shop.myshopify.com";
const OTHER = "relay-other.myshopify.com";
const UNKNOWN = "relay-unknown.myshopify.com";
const PIXEL = "CRELAYPIXEL00000001";
const SHOPPER = "203.0.113.20";
const TOKEN = "c1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6";
const UA = "Mozilla/5.0 (Relay test) Chrome/130";
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => {
  globalThis.proxyLimits = undefined;
  return app.close();
});

function useLimits(settings: ProxyLimitSettings = DEFAULT_LIMITS) {
  globalThis.proxyLimits = new ProxyLimits(settings, () => 1_800_000_000_000);
}

beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  await app.prisma.checkoutContext.deleteMany({});
  await app.prisma.shopSettings.deleteMany({});
  for (const shop of [SHOP, OTHER])
    await seedPixel(app.prisma, shop, { pixelCode: PIXEL });
  useLimits();
});

function relay(overrides: Record<string, unknown> = {}) {
  return {
    v: 1,
    event: "checkout_started",
    id: "sh-evt-0001",
    ts: new Date().toISOString(),
    token: TOKEN,
    url: `https://${SHOP}/checkouts/cn/${TOKEN}`,
    consent: "granted",
    ttclid: "E.C.P.checkoutclick",
    ttp: "ttp_cookie_value_27chars__",
    sid: "sid_0123456789abcdefXYZ",
    currency: "EUR",
    value: 39.98,
    items: [{ id: "4440000000001", q: 2, p: 19.99, n: "Shirt" }],
    ...overrides,
  };
}

const post = (
  body: unknown,
  options: {
    shop?: string;
    secret?: string;
    ip?: string;
    headers?: Record<string, string>;
  } = {},
) =>
  app.handle(
    app.appProxyRequest("/proxy/checkout", {
      shop: options.shop ?? SHOP,
      secret: options.secret,
      body: typeof body === "string" ? body : JSON.stringify(body),
      headers: {
        "Content-Type": "text/plain;charset=UTF-8",
        "User-Agent": UA,
        "X-Forwarded-For": `${options.ip ?? SHOPPER}, 10.0.0.1`,
        ...options.headers,
      },
    }),
  );

/** Changes the shop's checkout switches as a saved form would (and drops the cached settings). */
async function setSwitches(data: {
  sendInitiateCheckout?: boolean;
  sendAddPaymentInfo?: boolean;
  sendCheckoutSteps?: boolean;
}) {
  await app.prisma.pixel.updateMany({ where: { shop: SHOP }, data });
  await forgetPixels(SHOP);
}

const stored = async () => ({
  contexts: await app.prisma.checkoutContext.count(),
  deliveries: await app.prisma.delivery.count(),
});
const NOTHING = { contexts: 0, deliveries: 0 };

describe("checkout relay (/proxy/checkout)", () => {
  it("a valid checkout_started stores the checkout's context and queues one InitiateCheckout under <token>_InitiateCheckout", async () => {
    const res = await post(relay());
    expect(res.status).toBe(204);
    const context = await app.prisma.checkoutContext.findUniqueOrThrow({
      where: { shop_checkoutToken: { shop: SHOP, checkoutToken: TOKEN } },
    });
    expect(context).toMatchObject({
      ttclid: "E.C.P.checkoutclick",
      ttp: "ttp_cookie_value_27chars__",
      sessionKey: "sid_0123456789abcdefXYZ",
      consent: "granted",
      ip: SHOPPER, // from Shopify's X-Forwarded-For, never from the body
      userAgent: UA,
      emailHash: null,
      orderId: null,
      completedAt: null,
    });
    const deliveries = await app.prisma.delivery.findMany();
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({
      shop: SHOP,
      eventName: "InitiateCheckout",
      eventId: `${TOKEN}_InitiateCheckout`,
      status: "pending",
    });
    const event = JSON.parse(deliveries[0].payload);
    expect(event.user).toEqual({
      ttclid: "E.C.P.checkoutclick",
      ttp: "ttp_cookie_value_27chars__",
      ip: SHOPPER,
      user_agent: UA,
    });
    expect(event.properties).toMatchObject({
      currency: "EUR",
      value: 39.98,
      content_type: "product",
      contents: [
        {
          content_id: "4440000000001",
          content_name: "Shirt",
          price: 19.99,
          quantity: 2,
        },
      ],
    });
  });

  it("the same step relayed three times is one delivery; contact details arrive hashed and are kept hashed only", async () => {
    for (let i = 0; i < 3; i++)
      expect((await post(relay({ id: `sh-evt-${i}` }))).status).toBe(204);
    const contact = await post(
      relay({
        event: "checkout_contact_info_submitted",
        email: "  Buyer.Relay@Example.COM ",
        phone: "+44 20 7946 0958",
        ttclid: undefined, // a later step without the cookie keeps the click id
        items: undefined,
      }),
    );
    expect(contact.status).toBe(204);
    for (let i = 0; i < 3; i++)
      expect(
        (await post(relay({ event: "payment_info_submitted", id: `p-${i}` })))
          .status,
      ).toBe(204);
    const rows = await app.prisma.delivery.findMany({
      orderBy: { eventName: "asc" },
    });
    expect(rows.map((r) => [r.eventName, r.eventId])).toEqual([
      ["AddPaymentInfo", `${TOKEN}_AddPaymentInfo`],
      ["InitiateCheckout", `${TOKEN}_InitiateCheckout`],
    ]);
    const emailHash = sha256Hex("buyer.relay@example.com");
    const phoneHash = sha256Hex("+442079460958");
    expect(JSON.parse(rows[0].payload).user).toMatchObject({
      ttclid: "E.C.P.checkoutclick",
      email: [emailHash],
      phone: [phoneHash],
    });
    expect(
      await app.prisma.checkoutContext.findFirstOrThrow({
        where: { shop: SHOP },
      }),
    ).toMatchObject({ emailHash, phoneHash, ttclid: "E.C.P.checkoutclick" });
    expect(await app.prisma.checkoutContext.count()).toBe(1);

    await app.prisma.$disconnect();
    let bytes = readFileSync(app.dbFile).toString("latin1");
    try {
      bytes += readFileSync(`${app.dbFile}-wal`).toString("latin1");
    } catch {
      // no WAL file
    }
    for (const raw of [
      "Buyer.Relay@Example.COM",
      "buyer.relay@example.com",
      "+44 20 7946 0958",
      "+442079460958",
    ])
      expect(bytes.includes(raw), raw).toBe(false);
    expect(bytes.includes(emailHash)).toBe(true);
  });

  it("a step that knows the address carries its name and place keys, hashed or normalised; nothing raw is stored", async () => {
    const res = await post(
      relay({
        event: "payment_info_submitted",
        addr: {
          fn: "  Zoe\u0308 ", // NFD
          ln: "O'Brien",
          city: "São Paulo",
          prov: "SP",
          cc: "BR",
          zip: "SW1A 1AA",
        },
      }),
    );
    expect(res.status).toBe(204);
    const row = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP },
    });
    // printf '%s' zoë | sha256sum; printf '%s' obrien | sha256sum; printf '%s' sw1a1aa | sha256sum
    expect(JSON.parse(row.payload).user).toMatchObject({
      first_name:
        "2752b88686847fa5c86f47b94ce652b7b3f22a91c37617d451a4db9afa431450",
      last_name:
        "b4cb6cb33fe4b865868de825023a1e2790dc12ac01ecc8d7c5afe8254071c8ba",
      city: "saopaulo",
      state: "sp",
      country: "br",
      zip_code:
        "830e1d4b9838bab1f5c2acdb23e0b502ff13a9832c4632e8d67a1d43d3b7f614",
    });
    expect(row.matchKeys.split(",")).toEqual(
      expect.arrayContaining(["first_name", "last_name", "city", "zip_code"]),
    );
    expect(JSON.parse(row.keySources!)).toEqual({
      ttclid: "checkout_pixel",
      ttp: "checkout_pixel",
      first_name: "checkout_pixel",
      last_name: "checkout_pixel",
      city: "checkout_pixel",
      state: "checkout_pixel",
      country: "checkout_pixel",
      zip_code: "checkout_pixel",
      ip: "checkout_pixel",
      user_agent: "checkout_pixel",
    });
    await app.prisma.$disconnect();
    const bytes = Buffer.concat([
      readFileSync(app.dbFile),
      ...[`${app.dbFile}-wal`].flatMap((f) => {
        try {
          return [readFileSync(f)];
        } catch {
          return [];
        }
      }),
    ]);
    for (const raw of ["Zoe\u0308", "zoë", "O'Brien", "SW1A 1AA", "sw1a1aa"])
      expect(bytes.includes(Buffer.from(raw, "utf8")), raw).toBe(false);
  });

  it("steps of several checkouts relayed at once (written together) each merge into their own context; a later step keeps what they stored", async () => {
    const SECOND = "d1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6";
    const startedTs = "2026-01-05T10:00:00.000Z";
    const answers = await Promise.all([
      post(relay({ ts: startedTs })),
      post(
        relay({
          event: "checkout_contact_info_submitted",
          id: "sh-evt-0002",
          ttclid: undefined,
          email: "Both@Example.com",
        }),
      ),
      post(
        relay({
          event: "payment_info_submitted",
          id: "sh-evt-0003",
          ttclid: undefined,
          ttp: undefined,
        }),
      ),
      post(
        relay({
          token: SECOND,
          url: `https://${SHOP}/checkouts/cn/${SECOND}`,
          ttclid: "E.C.P.secondclick",
          sid: "sid_second_checkout_0001",
        }),
      ),
      post(relay({ token: SECOND, url: undefined }), { shop: OTHER }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
    const contexts = await app.prisma.checkoutContext.findMany({
      orderBy: [{ shop: "asc" }, { checkoutToken: "asc" }],
    });
    expect(contexts.map((c) => [c.shop, c.checkoutToken])).toEqual([
      [OTHER, SECOND],
      [SHOP, TOKEN],
      [SHOP, SECOND],
    ]);
    const first = contexts[1];
    expect(first).toMatchObject({
      ttclid: "E.C.P.checkoutclick",
      ttp: "ttp_cookie_value_27chars__",
      emailHash: sha256Hex("both@example.com"),
      sessionKey: "sid_0123456789abcdefXYZ",
      ip: SHOPPER,
    });
    expect(contexts[2]).toMatchObject({
      ttclid: "E.C.P.secondclick",
      sessionKey: "sid_second_checkout_0001",
      emailHash: null,
    });
    expect(
      (
        await app.prisma.delivery.findMany({
          orderBy: [{ eventId: "asc" }, { shop: "asc" }],
        })
      ).map((d) => [d.shop, d.eventId]),
    ).toEqual([
      [SHOP, `${TOKEN}_AddPaymentInfo`],
      [SHOP, `${TOKEN}_InitiateCheckout`],
      [OTHER, `${SECOND}_InitiateCheckout`],
      [SHOP, `${SECOND}_InitiateCheckout`],
    ]);

    // Read back from what the batch stored: its times and keys survive the next step.
    expect(
      (
        await post(
          relay({
            event: "checkout_shipping_info_submitted",
            id: "sh-evt-0004",
            ttclid: undefined,
            ts: "2026-01-05T10:05:00.000Z",
          }),
        )
      ).status,
    ).toBe(204);
    const after = await app.prisma.checkoutContext.findUniqueOrThrow({
      where: { shop_checkoutToken: { shop: SHOP, checkoutToken: TOKEN } },
    });
    expect(after).toMatchObject({
      ttclid: "E.C.P.checkoutclick",
      emailHash: sha256Hex("both@example.com"),
      startedAt: first.startedAt,
      firstSeenAt: first.firstSeenAt,
      completedAt: null,
    });
    expect(after.startedAt).toBeInstanceOf(Date);
    expect(after.lastSeenAt.getTime()).toBeGreaterThanOrEqual(
      first.lastSeenAt.getTime(),
    );
  });

  it("checkout_completed records the order id and completion; the shipping step queues nothing", async () => {
    expect(
      (await post(relay({ event: "checkout_shipping_info_submitted" }))).status,
    ).toBe(204);
    expect(await app.prisma.delivery.count()).toBe(0);
    expect(
      (
        await post(
          relay({
            event: "checkout_completed",
            order_id: "gid://shopify/Order/6120458731099",
            email: "done@example.com",
          }),
        )
      ).status,
    ).toBe(204);
    expect(await app.prisma.checkoutContext.findFirstOrThrow()).toMatchObject({
      orderId: "6120458731099",
      emailHash: sha256Hex("done@example.com"),
      completedAt: expect.any(Date),
    });
    expect(await app.prisma.delivery.count()).toBe(0);
  });

  it("InitiateCheckout turned off: the context is kept, nothing is queued; AddPaymentInfo has its own switch", async () => {
    await setSwitches({ sendInitiateCheckout: false });
    expect((await post(relay())).status).toBe(204);
    expect(await stored()).toEqual({ contexts: 1, deliveries: 0 });
    expect(
      (await post(relay({ event: "payment_info_submitted", id: "pay-1" })))
        .status,
    ).toBe(204);
    expect(
      (await app.prisma.delivery.findMany()).map((r) => r.eventName),
    ).toEqual(["AddPaymentInfo"]);
  });

  it("contact and shipping steps (switch off, the default) only add to the context: hashed contact, no delivery", async () => {
    for (const event of [
      "checkout_contact_info_submitted",
      "checkout_shipping_info_submitted",
    ])
      expect(
        (
          await post(
            relay({
              event,
              id: `off-${event}`,
              email:
                event === "checkout_contact_info_submitted"
                  ? "steps.off@example.com"
                  : undefined,
            }),
          )
        ).status,
      ).toBe(204);
    expect(await stored()).toEqual({ contexts: 1, deliveries: 0 });
    expect(await app.prisma.checkoutContext.findFirstOrThrow()).toMatchObject({
      emailHash: sha256Hex("steps.off@example.com"),
      ttclid: "E.C.P.checkoutclick",
    });
  });

  it("contact and shipping steps turned on: one custom event each under <token>_<Event>, even relayed three times", async () => {
    await setSwitches({ sendCheckoutSteps: true });
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await post(
            relay({
              event: "checkout_contact_info_submitted",
              id: `c-${i}`,
              email: "steps.on@example.com",
            }),
          )
        ).status,
      ).toBe(204);
      expect(
        (
          await post(
            relay({ event: "checkout_shipping_info_submitted", id: `s-${i}` }),
          )
        ).status,
      ).toBe(204);
    }
    const rows = await app.prisma.delivery.findMany({
      orderBy: { eventName: "asc" },
    });
    expect(rows.map((r) => [r.eventName, r.eventId, r.status])).toEqual([
      ["CheckoutContactInfo", `${TOKEN}_CheckoutContactInfo`, "pending"],
      ["CheckoutShippingInfo", `${TOKEN}_CheckoutShippingInfo`, "pending"],
    ]);
    const contact = JSON.parse(rows[0].payload);
    expect(contact).toMatchObject({
      event: "CheckoutContactInfo",
      event_id: `${TOKEN}_CheckoutContactInfo`,
    });
    expect(contact.user).toMatchObject({
      email: [sha256Hex("steps.on@example.com")],
      ttclid: "E.C.P.checkoutclick",
      ip: SHOPPER,
    });
    expect(await app.prisma.checkoutContext.count()).toBe(1);
  });

  it("AddPaymentInfo turned off: payment info queues nothing while InitiateCheckout still does", async () => {
    await setSwitches({ sendAddPaymentInfo: false });
    expect((await post(relay())).status).toBe(204);
    expect(
      (await post(relay({ event: "payment_info_submitted", id: "pay-1" })))
        .status,
    ).toBe(204);
    const rows = await app.prisma.delivery.findMany();
    expect(rows.map((r) => r.eventName)).toEqual(["InitiateCheckout"]);
    expect(await stored()).toEqual({ contexts: 1, deliveries: 1 });
  });

  it.each([
    ["not JSON", "{nope", /not valid JSON/],
    ["a missing token", { ...relay(), token: undefined }, /Invalid token/],
    ["a token with odd characters", relay({ token: "abc def ghi" }), /token/],
    ["an unknown event", relay({ event: "cart_viewed" }), /Invalid event/],
    ["a bad timestamp", relay({ ts: "yesterday" }), /Invalid ts/],
    ["a non-https page", relay({ url: "ftp://example.com/x" }), /Invalid url/],
    ["51 items", relay({ items: Array(51).fill({ id: "1", q: 1 }) }), /items/],
    ["an array body", [relay()], /Invalid body/],
  ])(
    "malformed (%s): 400 with a short reason, nothing stored",
    async (_name, body, reason) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(reason);
      expect(await stored()).toEqual(NOTHING);
    },
  );

  it.each([
    ["an IP address", relay({ ip: "192.0.2.1" }), /Unrecognized key/],
    ["a user agent", relay({ user_agent: "forged" }), /Unrecognized key/],
    ["a shop", relay({ shop: OTHER }), /Unrecognized key/],
    ["a denied or unknown consent", relay({ consent: "unknown" }), /consent/],
    ["an email on checkout_started", relay({ email: "a@b.co" }), /contact/],
    [
      "a phone on payment_info_submitted",
      relay({ event: "payment_info_submitted", phone: "+15550100" }),
      /contact/,
    ],
    ["an order id before completion", relay({ order_id: "1001" }), /order id/],
    [
      "an address on checkout_completed",
      relay({ event: "checkout_completed", addr: { fn: "Ada" } }),
      /address/,
    ],
    [
      "an unknown address field",
      relay({ addr: { fn: "Ada", street: "1 Main St" } }),
      /Unrecognized key/,
    ],
  ])(
    "forged fields (%s): refused with 400, nothing stored",
    async (_name, body, reason) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(reason);
      expect(await stored()).toEqual(NOTHING);
    },
  );

  it("oversize: a body over 16 KB is refused with 413 (declared or streamed), nothing stored", async () => {
    const big = JSON.stringify(
      relay({ url: `https://${SHOP}/${"a".repeat(17_000)}` }),
    );
    const declared = await post(big, {
      headers: { "Content-Length": String(big.length) },
    });
    expect(declared.status).toBe(413);
    const streamed = await post(big);
    expect(streamed.status).toBe(413);
    expect(await stored()).toEqual(NOTHING);
  });

  it("unknown shop: a correctly signed relay for a shop without the app's settings is 404, nothing stored", async () => {
    const res = await post(relay(), { shop: UNKNOWN });
    expect(res.status).toBe(404);
    expect(await stored()).toEqual(NOTHING);
    // Uninstalled counts as unknown too.
    await app.prisma.shopSettings.update({
      where: { shop: OTHER },
      data: { uninstalledAt: new Date() },
    });
    await forgetPixels(OTHER);
    expect((await post(relay(), { shop: OTHER })).status).toBe(404);
    expect(await stored()).toEqual(NOTHING);
  });

  it("a relay not signed by Shopify is refused (400), nothing stored", async () => {
    const res = await post(relay(), { secret: "not-the-app-secret" });
    expect(res.status).toBe(400);
    expect(await stored()).toEqual(NOTHING);
  });

  it("rate-limited: over the client's request rate a relay is 429 with Retry-After and stores nothing; another shopper goes on", async () => {
    useLimits({
      ...DEFAULT_LIMITS,
      perClient: { perMinute: 2, burst: 2 },
    });
    expect((await post(relay())).status).toBe(204);
    expect(
      (await post(relay({ event: "payment_info_submitted" }))).status,
    ).toBe(204);
    const before = await stored();
    const refused = await post(
      relay({ token: "d1d2d3d4d5d6d7d8", event: "checkout_started" }),
    );
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("30");
    expect(await stored()).toEqual(before);
    expect(
      (await post(relay({ token: "e1e2e3e4e5e6e7e8" }), { ip: "198.51.100.7" }))
        .status,
    ).toBe(204);
  });

  it("rate-limited: new checkout tokens from one client stop at the hourly cap; a known checkout goes on", async () => {
    const cap = DEFAULT_LIMITS.newSessionsPerClientPerHour;
    for (let i = 0; i < cap; i++)
      expect(
        (await post(relay({ token: `tok${String(i).padStart(10, "0")}` })))
          .status,
      ).toBe(204);
    const refused = await post(relay({ token: "tok-over-the-cap" }));
    expect(refused.status).toBe(429);
    expect(await refused.text()).toBe(
      "Too many new sessions from this client.",
    );
    expect(await stored()).toEqual({ contexts: cap, deliveries: cap });
    useLimits(); // another process (or a restart): the stored checkout is still known
    for (let i = 0; i < cap; i++)
      await post(relay({ token: `new${String(i).padStart(10, "0")}` }));
    expect(
      (
        await post(
          relay({ token: "tok0000000000", event: "payment_info_submitted" }),
        )
      ).status,
    ).toBe(204);
  });

  it("GET is not a relay", async () => {
    const res = await app.handle(
      new Request("http://127.0.0.1/proxy/checkout?shop=" + SHOP),
    );
    expect(res.status).toBe(405);
  });
});
