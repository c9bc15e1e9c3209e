// The storefront fallback end to end in real Chromium: a storefront page (test/storefront/fixture.ts)
// with the web pixel's real bundle running in a worker (./web-pixel-harness.ts), with or without
// the theme app embed's real script; Shopify's app proxy (./storefront-gateway.ts) in front of the
// real app (routes, ingest, a temporary SQLite database), the delivery worker and the TikTok
// stand-in on 127.0.0.1.
// A: the embed runs, so it counts each shopper action and the pixel stays silent.
// B: the merchant never enabled the embed, so the pixel relays each action, once.
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { buildWebPixel } from "../../extensions/tiktok-web-pixel/build.mjs";
import {
  EMBED_WAIT_STEP_MS,
  EMBED_WAIT_STEPS,
} from "../../extensions/tiktok-web-pixel/src/relay";
import { chromiumPath, launchChromium } from "../support/browser";
import { configureShop } from "../support/shops";
import {
  APP_URL,
  TEST_CREDS,
  createTestApp,
  type TestApp,
} from "../support/test-app";
import {
  EVENTS_JS_STUB,
  PRODUCT,
  startStorefront,
  type Storefront,
} from "../storefront/fixture";
import {
  startStorefrontGateway,
  type StorefrontGateway,
} from "./storefront-gateway";
import { webPixelHarnessHtml } from "./web-pixel-harness";

const SHOP = "fallback-e2e.myshopify.com";
const PIXEL = "CFALLBACKE2EPIXEL01";
const TOKEN = "fallback-e2e-token-1";
// Headless Chromium says "HeadlessChrome", which the Shopify library turns away as a bot.
const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const TTCLID = "E.C.P.fallback-e2e-click";
const SHOPIFY_ID = /^sh-[0-9a-f-]{36}$/;
const EMBED_ID = /^[0-9a-f]{32}$/;

let app: TestApp;
let tiktok: TikTokStandin;
let appServer: http.Server;
let appUrl: string;
let browser: Browser;
let bundle: string;

type Shopper = {
  storefront: Storefront;
  gateway: StorefrontGateway;
  context: BrowserContext;
  page: Page;
  /** The browser pixel's calls (TikTok's events.js stand-in), with the page they came from. */
  ttq: { method: string; args: unknown[] }[];
};
const open: Shopper[] = [];

/** The real app over HTTP on 127.0.0.1, so the gateway can forward to it like Shopify does. */
function serveApp(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === "string") headers.set(name, value);
      const answer = await app.handle(
        new Request(new URL(req.url ?? "/", APP_URL), {
          method: req.method,
          headers,
          body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
        }),
      );
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(error));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(server)),
  );
}

async function shopper(
  embed: boolean,
  hideCookies: string[] = [],
): Promise<Shopper> {
  const storefront = await startStorefront({
    consent: "granted",
    embed,
    headHtml: webPixelHarnessHtml({
      bundle,
      relayPath: "/apps/tiktok-events/checkout",
      hideCookies,
    }),
  });
  const gateway = await startStorefrontGateway({
    storefrontOrigin: storefront.origin,
    appUrl,
    shop: SHOP,
    apiSecret: TEST_CREDS.apiSecret,
  });
  const context = await browser.newContext({ userAgent: USER_AGENT });
  const page = await context.newPage();
  const s: Shopper = { storefront, gateway, context, page, ttq: [] };
  open.push(s);
  await page.exposeFunction("__ttqCall", (method: string, args: unknown[]) => {
    s.ttq.push({ method, args });
  });
  await context.route("https://analytics.tiktok.com/**", (route) =>
    route.fulfill({
      contentType: "application/javascript",
      body: EVENTS_JS_STUB,
    }),
  );
  // Nothing else may leave the machine.
  await context.route(
    (url) =>
      url.hostname !== "127.0.0.1" && url.hostname !== "analytics.tiktok.com",
    (route) => route.abort(),
  );
  return s;
}

/** The shopper's visit: a product page, an add to cart from it, then a search. */
async function visit(s: Shopper): Promise<void> {
  const variant = PRODUCT.variants[1].id;
  await s.page.goto(
    s.gateway.url(`/products/shirt?variant=${variant}&ttclid=${TTCLID}`),
  );
  await s.page.evaluate(async (id) => {
    const added = await fetch("/cart/add.js", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items: [{ id: Number(id), quantity: 2 }] }),
    });
    if (!added.ok) throw new Error("add to cart failed");
    // Shopify publishes product_added_to_cart for the add.
    (
      window as unknown as {
        __shopifyCartAdded: (id: string, q: number) => void;
      }
    ).__shopifyCartAdded(id, 2);
  }, variant);
  // The pixel has decided about every event of this page (it looks for the embed this long).
  await sleep(EMBED_WAIT_STEPS * EMBED_WAIT_STEP_MS + 1_000);
  await s.page.goto(s.gateway.url("/search?q=linen"));
  await sleep(EMBED_WAIT_STEPS * EMBED_WAIT_STEP_MS + 1_000);
}

/** Runs the delivery worker until nothing is due. */
async function drain(): Promise<void> {
  const { DeliveryWorker } = await import("~/delivery/worker.server");
  const { tiktokClient } = await import("~/delivery/runtime.server");
  const worker = new DeliveryWorker({
    prisma: app.prisma,
    client: tiktokClient(),
  });
  while ((await worker.runOnce()) > 0);
}

async function waitFor<T>(fn: () => Promise<T | false>): Promise<T> {
  for (;;) {
    const value = await fn();
    if (value) return value;
    await sleep(100);
  }
}

const rows = () =>
  app.prisma.delivery.findMany({
    where: { shop: SHOP },
    orderBy: { createdAt: "asc" },
  });

describe.skipIf(!existsSync(chromiumPath()))(
  "storefront fallback in Chromium",
  { timeout: 120_000 },
  () => {
    beforeAll(async () => {
      tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
      app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
      appServer = await serveApp();
      appUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
      browser = await launchChromium();
      bundle = await buildWebPixel();
      await configureShop(SHOP, { pixelCode: PIXEL, accessToken: TOKEN });
    }, 120_000);

    afterEach(async () => {
      for (const s of open.splice(0)) {
        await s.context.close();
        await s.gateway.close();
        await s.storefront.close();
      }
      await app.prisma.delivery.deleteMany({});
      await app.prisma.attributionSession.deleteMany({});
      tiktok.reset();
      globalThis.proxyLimits = undefined;
    });

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => appServer?.close(resolve));
      await app?.close();
      await tiktok?.close();
    });

    it("A: with the theme embed, each shopper action is counted once, by the embed; the pixel relays nothing", async () => {
      const s = await shopper(true);
      await visit(s);
      // The pixel stayed silent: nothing went to the relay path.
      expect(
        s.gateway.forwarded.filter((f) => f.path === "/proxy/checkout"),
      ).toEqual([]);
      expect(
        s.gateway.forwarded.filter((f) => f.path === "/proxy/collect").length,
      ).toBeGreaterThan(0);
      expect(s.gateway.forwarded.every((f) => f.status === 204)).toBe(true);

      // The embed's server events, one per action, under its own ids.
      const stored = await rows();
      expect(stored.map((r) => r.eventName).sort()).toEqual([
        "AddToCart",
        "Search",
        "ViewContent",
      ]);
      expect(stored.every((r) => EMBED_ID.test(r.eventId))).toBe(true);
      // The page views went to the browser pixel, once per page.
      expect(s.ttq.filter((c) => c.method === "page")).toHaveLength(2);

      await drain();
      expect(tiktok.accepted.map((e) => e.event).sort()).toEqual([
        "AddToCart",
        "Search",
        "ViewContent",
      ]);
      expect(
        tiktok.accepted.every((e) => EMBED_ID.test(e.event_id ?? "")),
      ).toBe(true);
    });

    it("A, the browser signal failing (the pixel cannot see the embed's cookie): the server drops the pixel's relays, each action still once", async () => {
      const s = await shopper(true, ["_tt_pg"]);
      await visit(s);
      const relayed = s.gateway.forwarded.filter(
        (f) => f.path === "/proxy/checkout",
      );
      // page_viewed, product_viewed, product_added_to_cart; page_viewed, search_submitted
      expect(relayed.map((f) => JSON.parse(f.body).event)).toEqual([
        "page_viewed",
        "product_viewed",
        "product_added_to_cart",
        "page_viewed",
        "search_submitted",
      ]);
      expect(relayed.every((f) => f.status === 204)).toBe(true);
      const stored = await rows();
      expect(stored.map((r) => r.eventName).sort()).toEqual([
        "AddToCart",
        "Search",
        "ViewContent",
      ]);
      expect(stored.every((r) => EMBED_ID.test(r.eventId))).toBe(true);
      await drain();
      expect(tiktok.accepted).toHaveLength(3);
    });

    it("B: without the embed, the pixel relays each action once, under Shopify's event ids, also when Shopify fires them again", async () => {
      const s = await shopper(false);
      await visit(s);
      // Shopify fires the search page's events again (same ids).
      await s.page.evaluate(() =>
        (
          window as unknown as { __shopifyRefire: () => void }
        ).__shopifyRefire(),
      );
      const expected = [
        "AddToCart",
        "Pageview",
        "Pageview",
        "Search",
        "ViewContent",
      ];
      // The re-fired relays arrived, and were answered.
      await waitFor(async () =>
        s.gateway.forwarded.filter((f) => f.path === "/proxy/checkout")
          .length ===
        expected.length + 2
          ? true
          : false,
      );
      expect(s.gateway.forwarded.every((f) => f.status === 204)).toBe(true);
      expect(
        s.gateway.forwarded.filter((f) => f.path === "/proxy/collect"),
      ).toEqual([]);

      const stored = await rows();
      expect(stored.map((r) => r.eventName).sort()).toEqual(expected);
      expect(stored.every((r) => SHOPIFY_ID.test(r.eventId))).toBe(true);
      const add = JSON.parse(
        stored.find((r) => r.eventName === "AddToCart")!.payload,
      );
      expect(add.properties).toEqual({
        currency: "EUR",
        value: 49,
        content_type: "product",
        contents: [
          {
            content_id: PRODUCT.variants[1].id,
            content_name: PRODUCT.title,
            price: 24.5,
            quantity: 2,
          },
        ],
      });
      expect(add.user).toMatchObject({
        ip: "127.0.0.1",
        user_agent: USER_AGENT,
      });
      // The landing page's click id, kept by the pixel in our cookie, rides on every event,
      // the search page's too.
      expect(
        stored.map((r) => JSON.parse(r.payload).user.ttclid as string),
      ).toEqual(expected.map(() => TTCLID));
      expect(
        (await s.context.cookies()).find((c) => c.name === "_tt_ttclid"),
      ).toMatchObject({ value: TTCLID, secure: true, sameSite: "Lax" });
      expect(
        JSON.parse(stored.find((r) => r.eventName === "Search")!.payload)
          .properties,
      ).toEqual({ query: "linen" });

      await drain();
      expect(tiktok.accepted.map((e) => e.event).sort()).toEqual(expected);
      expect(tiktok.duplicatesIgnored).toBe(0);
    });
  },
);
