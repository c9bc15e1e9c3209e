import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import {
  createTestApp,
  TEST_CREDS,
  APP_URL,
  type TestApp,
} from "../support/test-app";
import { sessionToken } from "../../dev/shopify-signing";

const SHOP_A = "shop-a.myshopify.com";
const SHOP_B = "shop-b.myshopify.com";
const TOKEN_A = "act.a1b2c3d4e5f6SECRETtokenA9876";
const PIXEL_A = "CABCDEF1234567890XYZ";
const DATA = "?_data=routes%2Fapp.settings";

let app: TestApp;
const adminCalls: {
  url: string;
  body: { query: string; variables?: Record<string, unknown> };
}[] = [];

beforeAll(async () => {
  app = await createTestApp();
  await app.installShop(SHOP_A);
  await app.installShop(SHOP_B);
  setAbstractFetchFunc(async (input, init) => {
    const body = JSON.parse(String(init?.body ?? "{}"));
    adminCalls.push({ url: String(input), body });
    const data = body.query.includes("ShopId")
      ? { shop: { id: "gid://shopify/Shop/1" } }
      : {
          metafieldsSet: {
            metafields: [{ id: "gid://shopify/Metafield/9" }],
            userErrors: [],
          },
        };
    return new Response(JSON.stringify({ data }), {
      status: 200,
      headers: { "Content-Type": "application/json" },
    });
  });
});
afterAll(() => app.close());
beforeEach(() => {
  adminCalls.length = 0;
});

function validForm(overrides: Record<string, string> = {}) {
  return new URLSearchParams({
    intent: "save",
    pixelCode: PIXEL_A,
    accessToken: TOKEN_A,
    testEventCode: "TEST12345",
    purchaseEventName: "Purchase",
    purchaseTrigger: "orders/paid",
    consentPolicy: "skip",
    valueSource: "subtotal",
    sendPurchase: "true",
    sendViewContent: "false",
    sendAddToCart: "true",
    sendInitiateCheckout: "true",
    sendAddPaymentInfo: "false",
    sendCheckoutSteps: "true",
    sendSearch: "false",
    skipTestOrders: "true",
    skipPosOrders: "false",
    skipDraftOrders: "true",
    skipSubscriptionRecurringOrders: "true",
    ...overrides,
  });
}

const post = (shop: string, form: URLSearchParams) =>
  app.handle(
    app.adminRequest(shop, `/app/settings${DATA}`, {
      method: "POST",
      body: form,
    }),
  );
const load = (shop: string) =>
  app.handle(app.adminRequest(shop, `/app/settings${DATA}`));

describe("settings page", () => {
  it("rejects requests without a valid session token", async () => {
    const res = await app.handle(
      new Request(`${APP_URL}/app/settings${DATA}`, {
        headers: {
          Authorization: `Bearer ${sessionToken(SHOP_A, { ...TEST_CREDS, apiSecret: "wrong" })}`,
        },
      }),
    );
    expect(res.status).toBe(401);
  });

  it("loads defaults for a shop that has not saved anything", async () => {
    const res = await load(SHOP_A);
    expect(res.status).toBe(200);
    const { settings } = await res.json();
    expect(settings).toMatchObject({
      pixelCode: "",
      accessTokenSet: false,
      purchaseTrigger: "orders/create",
      skipPosOrders: true,
      // The checkout switches as before they existed: AddPaymentInfo on, contact/shipping off.
      sendInitiateCheckout: true,
      sendAddPaymentInfo: true,
      sendCheckoutSteps: false,
    });
  });

  it("saves and reloads the settings; the token is write-only and encrypted at rest", async () => {
    const res = await post(SHOP_A, validForm());
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(TOKEN_A);
    expect(JSON.parse(text)).toMatchObject({
      ok: true,
      settings: { pixelCode: PIXEL_A, accessTokenLast4: "9876" },
    });

    const reloaded = await load(SHOP_A);
    const reloadedText = await reloaded.text();
    expect(reloadedText).not.toContain(TOKEN_A);
    expect(reloadedText).not.toContain("accessTokenCiphertext");
    expect(JSON.parse(reloadedText).settings).toMatchObject({
      pixelCode: PIXEL_A,
      accessTokenSet: true,
      accessTokenLast4: "9876",
      testEventCode: "TEST12345",
      purchaseTrigger: "orders/paid",
      consentPolicy: "skip",
      valueSource: "subtotal",
      sendViewContent: false,
      sendInitiateCheckout: true,
      sendAddPaymentInfo: false,
      sendCheckoutSteps: true,
      sendSearch: false,
      skipPosOrders: false,
    });

    const row = await app.prisma.pixel.findFirstOrThrow({
      where: { shop: SHOP_A },
    });
    expect(row.accessTokenCiphertext).toBeTruthy();
    expect(row.accessTokenCiphertext).not.toContain(TOKEN_A);
    expect(
      Buffer.from(
        row.accessTokenCiphertext!.split(".")[3],
        "base64url",
      ).toString("utf8"),
    ).not.toContain("SECRET");
    const { readPixelToken } = await import("~/pixels/pixels.server");
    expect(readPixelToken(row)).toBe(TOKEN_A);
  });

  it("writes only the pixel code to the app-owned shop metafields (the list and the single code)", async () => {
    await post(SHOP_A, validForm({ pixelCode: "CNEWPIXEL0000000001" }));
    const mutation = adminCalls.find((c) =>
      c.body.query.includes("metafieldsSet"),
    );
    expect(mutation).toBeDefined();
    expect(mutation!.url).toContain(
      `https://${SHOP_A}/admin/api/2026-10/graphql.json`,
    );
    expect(mutation!.body.variables).toEqual({
      metafields: [
        {
          ownerId: "gid://shopify/Shop/1",
          namespace: "$app:tiktok",
          key: "pixel_codes",
          type: "list.single_line_text_field",
          value: '["CNEWPIXEL0000000001"]',
        },
        {
          ownerId: "gid://shopify/Shop/1",
          namespace: "$app:tiktok",
          key: "pixel_code",
          type: "single_line_text_field",
          value: "CNEWPIXEL0000000001",
        },
      ],
    });
    const everything = JSON.stringify(adminCalls);
    expect(everything).not.toContain(TOKEN_A);
    expect(everything).not.toContain("TEST12345");
  });

  it("keeps the stored token when the token field is left empty", async () => {
    const res = await post(SHOP_A, validForm({ accessToken: "" }));
    expect(res.status).toBe(200);
    const { readPixelToken } = await import("~/pixels/pixels.server");
    const row = await app.prisma.pixel.findFirstOrThrow({
      where: { shop: SHOP_A },
    });
    expect(readPixelToken(row)).toBe(TOKEN_A);
  });

  it("the checkout switches save and reload both ways; a bad value is refused and changes nothing", async () => {
    const saved = async () =>
      app.prisma.pixel.findFirstOrThrow({
        where: { shop: SHOP_A },
        select: { sendAddPaymentInfo: true, sendCheckoutSteps: true },
      });
    expect(
      (
        await post(
          SHOP_A,
          validForm({ sendAddPaymentInfo: "true", sendCheckoutSteps: "false" }),
        )
      ).status,
    ).toBe(200);
    expect(await saved()).toEqual({
      sendAddPaymentInfo: true,
      sendCheckoutSteps: false,
    });
    expect((await post(SHOP_A, validForm())).status).toBe(200);
    expect(await saved()).toEqual({
      sendAddPaymentInfo: false,
      sendCheckoutSteps: true,
    });
    expect((await (await load(SHOP_A)).json()).settings).toMatchObject({
      sendAddPaymentInfo: false,
      sendCheckoutSteps: true,
    });

    const bad = await post(
      SHOP_A,
      validForm({ sendAddPaymentInfo: "yes", sendCheckoutSteps: "1" }),
    );
    expect(bad.status).toBe(422);
    const { errors } = await bad.json();
    expect(Object.keys(errors).sort()).toEqual([
      "sendAddPaymentInfo",
      "sendCheckoutSteps",
    ]);
    expect(await saved()).toEqual({
      sendAddPaymentInfo: false,
      sendCheckoutSteps: true,
    });
  });

  it("gives field errors for bad input and saves nothing", async () => {
    const res = await post(
      SHOP_B,
      validForm({
        pixelCode: "bad!",
        accessToken: "",
        testEventCode: "has space",
        purchaseTrigger: "orders/fulfilled",
      }),
    );
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.ok).toBe(false);
    expect(body.errors.pixelCode).toMatch(/10 to 40 letters and digits/);
    expect(body.errors.accessToken).toMatch(/access token/i);
    expect(body.errors.testEventCode).toMatch(/letters, digits/);
    expect(body.errors.purchaseTrigger).toBeDefined();
    expect(
      await app.prisma.shopSettings.count({ where: { shop: SHOP_B } }),
    ).toBe(0);
    expect(adminCalls).toHaveLength(0);

    const tooShort = await post(SHOP_B, validForm({ pixelCode: "ABC123" }));
    expect(tooShort.status).toBe(422);
    const tooLong = await post(
      SHOP_B,
      validForm({ pixelCode: "A".repeat(41) }),
    );
    expect(tooLong.status).toBe(422);
    expect(
      await app.prisma.shopSettings.count({ where: { shop: SHOP_B } }),
    ).toBe(0);
  });

  it("never lets one shop read or overwrite another shop's settings", async () => {
    const other = await load(SHOP_B);
    const text = await other.text();
    expect(text).not.toContain(PIXEL_A);
    expect(JSON.parse(text).settings.accessTokenSet).toBe(false);

    // A shop field smuggled into the form is ignored: the shop comes from the session token.
    await post(
      SHOP_B,
      validForm({
        pixelCode: "CSHOPBPIXEL00000001",
        accessToken: "tokenB-0000",
        shop: SHOP_A,
      }),
    );
    const a = await app.prisma.pixel.findFirstOrThrow({
      where: { shop: SHOP_A },
    });
    const b = await app.prisma.pixel.findFirstOrThrow({
      where: { shop: SHOP_B },
    });
    expect(a.pixelCode).toBe(PIXEL_A);
    expect(b.pixelCode).toBe("CSHOPBPIXEL00000001");
  });

  it("renders the settings document without the token", async () => {
    const params = new URLSearchParams({
      embedded: "1",
      shop: SHOP_A,
      host: Buffer.from(`admin.shopify.com/store/shop-a`).toString("base64"),
      id_token: sessionToken(SHOP_A, TEST_CREDS),
    });
    const res = await app.handle(
      new Request(`${APP_URL}/app/settings?${params}`),
    );
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain("Pixel code");
    expect(html).toContain("Access token");
    expect(html).toContain("Test event code");
    expect(html).toContain("Set, ending in …9876");
    expect(html).toContain("AddPaymentInfo");
    expect(html).toContain("Contact and shipping steps (custom events)");
    expect(html).not.toContain(TOKEN_A);
    const row = await app.prisma.pixel.findFirstOrThrow({
      where: { shop: SHOP_A },
    });
    expect(html).not.toContain(row.accessTokenCiphertext!);
  });
});
