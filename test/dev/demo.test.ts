// `npm run demo` end to end, as a developer runs it: a child process that builds if needed,
// starts the TikTok stand-in and the app, plays the journey and prints what TikTok received.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chromiumPath, launchChromium } from "../support/browser";

const tmp = mkdtempSync(path.join(tmpdir(), "demo-test-"));
const started: ChildProcess[] = [];
afterAll(() => {
  // A failed assertion must not leave a demo holding its ports.
  for (const proc of started)
    if (proc.exitCode === null && proc.signalCode === null)
      proc.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves with the output so far once a line matching `pattern` was printed. */
  waitFor: (pattern: RegExp) => Promise<string>;
}

function runDemo(args: string[], dbName: string): Run {
  const proc = spawn(
    process.execPath,
    ["--import", "tsx", "dev/demo/cli.ts", ...args],
    {
      env: { ...process.env, DEMO_DATABASE_FILE: path.join(tmp, dbName) },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  started.push(proc);
  let out = "";
  const waiters: { pattern: RegExp; resolve: (s: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(out);
      }
    }
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  return {
    proc,
    output: () => out,
    exited,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        if (pattern.test(out)) return resolve(out);
        waiters.push({ pattern, resolve });
        void exited.then((code) =>
          reject(new Error(`demo exited (${code}) before ${pattern}:\n${out}`)),
        );
      }),
  };
}

describe("npm run demo", () => {
  it("--once plays the journey, reaches 'Purchase delivered' and exits 0", async () => {
    const run = runDemo(["--once"], "once.sqlite");
    const code = await run.exited;
    const out = run.output();
    expect(code, out).toBe(0);
    expect(out).toContain(
      "Purchase delivered: order #1001 reached TikTok as event_id 6120458731001_Purchase",
    );
    // What the stand-in received: the mirrored storefront events and two purchases, one with limited data use.
    expect(out).toMatch(
      /ViewContent\s+[0-9a-f]{32}\s+ttclid ttp ip user_agent\s+24\.50 USD/,
    );
    expect(out).toMatch(
      /AddToCart\s+[0-9a-f]{32}\s+ttclid ttp ip user_agent\s+49\.00 USD/,
    );
    expect(out).toMatch(
      /Purchase\s+6120458731001_Purchase\s+ttclid ttp email phone external_id first_name last_name country ip user_agent\s+58\.80 USD/,
    );
    expect(out).toMatch(
      /Purchase\s+6120458731002_Purchase\s+email first_name last_name country ip user_agent\s+18\.10 USD\s+limited data use/,
    );
    // The checkout web pixel's journeys: Buy it now (steps and Purchase joined by checkout
    // token) and orders/create before the thank-you page (held, then released by the relay).
    expect(out).toMatch(
      /InitiateCheckout\s+[0-9a-f]{32}_InitiateCheckout\s+ttclid ttp ip user_agent\s+28\.30 USD/,
    );
    expect(out).toMatch(
      /AddPaymentInfo\s+[0-9a-f]{32}_AddPaymentInfo\s+ttclid ttp email phone ip user_agent\s+28\.30 USD/,
    );
    expect(out).toMatch(
      /Purchase\s+6120458731005_Purchase\s+ttclid ttp email phone first_name last_name country ip user_agent\s+31\.85 USD\s*\n/,
    );
    expect(out).toMatch(
      /Purchase\s+6120458731006_Purchase\s+ttclid ttp email first_name last_name country ip user_agent\s+31\.85 USD\s*\n/,
    );
    expect(out).toContain("What TikTok received (8 events");
    // Where each Purchase's keys came from.
    expect(out).toMatch(/#1001 +ttclid<-cart_attributes ttp<-cart_attributes /);
    expect(out).toMatch(
      /#1002 +ip<-order user_agent<-order email<-order first_name<-billing_address last_name<-billing_address country<-billing_address\n/,
    );
    expect(out).toMatch(/#1005 +ttclid<-checkout_pixel ttp<-checkout_pixel /);
    expect(out).toMatch(/#1006 .*ttclid<-checkout_pixel/);
    // And what was not sent, with the app's reasons.
    expect(out).toMatch(
      /#1003 Purchase\s+skipped\s+Not sent: the shopper declined marketing consent\./,
    );
    expect(out).toMatch(
      /#1004 Purchase\s+skipped\s+Skipped: point of sale order\./,
    );
    expect(out).toMatch(
      /#1001 webhook\s+duplicate\s+This webhook was already processed\./,
    );
    expect(out).toMatch(
      /Settings: +http:\/\/127\.0\.0\.1:\d+\/app\/settings\?embedded=1&shop=demo-shop\.myshopify\.com&host=/,
    );
    expect(out).toContain("Stopped.");
    expect(existsSync(path.join(tmp, "once.sqlite"))).toBe(true);
  }, 600_000);

  it.skipIf(!existsSync(chromiumPath()))(
    "serves the admin screens to an ordinary browser until Ctrl-C, then stops cleanly",
    async () => {
      const run = runDemo(["--port=0"], "interactive.sqlite");
      try {
        const out = await run.waitFor(/Press Ctrl-C to stop/);
        const settingsUrl = out.match(/Settings: +(\S+)/)![1]!;
        const browser = await launchChromium();
        try {
          // Headless Chromium says "HeadlessChrome", which the Shopify library turns away as a bot.
          const context = await browser.newContext({
            userAgent:
              "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
          });
          const page = await context.newPage();
          await page.goto(settingsUrl);
          // The bounce page got a token from the stand-in and reloaded the page with id_token.
          // The settings page lists the demo's pixel: its code, the token's last four only.
          const pixel = page
            .getByRole("list", { name: "TikTok pixels" })
            .getByRole("listitem", { name: "TikTok pixel" });
          await pixel.waitFor();
          expect(page.url()).toContain("id_token=");
          expect(
            await pixel
              .getByText("Code CDEMOPIXEL000000001 · token ending in …oken", {
                exact: true,
              })
              .count(),
          ).toBe(1);
          // Navigation through the stand-in's <ui-nav-menu>.
          // AppProvider handles the click only once React has hydrated the page, which the
          // server-rendered page does not wait for: on a loaded machine, click until it navigates.
          for (
            let i = 0;
            i < 20 && new URL(page.url()).pathname !== "/app";
            i++
          ) {
            await page.locator("ui-nav-menu a", { hasText: "Home" }).click();
            await page
              .waitForURL((u) => u.pathname === "/app", { timeout: 1_500 })
              .catch(() => {});
          }
          await page.getByText("Setup").first().waitFor();
          expect(new URL(page.url()).pathname).toBe("/app");
        } finally {
          await browser.close();
        }
      } finally {
        run.proc.kill("SIGINT");
      }
      expect(await run.exited, run.output()).toBe(0);
      expect(run.output()).toContain("Stopped.");
    },
    600_000,
  );
});
