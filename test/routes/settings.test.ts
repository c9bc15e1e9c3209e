// The settings page and the pixel page, through the real Shopify library (session tokens) and
// Remix's request handler: the list of a shop's pixels with each one's last delivery and last
// test event, adding and editing a pixel, turning it on or off, removing it, the shop-wide
// purchase trigger. The Admin API is a real HTTP stand-in on 127.0.0.1 (metafields, web pixel)
// and so is TikTok (dev/tiktok-standin.server.ts) for the test events.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createTestApp,
  TEST_CREDS,
  APP_URL,
  type TestApp,
} from "../support/test-app";
import {
  routeAdminApiTo,
  startAdminPixelStandin,
  type AdminPixelStandin,
} from "../support/admin-graphql-pixels";
import { captureLogs, type LogCapture } from "../support/log-capture";
import { seedPixel } from "../support/shops";
import { orderBody, simpleOrder } from "../fixtures/orders";
import { sessionToken } from "../../dev/shopify-signing";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";

const SHOP_A = "shop-a.myshopify.com";
const SHOP_B = "shop-b.myshopify.com";
const SHOP_FULL = "shop-full.myshopify.com";
const TOKEN_A = "act.a1b2c3d4e5f6SECRETtokenA9876";
const TOKEN_B = "act.shopB-SECRET-token-5555";
const PIXEL_A = "CABCDEF1234567890XYZ";
const PIXEL_A2 = "CSECONDPIXEL00000002";
// A code TikTok does not know for TOKEN_A: the stand-in answers 40001, as TikTok does.
const UNKNOWN_PIXEL = "CUNKNOWNPIXEL0000003";
const LIST = "?_data=routes%2Fapp.settings";
const PIXEL_PAGE = "?_data=routes%2Fapp.settings_.pixels.%24id";
const CODES = "$app:tiktok.pixel_codes";
const CODE = "$app:tiktok.pixel_code";

let app: TestApp;
let admin: AdminPixelStandin;
let tiktok: TikTokStandin;
let logs: LogCapture;

beforeAll(async () => {
  // Only shop A's Admin API calls are answered (the stand-in knows one access token).
  admin = await startAdminPixelStandin({
    accessToken: `shpat_test_${SHOP_A}`,
  });
  tiktok = await startTikTokStandin({
    accessTokens: { [TOKEN_A]: [PIXEL_A, PIXEL_A2] },
  });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  for (const shop of [SHOP_A, SHOP_B, SHOP_FULL]) await app.installShop(shop);
  routeAdminApiTo(admin);
  logs = await captureLogs();
});
afterAll(async () => {
  await logs.stop();
  await app.close();
  await admin.close();
  await tiktok.close();
});
beforeEach(() => {
  admin.calls.length = 0;
  admin.failWith = null;
});

function pixelForm(overrides: Record<string, string> = {}) {
  return new URLSearchParams({
    name: "US store",
    pixelCode: PIXEL_A,
    accessToken: TOKEN_A,
    testEventCode: "TEST12345",
    purchaseEventName: "Purchase",
    consentPolicy: "send",
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

interface ListItem {
  id: string;
  name: string;
  pixelCode: string;
  enabled: boolean;
  accessTokenLast4: string | null;
  lastDelivery: { tone: string; text: string };
  lastTest: { tone: string; text: string };
}
interface ListData {
  pixels: ListItem[];
  maxPixels: number;
  purchaseTrigger: string;
}

const get = (shop: string, path: string) =>
  app.handle(app.adminRequest(shop, path));
const post = (shop: string, path: string, form: URLSearchParams) =>
  app.handle(app.adminRequest(shop, path, { method: "POST", body: form }));

async function list(shop: string): Promise<ListData> {
  const res = await get(shop, `/app/settings${LIST}`);
  expect(res.status).toBe(200);
  return res.json();
}
const act = (shop: string, fields: Record<string, string>) =>
  post(shop, `/app/settings${LIST}`, new URLSearchParams(fields));
const savePixel = (shop: string, id: string, form: URLSearchParams) =>
  post(shop, `/app/settings/pixels/${id}${PIXEL_PAGE}`, form);
const editor = (shop: string, id: string) =>
  get(shop, `/app/settings/pixels/${id}${PIXEL_PAGE}`);

/** The page as the embedded admin first loads it (server-rendered HTML). */
async function documentOf(shop: string, path: string): Promise<string> {
  const params = new URLSearchParams({
    embedded: "1",
    shop,
    host: Buffer.from(`admin.shopify.com/store/${shop.split(".")[0]}`).toString(
      "base64",
    ),
    id_token: sessionToken(shop, TEST_CREDS),
  });
  const res = await app.handle(new Request(`${APP_URL}${path}?${params}`));
  expect(res.status).toBe(200);
  return res.text();
}

const published = () => ({
  list: admin.metafields.has(CODES)
    ? JSON.parse(admin.metafields.get(CODES)!.value)
    : null,
  single: admin.metafields.get(CODE)?.value ?? null,
});

const pixelsOf = (shop: string) =>
  app.prisma.pixel.findMany({
    where: { shop },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });

let idA = "";
let idA2 = "";

describe("the settings page: a shop's pixels", () => {
  it("rejects requests without a valid session token", async () => {
    for (const path of [`/app/settings${LIST}`, `/app/settings/pixels/new`]) {
      const res = await app.handle(
        new Request(`${APP_URL}${path}`, {
          headers: {
            Authorization: `Bearer ${sessionToken(SHOP_A, { ...TEST_CREDS, apiSecret: "wrong" })}`,
          },
        }),
      );
      expect(res.status).toBe(401);
    }
  });

  it("a shop without a pixel gets the empty state, and the new-pixel page its defaults", async () => {
    expect(await list(SHOP_A)).toMatchObject({
      pixels: [],
      maxPixels: 10,
      purchaseTrigger: "orders/create",
    });
    const html = await documentOf(SHOP_A, "/app/settings");
    expect(html).toContain("No TikTok pixel yet");
    expect(html).toContain("Add pixel");
    expect(html).toContain("What your Purchases told TikTok");

    const res = await editor(SHOP_A, "new");
    expect(res.status).toBe(200);
    const { pixel, isNew, limitReached } = await res.json();
    expect(isNew).toBe(true);
    expect(limitReached).toBeNull();
    expect(pixel).toMatchObject({
      id: null,
      name: "TikTok pixel",
      pixelCode: "",
      accessTokenSet: false,
      skipPosOrders: true,
      // The checkout switches as before they existed: AddPaymentInfo on, contact/shipping off.
      sendInitiateCheckout: true,
      sendAddPaymentInfo: true,
      sendCheckoutSteps: false,
    });
  });

  it("refuses a first pixel with bad input, field by field, and saves and publishes nothing", async () => {
    const res = await savePixel(
      SHOP_A,
      "new",
      pixelForm({
        name: "x".repeat(61),
        pixelCode: "bad!",
        accessToken: "",
        testEventCode: "has space",
        consentPolicy: "maybe",
        sendAddPaymentInfo: "yes",
      }),
    );
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.ok).toBe(false);
    expect(body.errors.name).toMatch(/at most 60/);
    expect(body.errors.pixelCode).toMatch(/10 to 40 letters and digits/);
    expect(body.errors.accessToken).toMatch(/access token/i);
    expect(body.errors.testEventCode).toMatch(/letters, digits/);
    expect(body.errors.consentPolicy).toBeDefined();
    expect(body.errors.sendAddPaymentInfo).toBeDefined();
    for (const pixelCode of ["ABC123", "A".repeat(41)])
      expect(
        (await savePixel(SHOP_A, "new", pixelForm({ pixelCode }))).status,
      ).toBe(422);
    expect(await app.prisma.pixel.count({ where: { shop: SHOP_A } })).toBe(0);
    expect(admin.calls).toHaveLength(0);
  });

  it("adds a pixel: the token is write-only and encrypted at rest, the storefront gets the code", async () => {
    const res = await savePixel(SHOP_A, "new", pixelForm());
    const text = await res.text();
    expect(res.status).toBe(201);
    expect(text).not.toContain(TOKEN_A);
    const body = JSON.parse(text);
    expect(body).toMatchObject({
      ok: true,
      pixel: {
        name: "US store",
        pixelCode: PIXEL_A,
        enabled: true,
        accessTokenSet: true,
        accessTokenLast4: "9876",
      },
    });
    expect(body.warning).toBeUndefined();
    idA = body.pixel.id;

    const [row] = await pixelsOf(SHOP_A);
    expect(row).toMatchObject({
      id: idA,
      testEventCode: "TEST12345",
      consentPolicy: "send",
      valueSource: "subtotal",
      sendViewContent: false,
      sendAddPaymentInfo: false,
      sendCheckoutSteps: true,
      skipPosOrders: false,
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

    expect(published()).toEqual({ list: [PIXEL_A], single: PIXEL_A });
    // The checkout web pixel is connected with the save, as before.
    expect(admin.calls.some((c) => c.operation === "create")).toBe(true);
    // Only codes go to Shopify: never the token or the test event code.
    const sent = JSON.stringify(admin.calls);
    expect(sent).not.toContain(TOKEN_A);
    expect(sent).not.toContain("TEST12345");

    const { pixels } = await list(SHOP_A);
    expect(pixels).toEqual([
      {
        id: idA,
        name: "US store",
        pixelCode: PIXEL_A,
        enabled: true,
        accessTokenLast4: "9876",
        lastDelivery: { tone: "subdued", text: "Nothing sent yet" },
        lastTest: { tone: "subdued", text: "No test event sent yet" },
      },
    ]);
  });

  it("adds a second pixel; the storefront gets both codes in the list's order", async () => {
    const page = await (await editor(SHOP_A, "new")).json();
    expect(page.pixel.name).toBe("TikTok pixel 2");
    const res = await savePixel(
      SHOP_A,
      "new",
      pixelForm({ name: "Agency", pixelCode: PIXEL_A2.toLowerCase() }),
    );
    expect(res.status).toBe(201);
    idA2 = (await res.json()).pixel.id;
    expect(
      (await list(SHOP_A)).pixels.map((p) => [p.name, p.pixelCode]),
    ).toEqual([
      ["US store", PIXEL_A],
      ["Agency", PIXEL_A2],
    ]);
    expect(published()).toEqual({
      list: [PIXEL_A, PIXEL_A2],
      single: PIXEL_A,
    });
  });

  it("refuses a code the shop already has, on add and on edit, with a field error", async () => {
    const before = await pixelsOf(SHOP_A);
    const added = await savePixel(
      SHOP_A,
      "new",
      pixelForm({ name: "Again", pixelCode: PIXEL_A.toLowerCase() }),
    );
    expect(added.status).toBe(422);
    expect((await added.json()).errors).toEqual({
      pixelCode: expect.stringMatching(
        /already sends to a pixel with this code/,
      ),
    });
    const edited = await savePixel(
      SHOP_A,
      idA2,
      pixelForm({ name: "Agency", pixelCode: PIXEL_A, accessToken: "" }),
    );
    expect(edited.status).toBe(422);
    expect((await edited.json()).errors.pixelCode).toMatch(/already sends/);
    expect(await pixelsOf(SHOP_A)).toEqual(before);
    expect(admin.calls).toHaveLength(0);
  });

  it("edits a pixel: an empty token field keeps the saved token; a new code is published in place", async () => {
    const res = await editor(SHOP_A, idA2);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(TOKEN_A);
    expect(text).not.toContain("accessTokenCiphertext");
    expect(JSON.parse(text).pixel).toMatchObject({
      id: idA2,
      name: "Agency",
      pixelCode: PIXEL_A2,
      accessTokenSet: true,
      accessTokenLast4: "9876",
    });

    const NEW_CODE = "CRENAMEDPIXEL0000002";
    const saved = await savePixel(
      SHOP_A,
      idA2,
      pixelForm({
        name: "Agency EU",
        pixelCode: NEW_CODE,
        accessToken: "",
        sendSearch: "true",
        sendCheckoutSteps: "false",
      }),
    );
    expect(saved.status).toBe(200);
    const row = (await pixelsOf(SHOP_A))[1];
    expect(row).toMatchObject({
      id: idA2,
      name: "Agency EU",
      pixelCode: NEW_CODE,
      sendSearch: true,
      sendCheckoutSteps: false,
    });
    const { readPixelToken } = await import("~/pixels/pixels.server");
    expect(readPixelToken(row)).toBe(TOKEN_A);
    expect(published().list).toEqual([PIXEL_A, NEW_CODE]);

    // Back to the code TikTok knows for this token (the test events below use it); a bad
    // switch value is refused and changes nothing.
    expect(
      (
        await savePixel(
          SHOP_A,
          idA2,
          pixelForm({ name: "Agency", pixelCode: PIXEL_A2, accessToken: "" }),
        )
      ).status,
    ).toBe(200);
    const bad = await savePixel(
      SHOP_A,
      idA2,
      pixelForm({ pixelCode: PIXEL_A2, accessToken: "", sendSearch: "1" }),
    );
    expect(bad.status).toBe(422);
    expect(Object.keys((await bad.json()).errors)).toEqual(["sendSearch"]);
    expect((await pixelsOf(SHOP_A))[1].sendSearch).toBe(false);
    expect(published().list).toEqual([PIXEL_A, PIXEL_A2]);
  });

  it("turns a pixel off and on: the storefront gets the enabled codes, in order", async () => {
    const off = await act(SHOP_A, {
      intent: "setEnabled",
      id: idA,
      enabled: "false",
    });
    expect(off.status).toBe(200);
    expect(published()).toEqual({ list: [PIXEL_A2], single: PIXEL_A2 });
    expect((await list(SHOP_A)).pixels.map((p) => p.enabled)).toEqual([
      false,
      true,
    ]);
    const on = await act(SHOP_A, {
      intent: "setEnabled",
      id: idA,
      enabled: "true",
    });
    expect(on.status).toBe(200);
    expect(published()).toEqual({
      list: [PIXEL_A, PIXEL_A2],
      single: PIXEL_A,
    });
    // Neither an unclear value nor an unknown action changes anything.
    admin.calls.length = 0;
    expect(
      (await act(SHOP_A, { intent: "setEnabled", id: idA, enabled: "maybe" }))
        .status,
    ).toBe(400);
    expect((await act(SHOP_A, { intent: "delete-everything" })).status).toBe(
      400,
    );
    expect(admin.calls).toHaveLength(0);
    expect((await pixelsOf(SHOP_A)).map((p) => p.enabled)).toEqual([
      true,
      true,
    ]);
  });

  it("a metafield Shopify refuses still saves the change, and says so", async () => {
    admin.failWith = 503;
    const res = await act(SHOP_A, {
      intent: "setEnabled",
      id: idA2,
      enabled: "false",
    });
    expect(res.status).toBe(200);
    expect((await res.json()).warning).toMatch(
      /Shopify did not accept the pixel codes for the storefront/,
    );
    expect((await pixelsOf(SHOP_A))[1].enabled).toBe(false);
    admin.failWith = null;
    await act(SHOP_A, { intent: "setEnabled", id: idA2, enabled: "true" });
    expect(published().list).toEqual([PIXEL_A, PIXEL_A2]);
  });

  it("sends a test event per pixel and shows each pixel's last result next to it, a code TikTok refuses in words", async () => {
    const accepted = await act(SHOP_A, { intent: "sendTestEvent", id: idA2 });
    expect(accepted.status).toBe(200);
    const body = await accepted.json();
    expect(body.testEvent).toMatchObject({ pixelName: "Agency", ok: true });
    expect(body.testEvent.details).toMatch(
      /^TikTok answered: code 0, message "OK", request_id \S+, HTTP 200\.$/,
    );
    const received = tiktok.accepted.filter((e) => e.pixelCode === PIXEL_A2);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      test_event_code: "TEST12345",
      event: "Purchase",
    });

    // Pixel A gets a code TikTok does not know for this token.
    await savePixel(
      SHOP_A,
      idA,
      pixelForm({ pixelCode: UNKNOWN_PIXEL, accessToken: "" }),
    );
    const refused = await act(SHOP_A, { intent: "sendTestEvent", id: idA });
    const refusedBody = await refused.json();
    expect(refusedBody.testEvent.ok).toBe(false);
    expect(refusedBody.testEvent.details).toMatch(/code 40001/);

    const rows = await pixelsOf(SHOP_A);
    expect(rows.map((r) => [r.lastTestOk, r.lastTestCode])).toEqual([
      [false, 40001],
      [true, 0],
    ]);
    expect(rows[0].lastTestMessage).toMatch(
      /No permission to operate pixel code/,
    );

    const { pixels } = await list(SHOP_A);
    expect(pixels[0].lastTest).toEqual({
      tone: "critical",
      text: expect.stringMatching(
        /^Test event failed just now \(TikTok code 40001\)\. TikTok does not accept this pixel code with this access token\. Check the pixel code/,
      ),
    });
    expect(pixels[1].lastTest).toEqual({
      tone: "success",
      text: "Test event accepted just now",
    });
    const html = await documentOf(SHOP_A, "/app/settings");
    expect(html).toContain("TikTok does not accept this pixel code");
    expect(html).toContain("Test event accepted just now");

    // A 40002 (an invalid value) is told with TikTok's message.
    const { recordTestResult } = await import("~/pixels/pixels.server");
    await recordTestResult(SHOP_A, idA, {
      ok: false,
      code: 40002,
      message: "Invalid value for event_source_id.",
    });
    expect((await list(SHOP_A)).pixels[0].lastTest.text).toMatch(
      /\(TikTok code 40002\)\. TikTok says the pixel code is not valid \("Invalid value for event_source_id\."\)/,
    );

    // No test event code: nothing is sent, and the merchant is told what to add.
    await savePixel(
      SHOP_A,
      idA,
      pixelForm({ pixelCode: PIXEL_A, accessToken: "", testEventCode: "" }),
    );
    const sentBefore = tiktok.requests.length;
    const noCode = await (
      await act(SHOP_A, { intent: "sendTestEvent", id: idA })
    ).json();
    expect(noCode.testEvent.summary).toMatch(/Add a test event code/);
    expect(tiktok.requests.length).toBe(sentBefore);
    await savePixel(SHOP_A, idA, pixelForm({ accessToken: "" }));
  });

  it("saves the shop-wide purchase trigger on its own", async () => {
    const before = await pixelsOf(SHOP_A);
    const res = await act(SHOP_A, {
      intent: "purchaseTrigger",
      purchaseTrigger: "orders/paid",
    });
    expect(res.status).toBe(200);
    expect((await list(SHOP_A)).purchaseTrigger).toBe("orders/paid");
    const bad = await act(SHOP_A, {
      intent: "purchaseTrigger",
      purchaseTrigger: "orders/fulfilled",
    });
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors.purchaseTrigger).toBeDefined();
    expect((await list(SHOP_A)).purchaseTrigger).toBe("orders/paid");
    expect(await pixelsOf(SHOP_A)).toEqual(before);
    expect(admin.calls).toHaveLength(0);
  });

  it("shows each pixel's newest delivery: delivered a while ago, or failed with the reason", async () => {
    // A real order webhook: one delivery per enabled pixel.
    const webhook = await app.handle(
      app.webhookRequest("/webhooks/orders", {
        topic: "orders/paid",
        shop: SHOP_A,
        body: orderBody(simpleOrder({ source_name: "web" })),
      }),
    );
    expect(webhook.status).toBe(200);
    const deliveries = await app.prisma.delivery.findMany({
      where: { shop: SHOP_A },
      orderBy: { pixelCode: "asc" },
    });
    expect(deliveries.map((d) => d.pixelCode).sort()).toEqual([
      PIXEL_A,
      PIXEL_A2,
    ]);
    expect((await list(SHOP_A)).pixels[0].lastDelivery).toEqual({
      tone: "caution",
      text: "Waiting to be sent (queued just now)",
    });
    const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000 - 1_000);
    await app.prisma.delivery.updateMany({
      where: { shop: SHOP_A, pixelCode: PIXEL_A },
      data: {
        status: "failed",
        lastError:
          "The access token was rejected by TikTok. Generate a new token.",
      },
    });
    await app.prisma.delivery.updateMany({
      where: { shop: SHOP_A, pixelCode: PIXEL_A2 },
      data: { status: "delivered", deliveredAt: fiveMinutesAgo },
    });
    const { pixels } = await list(SHOP_A);
    expect(pixels.map((p) => p.lastDelivery)).toEqual([
      {
        tone: "critical",
        text: "Failed: The access token was rejected by TikTok. Generate a new token.",
      },
      { tone: "success", text: "Delivered 5 min ago" },
    ]);
    const html = await documentOf(SHOP_A, "/app/settings");
    expect(html).toContain("Delivered 5 min ago");
  });

  it("never serves or logs the token or its ciphertext", async () => {
    const rows = await pixelsOf(SHOP_A);
    const pages = [
      await documentOf(SHOP_A, "/app/settings"),
      await documentOf(SHOP_A, `/app/settings/pixels/${idA}`),
      await (await get(SHOP_A, `/app/settings${LIST}`)).text(),
      await (await editor(SHOP_A, idA)).text(),
    ];
    expect(pages[1]).toContain("Set, ending in …9876");
    expect(pages[1]).toContain("Contact and shipping steps (custom events)");
    for (const page of pages) {
      expect(page).not.toContain(TOKEN_A);
      for (const row of rows)
        expect(page).not.toContain(row.accessTokenCiphertext!);
    }
    const logged = logs.text();
    expect(logged).not.toContain(TOKEN_A);
    for (const row of rows)
      expect(logged).not.toContain(row.accessTokenCiphertext!);
  });

  it("never lets one shop see or change another shop's pixel: its id is not found", async () => {
    await seedPixel(app.prisma, SHOP_B, {
      pixelCode: "CSHOPBPIXEL00000001",
    });
    const before = await pixelsOf(SHOP_A);
    const seen = await (await get(SHOP_B, `/app/settings${LIST}`)).text();
    expect(seen).not.toContain(PIXEL_A);
    expect(seen).not.toContain(idA);

    expect((await editor(SHOP_B, idA)).status).toBe(404);
    expect(
      (await savePixel(SHOP_B, idA, pixelForm({ accessToken: TOKEN_B })))
        .status,
    ).toBe(404);
    const actions: Record<string, string>[] = [
      { intent: "setEnabled", id: idA, enabled: "false" },
      { intent: "remove", id: idA },
      { intent: "sendTestEvent", id: idA },
    ];
    for (const fields of actions)
      expect((await act(SHOP_B, fields)).status).toBe(404);
    expect((await editor(SHOP_A, "no-such-pixel")).status).toBe(404);
    // A shop field smuggled into the form is ignored: the shop comes from the session token.
    expect(
      (
        await savePixel(
          SHOP_B,
          "new",
          pixelForm({
            pixelCode: "CSHOPBPIXEL00000002",
            accessToken: TOKEN_B,
            shop: SHOP_A,
          }),
        )
      ).status,
    ).toBe(201);
    expect(await pixelsOf(SHOP_A)).toEqual(before);
    expect((await pixelsOf(SHOP_B)).map((p) => p.pixelCode)).toEqual([
      "CSHOPBPIXEL00000001",
      "CSHOPBPIXEL00000002",
    ]);
  });

  it("refuses an 11th pixel with a clear error, and says so before the form is filled", async () => {
    for (let i = 0; i < 10; i++)
      await seedPixel(app.prisma, SHOP_FULL, {
        pixelCode: `CFULLSHOPPIXEL${String(i).padStart(6, "0")}`,
      });
    const data = await list(SHOP_FULL);
    expect(data.pixels).toHaveLength(10);
    const page = await (await editor(SHOP_FULL, "new")).json();
    expect(page.limitReached).toMatch(/at most 10 pixels/);
    expect(await documentOf(SHOP_FULL, "/app/settings")).toContain(
      "Remove one to add another",
    );

    const res = await savePixel(
      SHOP_FULL,
      "new",
      pixelForm({ pixelCode: "CELEVENTHPIXEL000011" }),
    );
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.errors).toEqual({
      pixels: expect.stringMatching(/at most 10 pixels/),
    });
    expect(body.message).toMatch(/Remove one/);
    expect(await app.prisma.pixel.count({ where: { shop: SHOP_FULL } })).toBe(
      10,
    );
  });

  it("removes a pixel and its token; its deliveries stay in the log; the storefront drops its code", async () => {
    const logBefore = await app.prisma.delivery.count({
      where: { shop: SHOP_A, pixelCode: PIXEL_A2 },
    });
    expect(logBefore).toBeGreaterThan(0);
    const res = await act(SHOP_A, { intent: "remove", id: idA2 });
    expect(res.status).toBe(200);
    expect((await pixelsOf(SHOP_A)).map((p) => p.id)).toEqual([idA]);
    expect(
      await app.prisma.delivery.count({
        where: { shop: SHOP_A, pixelCode: PIXEL_A2 },
      }),
    ).toBe(logBefore);
    expect(published()).toEqual({ list: [PIXEL_A], single: PIXEL_A });
    expect((await editor(SHOP_A, idA2)).status).toBe(404);
    expect((await act(SHOP_A, { intent: "remove", id: idA2 })).status).toBe(
      404,
    );

    // The last one too: the storefront loads no pixel, the page shows its empty state.
    expect((await act(SHOP_A, { intent: "remove", id: idA })).status).toBe(200);
    expect(published()).toEqual({ list: null, single: null });
    expect((await list(SHOP_A)).pixels).toEqual([]);
    expect(await app.prisma.delivery.count({ where: { shop: SHOP_A } })).toBe(
      2,
    );
  });
});
