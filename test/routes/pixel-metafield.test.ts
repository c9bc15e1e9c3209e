// Publishing the shop's pixel codes to the storefront: the app-owned metafields the theme embed
// reads ($app:tiktok.pixel_codes, and the older single $app:tiktok.pixel_code), written with
// metafieldsSet / metafieldsDelete against a real HTTP stand-in for the Admin GraphQL API on
// 127.0.0.1 (test/support/admin-graphql-pixels.ts), directly and through the pixel page's save.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import {
  routeAdminApiTo,
  standinAdminClient,
  startAdminPixelStandin,
  type AdminPixelStandin,
} from "../support/admin-graphql-pixels";
import {
  MetafieldError,
  publishPixelCodes,
} from "~/settings/pixel-metafield.server";

const SHOP = "pixel-metafield.myshopify.com";
const ACCESS_TOKEN = `shpat_test_${SHOP}`; // what installShop stores
const CODES = "$app:tiktok.pixel_codes";
const CODE = "$app:tiktok.pixel_code";
const P1 = "CMETAFIELDPIXEL00001";
const P2 = "CMETAFIELDPIXEL00002";
const P3 = "CMETAFIELDPIXEL00003";

let app: TestApp;
let admin: AdminPixelStandin;

beforeAll(async () => {
  admin = await startAdminPixelStandin({ accessToken: ACCESS_TOKEN });
  app = await createTestApp();
  await app.installShop(SHOP);
  routeAdminApiTo(admin);
});
afterAll(async () => {
  await app.close();
  await admin.close();
});
beforeEach(() => {
  admin.calls.length = 0;
  admin.failWith = null;
  admin.metafields.clear();
});

const client = () => standinAdminClient(admin, ACCESS_TOKEN);

const stored = () => Object.fromEntries(admin.metafields);

describe("publishPixelCodes", () => {
  it("publishes one code as a list of one, and as the single code older embeds read", async () => {
    await publishPixelCodes(client(), [P1]);
    expect(stored()).toEqual({
      [CODES]: { type: "list.single_line_text_field", value: `["${P1}"]` },
      [CODE]: { type: "single_line_text_field", value: P1 },
    });
    // one metafieldsSet call, on the shop
    const sets = admin.calls.filter((c) => c.operation === "metafieldsSet");
    expect(sets).toHaveLength(1);
    expect(sets[0].variables.metafields).toEqual([
      expect.objectContaining({ ownerId: "gid://shopify/Shop/1" }),
      expect.objectContaining({ ownerId: "gid://shopify/Shop/1" }),
    ]);
  });

  it("publishes several codes in order, each once; the single code is the first", async () => {
    await publishPixelCodes(client(), [P2, P1, P3, P1]);
    expect(JSON.parse(admin.metafields.get(CODES)!.value)).toEqual([
      P2,
      P1,
      P3,
    ]);
    expect(admin.metafields.get(CODE)!.value).toBe(P2);
    // a later save with fewer codes replaces the list
    await publishPixelCodes(client(), [P3]);
    expect(JSON.parse(admin.metafields.get(CODES)!.value)).toEqual([P3]);
    expect(admin.metafields.get(CODE)!.value).toBe(P3);
  });

  it("with no codes, deletes both metafields, so the embed renders nothing", async () => {
    await publishPixelCodes(client(), [P1, P2]);
    await publishPixelCodes(client(), []);
    expect(stored()).toEqual({});
    expect(admin.calls.at(-1)).toMatchObject({
      operation: "metafieldsDelete",
      variables: {
        metafields: [
          {
            ownerId: "gid://shopify/Shop/1",
            namespace: "$app:tiktok",
            key: "pixel_codes",
          },
          {
            ownerId: "gid://shopify/Shop/1",
            namespace: "$app:tiktok",
            key: "pixel_code",
          },
        ],
      },
    });
  });

  it("reports a value Shopify refuses, and nothing is stored", async () => {
    await expect(publishPixelCodes(client(), ["CLINE\nBREAK"])).rejects.toThrow(
      MetafieldError,
    );
    await expect(publishPixelCodes(client(), [""])).rejects.toThrow(
      /single line text/,
    );
    expect(stored()).toEqual({});
  });

  it("reports an unavailable Admin API, and nothing is stored", async () => {
    admin.failWith = 503;
    await expect(publishPixelCodes(client(), [P1])).rejects.toThrow(
      MetafieldError,
    );
    admin.failWith = null;
    expect(stored()).toEqual({});
  });
});

describe("the pixel page's save", () => {
  const form = (pixelCode: string) =>
    new URLSearchParams({
      pixelCode,
      accessToken: "act.metafield-token-0001",
      purchaseEventName: "Purchase",
      consentPolicy: "limited",
      valueSource: "total",
      sendPurchase: "true",
      sendViewContent: "true",
      sendAddToCart: "true",
      sendInitiateCheckout: "true",
      sendAddPaymentInfo: "true",
      sendSearch: "true",
      skipTestOrders: "true",
      skipPosOrders: "true",
      skipDraftOrders: "true",
      skipSubscriptionRecurringOrders: "true",
    });
  // The pixel page: adds the shop's pixel, then edits its code.
  const save = async (pixelCode: string) => {
    const saved = await app.prisma.pixel.findFirst({ where: { shop: SHOP } });
    return app.handle(
      app.adminRequest(
        SHOP,
        `/app/settings/pixels/${saved?.id ?? "new"}?_data=routes%2Fapp.settings_.pixels.%24id`,
        { method: "POST", body: form(pixelCode) },
      ),
    );
  };

  it("publishes the shop's pixel code as a one-element list (and the single code)", async () => {
    const res = await save(P1);
    expect(res.status).toBe(201);
    expect(((await res.json()) as { warning?: string }).warning).toBe(
      undefined,
    );
    expect(stored()).toEqual({
      [CODES]: { type: "list.single_line_text_field", value: `["${P1}"]` },
      [CODE]: { type: "single_line_text_field", value: P1 },
    });
    // a new code replaces both
    expect((await save(P2)).status).toBe(200);
    expect(JSON.parse(admin.metafields.get(CODES)!.value)).toEqual([P2]);
    expect(admin.metafields.get(CODE)!.value).toBe(P2);
  });
});
