// The home page's app-embed check: the live theme's config/settings_data.json read through the
// Admin GraphQL API from a real HTTP stand-in on 127.0.0.1 (test/support/admin-graphql-pixels.ts),
// reached through the app's own Admin client (the library's fetch hook only rewrites the shop's
// host to the stand-in's address). Each theme state, and each way asking Shopify can fail, gives
// the merchant a sentence and the deep link into the theme editor.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestApp, TEST_CREDS, type TestApp } from "../support/test-app";
import {
  routeAdminApiTo,
  startAdminPixelStandin,
  type AdminPixelStandin,
} from "../support/admin-graphql-pixels";

const SHOP = "embed-status.myshopify.com";
const ACCESS_TOKEN = `shpat_test_${SHOP}`; // what installShop stores
const HOME = "routes%2Fapp._index";
const DEEP_LINK = `https://${SHOP}/admin/themes/current/editor?context=apps&activateAppId=${TEST_CREDS.apiKey}/tiktok-pixel`;
const OUR_BLOCK =
  "shopify://apps/tiktok-events-server-side/blocks/tiktok-pixel/0a4c1e57-5b8d-4c1a-9e11-3f1d2c6b7a90";

/** settings_data.json as Shopify writes it: a generated comment, then the JSON. */
function settingsData(blocks: Record<string, unknown> | null): string {
  const current: Record<string, unknown> = {
    type_header_font: "assistant_n4",
    sections: { header: { type: "header", settings: {} } },
  };
  if (blocks) current.blocks = blocks;
  return `/*
 * ------------------------------------------------------------
 * IMPORTANT: The contents of this file are auto-generated.
 *
 * This file may be updated by the Shopify admin theme editor
 * or related systems. Please exercise caution as any changes
 * made to this file may be overwritten.
 * ------------------------------------------------------------
 */
${JSON.stringify({ current, presets: { Default: {} } }, null, 2)}`;
}

let app: TestApp;
let admin: AdminPixelStandin;
const realFetch = globalThis.fetch;

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
  admin.calls.length = 0;
  admin.failWith = null;
  admin.theme = null;
  admin.themesAccessDenied = false;
  await app.prisma.attributionSession.deleteMany({ where: { shop: SHOP } });
});

interface Step {
  label: string;
  done: boolean;
  href?: string;
  embed?: { state: string; themeName?: string; reason?: string };
}

async function embedStep(): Promise<Step> {
  const res = await app.handle(app.adminRequest(SHOP, `/app?_data=${HOME}`));
  expect(res.status).toBe(200);
  const { checklist } = (await res.json()) as { checklist: Step[] };
  const step = checklist.find((s) => /app embed/i.test(s.label));
  expect(step).toBeDefined();
  return step!;
}

describe("home page: is the TikTok pixel app embed on in the live theme?", () => {
  it("on: the theme's settings enable our embed", async () => {
    admin.theme = {
      name: "Dawn",
      settingsData: settingsData({
        "16734932848374938471": {
          type: OUR_BLOCK,
          disabled: false,
          settings: {},
        },
      }),
    };
    const step = await embedStep();
    expect(step).toMatchObject({
      done: true,
      href: DEEP_LINK,
      embed: { state: "enabled", themeName: "Dawn" },
    });
    expect(step.label).toMatch(/is on in your live theme “Dawn”/);
    expect(step.label).toMatch(/no storefront events in the last 7 days/);
    expect(admin.calls.filter((c) => c.operation === "themes")).toHaveLength(1);
  });

  it("on, and storefront events arrived: says both", async () => {
    admin.theme = {
      name: "Dawn",
      settingsData: settingsData({ "1": { type: OUR_BLOCK, settings: {} } }),
    };
    await app.prisma.attributionSession.create({
      data: { shop: SHOP, sessionKey: "s-embed-1" },
    });
    const step = await embedStep();
    expect(step.done).toBe(true);
    expect(step.label).toMatch(/storefront events arrived in the last 7 days/);
  });

  it("off: the merchant turned the embed off", async () => {
    admin.theme = {
      name: "Refresh",
      settingsData: settingsData({
        "1": { type: OUR_BLOCK, disabled: true, settings: {} },
        // Another app's embed, on: not ours.
        "2": {
          type: "shopify://apps/reviews/blocks/stars/11111111-2222-3333-4444-555555555555",
          disabled: false,
        },
      }),
    };
    const step = await embedStep();
    expect(step).toMatchObject({
      done: false,
      href: DEEP_LINK,
      embed: { state: "disabled", themeName: "Refresh" },
    });
    expect(step.label).toMatch(/turned off in your live theme “Refresh”/);
  });

  it("never turned on: the theme's settings have no entry for it", async () => {
    admin.theme = { name: "Dawn", settingsData: settingsData(null) };
    const step = await embedStep();
    expect(step).toMatchObject({
      done: false,
      href: DEEP_LINK,
      embed: { state: "missing", themeName: "Dawn" },
    });
    expect(step.label).toMatch(/^Turn on the TikTok pixel app embed/);
    // A theme without a settings file has never had an embed turned on either.
    admin.theme = { name: "Bare", settingsData: null };
    expect((await embedStep()).embed).toEqual({
      state: "missing",
      themeName: "Bare",
    });
  });

  it("off, with the checkout web pixel connected: says the pixel reports storefront events meanwhile", async () => {
    admin.theme = { name: "Dawn", settingsData: settingsData(null) };
    await app.prisma.shopSettings.upsert({
      where: { shop: SHOP },
      create: { shop: SHOP, webPixelId: "gid://shopify/WebPixel/9" },
      update: { webPixelId: "gid://shopify/WebPixel/9", webPixelError: null },
    });
    const { forgetCachedPixels } = await import("~/pixels/pixels.server");
    forgetCachedPixels(SHOP);
    try {
      const step = await embedStep();
      expect(step.done).toBe(false);
      expect(step.label).toMatch(
        /Meanwhile the checkout web pixel reports page views/,
      );
    } finally {
      await app.prisma.shopSettings.update({
        where: { shop: SHOP },
        data: { webPixelId: null },
      });
      forgetCachedPixels(SHOP);
    }
    // Not said once the embed is on.
    admin.theme = {
      name: "Dawn",
      settingsData: settingsData({ "1": { type: OUR_BLOCK } }),
    };
    expect((await embedStep()).label).not.toMatch(/Meanwhile/);
  });

  it("reads a settings file that Shopify hands over as base64 or as a short-lived URL", async () => {
    const data = settingsData({ "1": { type: OUR_BLOCK, disabled: false } });
    for (const bodyAs of ["base64", "url"] as const) {
      admin.theme = { name: "Dawn", settingsData: data, bodyAs };
      expect((await embedStep()).embed).toEqual({
        state: "enabled",
        themeName: "Dawn",
      });
    }
  });

  it("an Admin API error: says the theme could not be checked, keeps the link", async () => {
    admin.failWith = 503;
    const step = await embedStep();
    expect(step).toMatchObject({
      done: false,
      href: DEEP_LINK,
      embed: {
        state: "unknown",
        reason: "the Shopify Admin API answered HTTP 503",
      },
    });
    expect(step.label).toMatch(/the theme could not be checked/);
  });

  it("an Admin API error with storefront events seen: the events prove the embed runs", async () => {
    admin.failWith = 503;
    await app.prisma.attributionSession.create({
      data: { shop: SHOP, sessionKey: "s-embed-2" },
    });
    const step = await embedStep();
    expect(step.done).toBe(true);
    expect(step.embed?.state).toBe("unknown");
  });

  it("read_themes not granted: tells the merchant how to grant it", async () => {
    admin.themesAccessDenied = true;
    const step = await embedStep();
    expect(step.embed).toMatchObject({ state: "unknown" });
    expect(step.embed?.reason).toMatch(/read_themes permission is missing/);
    expect(step.done).toBe(false);
  });

  it("no published theme, or an unreadable settings file: unknown with the reason", async () => {
    expect((await embedStep()).embed).toEqual({
      state: "unknown",
      reason: "the store has no published theme",
    });
    admin.theme = { name: "Broken", settingsData: "/* unterminated" };
    expect((await embedStep()).embed).toEqual({
      state: "unknown",
      reason: "the settings of “Broken” could not be read",
    });
  });
});

describe("asking Shopify", () => {
  it("an expired token is left to the library, which sends the merchant through authentication", async () => {
    admin.failWith = 401;
    const res = await app.handle(app.adminRequest(SHOP, `/app?_data=${HOME}`));
    expect(res.status).not.toBe(200);
  });

  it("gives up after the timeout and says so", async () => {
    // A real server that accepts the request and never answers.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    const { port } = silent.address() as AddressInfo;
    const { readEmbedStatus } =
      await import("~/theme-embed/embed-status.server");
    try {
      const status = await readEmbedStatus(
        {
          graphql: (query, options) =>
            realFetch(
              `http://127.0.0.1:${port}/admin/api/2026-10/graphql.json`,
              {
                method: "POST",
                body: JSON.stringify({ query }),
                signal: options?.signal,
              },
            ),
        },
        { timeoutMs: 200, extensionId: null },
      );
      expect(status).toEqual({
        state: "unknown",
        reason: "Shopify did not answer within 0.2 s",
      });
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});
