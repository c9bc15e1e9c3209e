// End to end in real Chromium, against the local demo (startDemo: the production build in demo
// mode, its own SQLite file, the TikTok stand-in): a merchant sets the app up, a shopper comes
// from a TikTok ad through a storefront running the theme extension's real script, Shopify sends
// the order webhook, and the merchant follows the Purchase in the delivery log, including a
// rejected token and a resend after fixing it.
// Screenshots go to test-results/e2e/; UPDATE_SCREENSHOTS=1 also refreshes public/screenshots/.
import { createHash, randomBytes } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@libsql/client";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemo, type RunningDemo } from "../../dev/demo/demo.server";
import { orderWebhookBody } from "../../dev/demo/journey";
import { webhookHeaders } from "../../dev/shopify-signing";
import { chromiumPath, launchChromium } from "../support/browser";
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

// Headless Chromium says "HeadlessChrome", which the Shopify library turns away as a bot (410).
const USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const VIEWPORT = { width: 1280, height: 900 };

const PIXEL = "CE2EMERCHANTPIXEL01";
const PIXEL_NAME = "Main store";
// A second pixel, added through the page at the end: its code is not one the token may use.
const SECOND_PIXEL = "CE2EAGENCYPIXEL0002";
const SECOND_NAME = "Agency";
const GOOD_TOKEN = "e2e-live-token-7a1234";
const WRONG_TOKEN = "e2e-revoked-token-0000";
const TEST_EVENT_CODE = "TEST48213";
const TTCLID = `E.C.P.e2e-${randomBytes(12).toString("base64url")}`;
const CLICK_ORDER = { id: "6120458739001", number: 1001 };
const FAILING_ORDER = { id: "6120458739002", number: 1002 };

const RESULTS = path.resolve("test-results", "e2e");
const README_SHOTS = path.resolve("public", "screenshots");

const sha256 = (value: string) =>
  createHash("sha256").update(value).digest("hex");

let tmp: string;
let demo: RunningDemo | undefined;
let browser: Browser | undefined;
let storefront: Storefront | undefined;
let gateway: StorefrontGateway | undefined;
let admin: BrowserContext;
let page: Page;
const appLog: string[] = [];

// Polls until fn gives something truthy; the test timeout is the only limit.
async function waitFor<T>(
  fn: () =>
    T | undefined | null | false | Promise<T | undefined | null | false>,
): Promise<T> {
  for (;;) {
    const value = await fn();
    if (value) return value;
    await sleep(100);
  }
}

async function screenshot(
  name: string,
  options: { fullPage?: boolean; until?: Locator } = {},
): Promise<string> {
  const file = path.join(RESULTS, `${name}.png`);
  if (options.until) {
    // For the README: no toast or hover state, and the page only down to the part that matters.
    await page.evaluate(() =>
      document
        .getElementById("demo-app-bridge-toast")
        ?.setAttribute("hidden", ""),
    );
    await page.mouse.move(VIEWPORT.width - 1, VIEWPORT.height - 1);
    const box = await options.until.boundingBox();
    if (!box)
      throw new Error(`screenshot ${name}: the end marker is not on the page`);
    const scrollY = await page.evaluate(() => window.scrollY);
    const height = Math.ceil(scrollY + box.y + box.height + 24);
    await page.screenshot({
      path: file,
      fullPage: true,
      clip: { x: 0, y: 0, width: VIEWPORT.width, height },
    });
  } else {
    await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
  }
  return file;
}

function publishScreenshot(file: string, name: string): void {
  if (!process.env.UPDATE_SCREENSHOTS) return;
  mkdirSync(README_SHOTS, { recursive: true });
  copyFileSync(file, path.join(README_SHOTS, `${name}.png`));
}

/** Waits for the App Bridge stand-in's toast to show `text` (cleared first, so a repeat counts). */
async function expectToast(
  action: () => Promise<void>,
  text: string,
  isError = false,
): Promise<void> {
  await page.evaluate(() => {
    const toast = document.getElementById("demo-app-bridge-toast");
    if (toast) toast.textContent = "";
  });
  await action();
  const toast = page.locator("#demo-app-bridge-toast");
  await toast.filter({ hasText: text }).waitFor();
  expect(await toast.getAttribute("role")).toBe("status");
  expect(await toast.getAttribute("data-error")).toBe(String(isError));
}

/**
 * Waits until React has hydrated the element: before that, typing into a server-rendered input
 * is lost when React takes over, and clicks do nothing.
 */
async function hydrated(locator: Locator): Promise<Locator> {
  await locator.waitFor();
  await locator.evaluate(
    (el) =>
      new Promise<void>((resolve) => {
        const check = () =>
          Object.keys(el).some((k) => k.startsWith("__reactProps$"))
            ? resolve()
            : setTimeout(check, 20);
        check();
      }),
  );
  return locator;
}

async function openSettings(): Promise<void> {
  await page.goto(demo!.adminUrl("/app/settings"));
  await hydrated(
    page.getByRole("checkbox", { name: "Send events to this pixel" }).first(),
  );
  expect(page.url()).toContain("id_token=");
}

/** The settings page's list of pixels, each item named after its pixel. */
function pixelList(): Locator {
  return page.getByRole("list", { name: "TikTok pixels", exact: true });
}

function pixelRow(name: string): Locator {
  return pixelList().getByRole("listitem", { name, exact: true });
}

/** Opens a pixel's page from the settings list. */
async function editPixel(name: string): Promise<void> {
  await openSettings();
  await pixelRow(name).getByRole("link", { name: "Edit" }).click();
  await hydrated(page.getByLabel("Pixel code"));
  expect(new URL(page.url()).pathname).toMatch(/^\/app\/settings\/pixels\//);
}

/** Saves the pixel page; the app goes back to the list. */
async function savePixel(toast: string): Promise<void> {
  await expectToast(
    () => page.getByRole("button", { name: "Save", exact: true }).click(),
    toast,
  );
  await page.waitForURL((url) => url.pathname === "/app/settings");
}

async function replaceToken(token: string): Promise<void> {
  await editPixel(PIXEL_NAME);
  await page.getByRole("button", { name: "Replace" }).click();
  await page.getByLabel("Access token").fill(token);
  await savePixel("Pixel saved");
  await pixelRow(PIXEL_NAME)
    .getByText(`token ending in …${token.slice(-4)}`, { exact: false })
    .waitFor();
}

async function openDeliveryLog(): Promise<void> {
  await page.locator("ui-nav-menu a", { hasText: "Delivery log" }).click();
  await page.getByRole("heading", { name: "Delivery log" }).waitFor();
  expect(new URL(page.url()).pathname).toBe("/app/deliveries");
}

/** The log's row for an order, e.g. "#1001". */
function logRow(orderName: string): Locator {
  return page
    .locator("tr")
    .filter({ has: page.getByRole("link", { name: orderName, exact: true }) });
}

/** Order webhook Shopify would send for this shop, signed with this run's secret. */
async function sendOrderWebhook(
  order: { id: string; number: number },
  extra: {
    noteAttributes: { name: string; value: string }[];
    cartToken: string | null;
  },
): Promise<{
  status: number;
  answer: { status?: string; deliveryId?: string };
}> {
  const body = orderWebhookBody({
    id: order.id,
    number: order.number,
    createdAt: new Date(Date.now() - 5_000),
    email: "Jane.Doe@Example.com",
    phone: "(415) 555-0134",
    customerId: "7712345670001",
    country: "US",
    lines: [
      {
        item: {
          variantId: PRODUCT.variants[1].id,
          productId: "8912345670001",
          title: PRODUCT.title,
          price: "24.50",
        },
        quantity: 2,
      },
    ],
    sourceName: "web",
    landingSite: null,
    // Left out on purpose: the shopper's address and browser must come from the storefront visit.
    browserIp: null,
    userAgent: null,
    acceptLanguage: null,
    cartToken: extra.cartToken,
    noteAttributes: extra.noteAttributes,
  });
  const response = await fetch(new URL("/webhooks/orders", demo!.appUrl), {
    method: "POST",
    headers: webhookHeaders({
      topic: "orders/create",
      shop: demo!.shop,
      body,
      apiSecret: demo!.credentials.apiSecret,
    }),
    body,
  });
  return {
    status: response.status,
    answer: (await response.json()) as { status?: string },
  };
}

describe.skipIf(!existsSync(chromiumPath()))(
  "the merchant's journey in Chromium",
  { timeout: 300_000 },
  () => {
    beforeAll(async () => {
      tmp = mkdtempSync(path.join(tmpdir(), "e2e-merchant-"));
      mkdirSync(RESULTS, { recursive: true });
      demo = await startDemo({
        databaseFile: path.join(tmp, "demo.sqlite"),
        standin: { accessTokens: { [GOOD_TOKEN]: [PIXEL] } },
        appOutput: (line) => appLog.push(line),
      });
      browser = await launchChromium();
      admin = await browser.newContext({
        userAgent: USER_AGENT,
        viewport: VIEWPORT,
      });
      // Everything the admin pages need is served locally; nothing may leave the machine.
      await admin.route(
        (url) => url.hostname !== "127.0.0.1",
        (route) => route.abort(),
      );
      page = await admin.newPage();
      storefront = await startStorefront({ consent: "granted" });
      gateway = await startStorefrontGateway({
        storefrontOrigin: storefront.origin,
        appUrl: demo.appUrl,
        shop: demo.shop,
        apiSecret: demo.credentials.apiSecret,
      });
    }, 600_000);

    afterAll(async () => {
      await browser?.close();
      await gateway?.close();
      await storefront?.close();
      await demo?.stop();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }, 60_000);

    it("saves the pixel code and token in Settings and sends a test event TikTok accepts", async () => {
      // The demo shop starts with one pixel, as a first save leaves it.
      await editPixel("TikTok pixel");
      await page.getByLabel("Name", { exact: true }).fill(PIXEL_NAME);
      await page.getByLabel("Pixel code").fill(PIXEL);
      await page.getByRole("button", { name: "Replace" }).click();
      await page.getByLabel("Access token").fill(GOOD_TOKEN);
      await page.getByLabel("Test event code").fill(TEST_EVENT_CODE);
      await savePixel("Pixel saved");

      // Back on the list: the pixel, its code, and only the token's last four characters.
      const row = pixelRow(PIXEL_NAME);
      await row
        .getByText(`Code ${PIXEL} · token ending in …1234`, { exact: true })
        .waitFor();
      expect(await page.content()).not.toContain(GOOD_TOKEN);
      // The storefront gets the new pixel code through the app-owned metafield.
      expect(JSON.stringify((await demo!.status()).metafields)).toContain(
        PIXEL,
      );

      await hydrated(row.getByRole("button", { name: "Send test event" }));
      await row.getByRole("button", { name: "Send test event" }).click();
      await row
        .getByRole("heading", { name: "TikTok accepted the test event" })
        .waitFor();
      const details = await row.getByText(/^TikTok answered: /).textContent();
      expect(details).toMatch(
        /^TikTok answered: code 0, message "OK", request_id \S+, HTTP 200\.$/,
      );
      // The result stays next to the pixel.
      await row.getByText(/^Test event accepted /).waitFor();

      // What TikTok (the stand-in) received: one test event for this pixel, under the test code.
      const requestId = details!.match(/request_id (\S+),/)![1];
      const received = demo!.standin.accepted.filter(
        (e) => e.pixelCode === PIXEL,
      );
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({
        test_event_code: TEST_EVENT_CODE,
        requestId,
      });
      publishScreenshot(
        await screenshot("settings", {
          until: page.getByRole("heading", { name: "Purchases", exact: true }),
        }),
        "settings",
      );
      await screenshot("settings-full", { fullPage: true });

      // The pixel's page never shows the token back either.
      await editPixel(PIXEL_NAME);
      await page.getByText("Set, ending in …1234").waitFor();
      expect(await page.getByLabel("Access token").count()).toBe(0);
      expect(await page.content()).not.toContain(GOOD_TOKEN);
      expect(await page.getByLabel("Pixel code").inputValue()).toBe(PIXEL);
      await screenshot("settings-pixel", {
        until: page.getByText(/^Optional\. From Events Manager/),
      });
    });

    let attributes: Record<string, string> = {};

    it("a shopper from a TikTok ad: the storefront script keeps the click id and the events reach the app", async () => {
      const shopper = await browser!.newContext({ userAgent: USER_AGENT });
      try {
        await shopper.addInitScript(() => {
          (window as unknown as { __ttqCall: () => void }).__ttqCall = () => {};
        });
        // TikTok's pixel script is replaced by a stub; nothing else may leave the machine.
        await shopper.route("https://analytics.tiktok.com/**", (route) =>
          route.fulfill({
            contentType: "application/javascript",
            body: EVENTS_JS_STUB,
          }),
        );
        await shopper.route(
          (url) =>
            url.hostname !== "127.0.0.1" &&
            url.hostname !== "analytics.tiktok.com",
          (route) => route.abort(),
        );
        const tab = await shopper.newPage();
        await tab.goto(
          gateway!.url(`/products/shirt?ttclid=${encodeURIComponent(TTCLID)}`),
        );

        // PageView + ViewContent went through Shopify's proxy (the gateway) and the app took them.
        const landing = await waitFor(() =>
          gateway!.forwarded.find((f) => f.body.includes('"ViewContent"')),
        );
        expect(landing.status).toBe(204);

        // The click id lives on in a first-party cookie, next to the script's session id.
        const cookies = await shopper.cookies();
        expect(cookies.find((c) => c.name === "_tt_ttclid")?.value).toBe(
          TTCLID,
        );
        const sessionId = cookies.find((c) => c.name === "_tt_sid")?.value;
        expect(sessionId).toMatch(/^[0-9a-f]{32}$/);
        expect(JSON.parse(landing.body)).toMatchObject({
          session_id: sessionId,
          ttclid: TTCLID,
          consent: "granted",
        });

        // Add to cart the way Dawn does it (fetch); the script mirrors AddToCart and writes the
        // hidden cart attributes that Shopify copies onto the order.
        await tab.click("#ajax-add");
        const added = await waitFor(() =>
          gateway!.forwarded.find((f) => f.body.includes('"AddToCart"')),
        );
        expect(added.status).toBe(204);
        const update = await waitFor(() =>
          storefront!.cartUpdates.find(
            (u) => u.attributes._tt_ttclid === TTCLID,
          ),
        );
        attributes = Object.fromEntries(
          Object.entries(update.attributes).filter(
            ([, v]) => typeof v === "string",
          ),
        );
        expect(attributes).toMatchObject({
          _tt_sid: sessionId,
          _tt_ttclid: TTCLID,
        });
        expect(gateway!.forwarded.every((f) => f.status === 204)).toBe(true);

        // The app stored the attribution session, as its own database shows.
        const db = createClient({
          url: `file:${path.join(tmp, "demo.sqlite")}`,
        });
        try {
          const rows = await db.execute({
            sql: `SELECT ttclid, ttp, ip, userAgent, consent, cartToken FROM "AttributionSession" WHERE shop = ? AND sessionKey = ?`,
            args: [demo!.shop, sessionId!],
          });
          expect(rows.rows).toHaveLength(1);
          expect({ ...rows.rows[0] }).toMatchObject({
            ttclid: TTCLID,
            ttp: attributes._ttp,
            ip: "127.0.0.1",
            userAgent: USER_AGENT,
            consent: "granted",
            cartToken: "c1-7a2abe82733a",
          });
        } finally {
          db.close();
        }

        // And mirrored ViewContent and AddToCart to TikTok with the click id.
        await demo!.waitForDrain();
        const mirrored = demo!.standin.accepted.filter(
          (e) => e.pixelCode === PIXEL && e.event !== "Purchase",
        );
        expect(mirrored.map((e) => e.event).sort()).toEqual([
          "AddToCart",
          "ViewContent",
        ]);
        for (const event of mirrored)
          expect(event.user).toMatchObject({
            ttclid: TTCLID,
            ip: "127.0.0.1",
            user_agent: USER_AGENT,
          });
      } finally {
        await shopper.close();
      }
    });

    it("the order shows in the delivery log as Delivered with the ttclid, email and phone badges", async () => {
      expect(attributes._tt_sid).toBeDefined();
      const { status, answer } = await sendOrderWebhook(CLICK_ORDER, {
        noteAttributes: Object.entries(attributes).map(([name, value]) => ({
          name,
          value,
        })),
        cartToken: "c1-7a2abe82733a",
      });
      expect(status).toBe(200);
      expect(answer.status).toBe("queued");
      await demo!.waitForDrain();

      const purchase = demo!.standin.accepted.find(
        (e) =>
          e.event === "Purchase" && e.event_id === `${CLICK_ORDER.id}_Purchase`,
      );
      expect(purchase).toBeDefined();
      expect(purchase!.pixelCode).toBe(PIXEL);
      // Matched to the storefront visit: the click id, and the shopper's address and browser.
      expect(purchase!.user).toMatchObject({
        ttclid: TTCLID,
        ip: "127.0.0.1",
        user_agent: USER_AGENT,
      });
      expect(JSON.stringify(purchase!.user.email)).toContain(
        sha256("jane.doe@example.com"),
      );
      expect(JSON.stringify(purchase!.user.phone)).toContain(
        sha256("+14155550134"),
      );

      await openSettings();
      // The settings page says in words which keys the week's Purchases carried (issue 13.3).
      await page
        .getByText(/^Email reached TikTok on \d+% of Purchases\.$/)
        .waitFor();
      await page
        .getByText(
          /^ttclid \(TikTok's ad click id\) reached TikTok on \d+% of Purchases\.$/,
        )
        .waitFor();
      await openDeliveryLog();
      const row = logRow(`#${CLICK_ORDER.number}`);
      await row.getByText("Delivered", { exact: true }).waitFor();
      for (const badge of ["ttclid", "email", "phone"]) {
        expect(await row.getByText(badge, { exact: true }).count(), badge).toBe(
          1,
        );
      }
      await screenshot("delivery-log-delivered");
    });

    it("a rejected token shows as Failed with TikTok's message, and Resend works once the token is fixed", async () => {
      await replaceToken(WRONG_TOKEN);

      const { status, answer } = await sendOrderWebhook(FAILING_ORDER, {
        noteAttributes: [],
        cartToken: null,
      });
      expect(status).toBe(200);
      expect(answer.status).toBe("queued");
      await demo!.waitForDrain();
      const rejected = demo!.standin.requests.filter((r) => r.code === 40105);
      expect(rejected.length).toBeGreaterThan(0);

      await openDeliveryLog();
      const row = logRow(`#${FAILING_ORDER.number}`);
      await row.getByText("Failed", { exact: true }).waitFor();
      expect(
        await logRow(`#${CLICK_ORDER.number}`)
          .getByText("Delivered", { exact: true })
          .count(),
      ).toBe(1);
      publishScreenshot(
        await screenshot("delivery-log", {
          until: page.getByRole("navigation", { name: "Pagination" }),
        }),
        "delivery-log",
      );

      // The detail page: the reason in plain words and TikTok's own answer in the attempts.
      await row
        .getByRole("link", { name: `#${FAILING_ORDER.number}`, exact: true })
        .click();
      await page.getByText("Not delivered", { exact: true }).waitFor();
      const detailPath = new URL(page.url()).pathname;
      expect(detailPath).toMatch(/^\/app\/deliveries\/[^/]+$/);
      await page.getByText(/The access token was rejected by TikTok/).waitFor();
      await page
        .getByText("Access token is invalid or has expired.", { exact: true })
        .waitFor();
      expect(
        await page.getByRole("cell", { name: "40105", exact: true }).count(),
      ).toBe(1);
      await screenshot("delivery-detail-failed", { fullPage: true });

      // Fix the token, come back, resend.
      await replaceToken(GOOD_TOKEN);
      await page.goto(demo!.adminUrl(detailPath));
      await page.getByText("Not delivered", { exact: true }).waitFor();
      const resend = await hydrated(
        page.getByRole("button", { name: "Resend" }),
      );
      await expectToast(() => resend.click(), "Queued for resend");
      await demo!.waitForDrain();

      const resent = await waitFor(() =>
        demo!.standin.accepted.find(
          (e) =>
            e.event === "Purchase" &&
            e.event_id === `${FAILING_ORDER.id}_Purchase`,
        ),
      );
      expect(resent.pixelCode).toBe(PIXEL);
      await waitFor(async () => {
        await page.goto(demo!.adminUrl(detailPath));
        await page.getByRole("heading", { name: "Details" }).waitFor();
        return (
          (await page.getByText(/^TikTok accepted this event/).count()) === 1
        );
      });
      // Both attempts are on record: TikTok's rejection, then its acceptance.
      await page
        .getByText("Access token is invalid or has expired.", { exact: true })
        .waitFor();
      expect(
        await page.getByRole("cell", { name: "OK", exact: true }).count(),
      ).toBe(1);
      publishScreenshot(
        await screenshot("delivery-detail", { until: page.locator("table") }),
        "delivery-detail",
      );
      await screenshot("delivery-detail-full", { fullPage: true });

      await openDeliveryLog();
      await logRow(`#${FAILING_ORDER.number}`)
        .getByText("Delivered", { exact: true })
        .waitFor();
      expect(
        await page
          .locator("tbody")
          .getByText("Failed", { exact: true })
          .count(),
      ).toBe(0);
    });

    it("adds a second pixel through Settings: both are listed, TikTok's refusal of its code shows next to it, and it can be turned off and removed", async () => {
      const codes = async () =>
        JSON.parse(
          (await demo!.status()).metafields["$app:tiktok.pixel_codes"],
        ) as string[];
      const addPixel = async (name: string, code: string) => {
        await openSettings();
        await page.getByRole("link", { name: "Add pixel" }).first().click();
        await hydrated(page.getByLabel("Pixel code"));
        expect(new URL(page.url()).pathname).toBe("/app/settings/pixels/new");
        await page.getByLabel("Name", { exact: true }).fill(name);
        await page.getByLabel("Pixel code").fill(code);
        await page.getByLabel("Access token").fill(GOOD_TOKEN);
        await page.getByLabel("Test event code").fill(TEST_EVENT_CODE);
      };

      // The code the shop already sends to is refused, on the field.
      await addPixel(SECOND_NAME, PIXEL.toLowerCase());
      await expectToast(
        () => page.getByRole("button", { name: "Save", exact: true }).click(),
        "Not saved: check the highlighted fields",
        true,
      );
      await page.getByText(/already sends to a pixel with this code/).waitFor();

      await addPixel(SECOND_NAME, SECOND_PIXEL);
      await savePixel("Pixel added");
      await pixelRow(SECOND_NAME).waitFor();
      const names = await pixelList()
        .getByRole("listitem")
        .evaluateAll((items) => items.map((i) => i.getAttribute("aria-label")));
      expect(names).toEqual([PIXEL_NAME, SECOND_NAME]);
      expect(await codes()).toEqual([PIXEL, SECOND_PIXEL]);
      // The first pixel keeps its last delivery and test result.
      await pixelRow(PIXEL_NAME)
        .getByText(/^Delivered /)
        .waitFor();
      await pixelRow(PIXEL_NAME)
        .getByText(/^Test event accepted /)
        .waitFor();

      // The token may not send to this code: TikTok answers 40001, told next to the pixel.
      const row = pixelRow(SECOND_NAME);
      await hydrated(row.getByRole("button", { name: "Send test event" }));
      await row.getByRole("button", { name: "Send test event" }).click();
      await row
        .getByText(
          /^Test event failed just now \(TikTok code 40001\)\. TikTok does not accept this pixel code with this access token\./,
        )
        .waitFor();
      expect(demo!.standin.requests.some((r) => r.code === 40001)).toBe(true);
      await screenshot("settings-two-pixels", { fullPage: true });

      // Off: the storefront stops loading it.
      await row
        .getByRole("checkbox", { name: "Send events to this pixel" })
        .click();
      await row.getByText("Off", { exact: true }).waitFor();
      await waitFor(async () => (await codes()).join() === PIXEL);

      // Removed after a confirmation; the first pixel stays.
      await row.getByRole("button", { name: "Remove" }).click();
      await row
        .getByRole("heading", { name: `Remove ${SECOND_NAME}?` })
        .waitFor();
      await expectToast(
        () => row.getByRole("button", { name: "Remove pixel" }).click(),
        "Pixel removed",
      );
      await waitFor(async () => (await pixelRow(SECOND_NAME).count()) === 0);
      expect(await pixelRow(PIXEL_NAME).count()).toBe(1);
      expect(await page.content()).not.toContain(GOOD_TOKEN);
    });
  },
);
