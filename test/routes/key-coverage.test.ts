// Key coverage in the merchant's words (issue 13.3), end to end: signed orders/create webhooks
// through the real /webhooks/orders route classify each Purchase's journey and count it in the
// day summary; the home and settings loaders then say which keys reached TikTok and which
// journeys lose _ttp, with the remedy the shop's setup calls for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionToken } from "../../dev/shopify-signing";
import { APP_URL, TEST_CREDS } from "../support/constants";
import { createTestApp, type TestApp } from "../support/test-app";
import { configureShop, seedPixel } from "../support/shops";
import { orderBody, simpleOrder } from "../fixtures/orders";

const SHOP = "coverage-shop.myshopify.com";
const EMPTY = "coverage-empty.myshopify.com";
const TWO_PIXELS = "coverage-two-pixels.myshopify.com";
const PIXEL = "CCOVERAGEPIXEL00001";
const PIXEL_B = "CCOVERAGEPIXEL00002";
const HOME = "routes%2Fapp._index";
const SETTINGS = "routes%2Fapp.settings";

let app: TestApp;

beforeAll(async () => {
  // No hold: the Purchases are due at once (a hold would not change what is counted).
  app = await createTestApp({ CHECKOUT_HOLD_SECONDS: "0" });
  for (const shop of [SHOP, EMPTY, TWO_PIXELS]) {
    await app.installShop(shop);
    await configureShop(shop, {
      pixelCode: PIXEL,
      accessToken: "coverage-token-1",
      skipDraftOrders: false,
    });
  }
  const send = async (overrides: Record<string, unknown>, shop = SHOP) => {
    const res = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/create",
        shop,
        body: orderBody(simpleOrder(overrides)),
      }),
    );
    expect(res.status).toBe(200);
  };
  // 6 through the theme's cart, carrying _ttp in the cart attributes ...
  for (let i = 0; i < 6; i++)
    await send({
      cart_token: `c1-cart${i}`,
      checkout_token: `ck-cart${i}`,
      note_attributes: [{ name: "_ttp", value: `ttp-cookie-${i}` }],
    });
  // ... 3 through Buy it now (a checkout without a cart): no browser keys reach the order ...
  for (let i = 0; i < 3; i++) await send({ checkout_token: `ck-direct${i}` });
  // ... and 1 draft order.
  await send({ source_name: "shopify_draft_order", checkout_token: "ck-d" });

  // A second pixel that takes Purchases only while it is on: the first 3 orders reach both
  // pixels, the last 2 only the first (the second switched off through the app).
  const b = await seedPixel(app.prisma, TWO_PIXELS, {
    pixelCode: PIXEL_B,
    name: "Agency",
  });
  for (let i = 0; i < 3; i++)
    await send(
      {
        cart_token: `two-cart${i}`,
        note_attributes: [{ name: "_ttp", value: `ttp-two-${i}` }],
      },
      TWO_PIXELS,
    );
  const { setPixelEnabled } = await import("~/pixels/pixels.server");
  expect(await setPixelEnabled(TWO_PIXELS, b.id, false)).toBe(true);
  for (let i = 0; i < 2; i++)
    await send({ checkout_token: `ck-two-direct${i}` }, TWO_PIXELS);
});
afterAll(() => app.close());

async function loaderData(shop: string, route: string, path: string) {
  const res = await app.handle(
    app.adminRequest(shop, `${path}?_data=${route}`),
  );
  expect(res.status).toBe(200);
  return res.json();
}

describe("key coverage on the home and settings pages", () => {
  it("stores each Purchase's journey", async () => {
    const rows = await app.prisma.delivery.groupBy({
      by: ["journey"],
      where: { shop: SHOP },
      _count: { _all: true },
    });
    expect(
      Object.fromEntries(rows.map((r) => [r.journey, r._count._all])),
    ).toEqual({ theme_cart: 6, direct_checkout: 3, draft_or_other: 1 });
  });

  it("the home loader says which keys reached TikTok and that Buy it now loses _ttp until the checkout pixel is connected", async () => {
    const { keyCoverage } = await loaderData(SHOP, HOME, "/app");
    expect(keyCoverage.purchases).toBe(10);
    const keys = Object.fromEntries(
      (keyCoverage.keys as { key: string; text: string }[]).map((k) => [
        k.key,
        k.text,
      ]),
    );
    expect(keys.email).toBe("Email reached TikTok on 100% of Purchases.");
    expect(keys.ttp).toBe(
      "_ttp (TikTok's browser id) reached TikTok on 60% of Purchases.",
    );
    expect(keyCoverage.journeys).toEqual([
      {
        journey: "direct_checkout",
        share: 30,
        lackingTtp: 100,
        fix: "connect-pixel",
        text: "30% of orders came through Buy it now or a checkout link; 100% of their Purchases lack _ttp (TikTok's browser id) until the checkout web pixel is connected.",
      },
      expect.objectContaining({
        journey: "draft_or_other",
        share: 10,
        fix: null,
      }),
    ]);
  });

  it("the settings loader shows the same, and drops the remedy once the web pixel is connected", async () => {
    const before = await loaderData(SHOP, SETTINGS, "/app/settings");
    expect(before.keyCoverage.journeys[0].fix).toBe("connect-pixel");
    await app.prisma.shopSettings.update({
      where: { shop: SHOP },
      data: { webPixelId: "gid://shopify/WebPixel/1", webPixelError: null },
    });
    const after = await loaderData(SHOP, SETTINGS, "/app/settings");
    expect(after.keyCoverage.journeys[0]).toMatchObject({
      journey: "direct_checkout",
      fix: null,
    });
    expect(after.keyCoverage.journeys[0].text).not.toContain(
      "until the checkout web pixel",
    );
    expect(after.pixels.map((p: { pixelCode: string }) => p.pixelCode)).toEqual(
      [PIXEL],
    );
  });

  it("gives a shop with two pixels the key shares per pixel, adding up to the total, from the same groups", async () => {
    const { keyCoverage, last7Days, last7DaysByPixel } = await loaderData(
      TWO_PIXELS,
      HOME,
      "/app",
    );
    // 5 Purchases at the first pixel, 3 at the second: the coverage counts each.
    expect(keyCoverage.purchases).toBe(8);
    expect(last7Days.matchKeyBase).toBe(8);
    type Share = { key: string; count: number; percent: number | null };
    type Row = {
      label: string;
      summary: { matchKeyBase: number; matchKeyShare: Share[] };
    };
    const ttp = (shares: Share[]) => shares.find((s) => s.key === "ttp")!;
    expect(
      (last7DaysByPixel as Row[]).map((p) => [
        p.label,
        p.summary.matchKeyBase,
        ttp(p.summary.matchKeyShare).percent,
      ]),
    ).toEqual([
      ["TikTok pixel", 5, 60],
      ["Agency", 3, 100],
    ]);
    expect(ttp(last7Days.matchKeyShare).percent).toBe(75);
    for (const [i, share] of (last7Days.matchKeyShare as Share[]).entries())
      expect(
        (last7DaysByPixel as Row[]).reduce(
          (a, p) => a + p.summary.matchKeyShare[i].count,
          0,
        ),
        share.key,
      ).toBe(share.count);
    expect(
      keyCoverage.keys.find((k: { key: string }) => k.key === "ttp").percent,
    ).toBe(75);
  });

  it("gives a one-pixel shop no per-pixel table", async () => {
    const { last7DaysByPixel } = await loaderData(SHOP, HOME, "/app");
    expect(last7DaysByPixel).toEqual([]);
  });

  it("gives no advice to a shop without Purchases", async () => {
    const { keyCoverage } = await loaderData(EMPTY, HOME, "/app");
    expect(keyCoverage).toMatchObject({ purchases: 0, keys: [], journeys: [] });
    expect(keyCoverage.empty).toMatch(/No Purchases reached TikTok/);
  });

  it("renders the card on the home and settings documents", async () => {
    for (const pathname of ["/app", "/app/settings"]) {
      const params = new URLSearchParams({
        embedded: "1",
        shop: SHOP,
        host: Buffer.from("admin.shopify.com/store/coverage-shop").toString(
          "base64",
        ),
        id_token: sessionToken(SHOP, TEST_CREDS),
      });
      const res = await app.handle(
        new Request(`${APP_URL}${pathname}?${params}`),
      );
      const html = await res.text();
      expect(res.status).toBe(200);
      expect(html).toContain("What your Purchases told TikTok");
      expect(html).toContain("came through Buy it now or a checkout link");
    }
  });
});
