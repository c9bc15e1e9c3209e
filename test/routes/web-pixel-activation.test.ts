// Activating the checkout web pixel: webPixelCreate / webPixelUpdate against a real HTTP
// stand-in for the Admin GraphQL API on 127.0.0.1 (test/support/admin-graphql-pixels.ts),
// directly and through the pixel page's save and the home page's one-click repair. The app's Admin
// API client reaches the stand-in through the library's fetch hook, which only rewrites the
// shop's host to the stand-in's address; the requests are real HTTP.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import {
  routeAdminApiTo,
  standinAdminClient,
  startAdminPixelStandin,
  type AdminPixelStandin,
} from "../support/admin-graphql-pixels";
import type { GraphqlAdmin } from "~/checkout/web-pixel.server";
import { seedPixel } from "../support/shops";

const SHOP = "pixel-activation.myshopify.com";
const ACCESS_TOKEN = `shpat_test_${SHOP}`; // what installShop stores
const RELAY = `https://${SHOP}/apps/tiktok-events/checkout`;
const HOME = "routes%2Fapp._index";

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
beforeEach(async () => {
  admin.pixel = null;
  admin.calls.length = 0;
  admin.failWith = null;
  admin.raceNextCreate = false;
  await app.prisma.shopSettings.deleteMany({});
  await seedPixel(app.prisma, SHOP, { pixelCode: "CACTIVATIONPIXEL001" });
});

/** A GraphQL client as the app's admin context offers it, posting to the stand-in. */
const client = (token = ACCESS_TOKEN): GraphqlAdmin =>
  standinAdminClient(admin, token);

async function connect(token?: string) {
  const { connectWebPixel } = await import("~/checkout/web-pixel.server");
  return connectWebPixel(client(token), SHOP);
}

const recorded = () =>
  app.prisma.shopSettings.findUniqueOrThrow({
    where: { shop: SHOP },
    select: {
      webPixelId: true,
      webPixelConnectedAt: true,
      webPixelError: true,
    },
  });

describe("webPixelCreate / webPixelUpdate", () => {
  it("creates the pixel with the relay URL as its only setting, then leaves it alone", async () => {
    expect(await connect()).toEqual({
      ok: true,
      id: "gid://shopify/WebPixel/1",
      action: "created",
    });
    expect(JSON.parse(admin.pixel!.settings)).toEqual({ relayUrl: RELAY });
    expect(admin.calls.map((c) => c.operation)).toEqual(["query", "create"]);
    expect(await recorded()).toMatchObject({
      webPixelId: "gid://shopify/WebPixel/1",
      webPixelConnectedAt: expect.any(Date),
      webPixelError: null,
    });
    expect((await connect()).ok && (await connect())).toMatchObject({
      action: "unchanged",
    });
    expect(admin.calls.filter((c) => c.operation !== "query")).toHaveLength(1);
  });

  it("updates a pixel whose settings are out of date", async () => {
    admin.pixel = {
      id: "gid://shopify/WebPixel/77",
      settings: '{"relayUrl":"https://old.example/apps/x"}',
    };
    expect(await connect()).toMatchObject({
      ok: true,
      id: "gid://shopify/WebPixel/77",
      action: "updated",
    });
    expect(admin.calls.at(-1)).toMatchObject({
      operation: "update",
      variables: {
        id: "gid://shopify/WebPixel/77",
        webPixel: { settings: JSON.stringify({ relayUrl: RELAY }) },
      },
    });
    expect(JSON.parse(admin.pixel!.settings)).toEqual({ relayUrl: RELAY });
  });

  it("a pixel created meanwhile (TAKEN) is updated instead", async () => {
    admin.raceNextCreate = true;
    expect(await connect()).toMatchObject({ ok: true, action: "updated" });
    expect(admin.calls.map((c) => c.operation)).toEqual([
      "query",
      "create",
      "query",
      "update",
    ]);
    expect(JSON.parse(admin.pixel!.settings)).toEqual({ relayUrl: RELAY });
  });

  it("Shopify's refusal and an unreachable API are returned and recorded, never thrown", async () => {
    admin.failWith = 503;
    const down = await connect();
    expect(down).toMatchObject({ ok: false });
    expect((await recorded()).webPixelError).toMatch(/./);
    admin.failWith = null;
    const unauthorised = await connect("shpat_wrong");
    expect(unauthorised.ok).toBe(false);
    expect(admin.pixel).toBeNull();
    // and a good call clears the error
    expect(await connect()).toMatchObject({ ok: true, action: "created" });
    expect((await recorded()).webPixelError).toBeNull();
  });
});

describe("activation in the admin", () => {
  const form = () =>
    new URLSearchParams({
      pixelCode: "CACTIVATIONPIXEL002",
      accessToken: "act.activation-token-0001",
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
  // The pixel page's save, on the shop's pixel (seeded before each test).
  const savePixel = async () => {
    const saved = await app.prisma.pixel.findFirst({ where: { shop: SHOP } });
    return app.handle(
      app.adminRequest(
        SHOP,
        `/app/settings/pixels/${saved?.id ?? "new"}?_data=routes%2Fapp.settings_.pixels.%24id`,
        { method: "POST", body: form() },
      ),
    );
  };
  const checklistStep = async () => {
    const res = await app.handle(app.adminRequest(SHOP, `/app?_data=${HOME}`));
    expect(res.status).toBe(200);
    const { checklist } = (await res.json()) as {
      checklist: { label: string; done: boolean; repair?: boolean }[];
    };
    return checklist.find((s) =>
      /^(Connect the checkout web pixel|Checkout web pixel)/.test(s.label),
    )!;
  };

  it("saving a TikTok pixel creates the web pixel through the Admin API; the checklist shows it connected", async () => {
    expect(await checklistStep()).toMatchObject({
      label: "Connect the checkout web pixel",
      done: false,
      repair: true,
    });
    const res = await savePixel();
    expect(res.status).toBe(200);
    expect(admin.calls.some((c) => c.operation === "create")).toBe(true);
    expect(
      admin.calls.every((c) => c.path === "/admin/api/2026-10/graphql.json"),
    ).toBe(true);
    expect(JSON.parse(admin.pixel!.settings)).toEqual({ relayUrl: RELAY });
    expect(await checklistStep()).toEqual({
      label: "Checkout web pixel connected",
      done: true,
    });
  });

  it("a failed connection shows in the checklist, and one click repairs it", async () => {
    admin.failWith = 503;
    expect((await savePixel()).status).toBe(200);
    expect(await checklistStep()).toMatchObject({
      label: expect.stringMatching(/^Checkout web pixel not connected: /),
      done: false,
      repair: true,
    });
    admin.failWith = null;
    const repair = await app.handle(
      app.adminRequest(SHOP, `/app?index&_data=${HOME}`, {
        method: "POST",
        body: new URLSearchParams({ intent: "connect-pixel" }),
      }),
    );
    expect(repair.status).toBe(200);
    const repaired = await repair.json();
    expect(repaired).toMatchObject({ ok: true, action: "created" });
    expect(await checklistStep()).toEqual({
      label: "Checkout web pixel connected",
      done: true,
    });
  });

  it("the repair action refuses anything else", async () => {
    const res = await app.handle(
      app.adminRequest(SHOP, `/app?index&_data=${HOME}`, {
        method: "POST",
        body: new URLSearchParams({ intent: "delete-everything" }),
      }),
    );
    expect(res.status).toBe(400);
    expect(admin.calls).toEqual([]);
  });
});
