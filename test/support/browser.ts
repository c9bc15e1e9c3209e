// Headless Debian Chromium for real-browser tests (storefront script, admin e2e).
// `npx playwright install` cannot download browsers here; install the system
// package once: apt-get install -y chromium (or point CHROMIUM_PATH elsewhere).
import { existsSync } from "node:fs";
import { chromium, type Browser, type LaunchOptions } from "playwright-core";

// Flags that keep Chromium from hanging or phoning home on a closed network.
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}

export async function launchChromium(
  options: LaunchOptions = {},
): Promise<Browser> {
  const executablePath = options.executablePath ?? chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: apt-get update && apt-get install -y chromium, or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    headless: true,
    ...options,
    executablePath,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}
