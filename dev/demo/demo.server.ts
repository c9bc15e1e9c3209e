// The local demo as a library, for `npm run demo` and for browser tests: a fresh database, an
// up-to-date build, the TikTok stand-in (in this process, so callers can inspect and steer it)
// and the app in a child process in demo mode, with per-run credentials that live in memory only.
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createInterface } from "node:readline";
import { generateEncryptionKey } from "~/credentials/encryption.server";
import type { AppCredentials } from "../shopify-signing";
import {
  startTikTokStandin,
  type AcceptedEvent,
  type StandinOptions,
  type TikTokStandin,
} from "../tiktok-standin.server";
import type { AppProcessMessage } from "./app-process";
import {
  buildJourney,
  DEMO_PIXEL_CODE,
  DEMO_SCOPES,
  DEMO_SHOP,
  DEMO_TIKTOK_TOKEN,
  embeddedQuery,
  type Journey,
} from "./journey";
import { playStep, stepSucceeded, type StepOutcome } from "./journey.server";
import { ensureAppBuild, prepareDemoDatabase } from "./prepare.server";
import type { DeliveryRow } from "./report";

export interface DemoStatus {
  /** Outbox rows still owed to TikTok. */
  outbox: number;
  deliveries: DeliveryRow[];
  /** Metafields the app set through the demo's Admin API stand-in. */
  metafields: Record<string, string>;
}

export interface DemoOptions {
  /** Project root; default the working directory. */
  root?: string;
  /** App port; 0 (default) = ephemeral. */
  port?: number;
  /** With a non-zero port: use an ephemeral one when it is taken. */
  fallbackToEphemeralPort?: boolean;
  /** SQLite file, wiped first. Default prisma/demo.sqlite. */
  databaseFile?: string;
  /** Progress lines ("Creating the demo database ..."). */
  log?: (line: string) => void;
  /** The app process's own output, line by line. Default: dropped. */
  appOutput?: (line: string) => void;
  /** Extra TikTok stand-in options (latency, error rate, more tokens). */
  standin?: Omit<StandinOptions, "host">;
}

export interface RunningDemo {
  readonly appUrl: string;
  readonly shop: string;
  /** This run's app credentials (the secret signs session tokens, webhooks and app proxy requests). */
  readonly credentials: AppCredentials;
  readonly standin: TikTokStandin;
  readonly app: ChildProcess;
  /** An admin page as Shopify opens it, e.g. adminUrl("/app/settings"); the stand-in adds id_token. */
  adminUrl(pathname: string): string;
  status(): Promise<DemoStatus>;
  /** Waits until nothing is owed to TikTok any more (outbox empty, nothing pending). */
  waitForDrain(timeoutMs?: number): Promise<DemoStatus>;
  /** Stops the app (it finishes in-flight deliveries) and the stand-in. Idempotent. */
  stop(): Promise<void>;
}

export interface JourneyResult {
  journey: Journey;
  outcomes: StepOutcome[];
  status: DemoStatus;
  /** What the stand-in accepted for the demo pixel. */
  received: AcceptedEvent[];
  /** The click order's Purchase as TikTok received it, or undefined if it never arrived. */
  purchase: AcceptedEvent | undefined;
}

function waitForExit(proc: ChildProcess, ms: number): Promise<boolean> {
  if (proc.exitCode !== null || proc.signalCode !== null)
    return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startDemo(
  options: DemoOptions = {},
): Promise<RunningDemo> {
  if (process.env.NODE_ENV === "production") {
    throw new Error(
      "The demo is for a developer machine; it refuses to run with NODE_ENV=production.",
    );
  }
  const root = options.root ?? process.cwd();
  const log = options.log ?? (() => {});
  const [databaseUrl, build] = await Promise.all([
    prepareDemoDatabase(
      root,
      options.databaseFile ?? path.join("prisma", "demo.sqlite"),
      log,
    ),
    ensureAppBuild(root, log),
  ]);
  if (build === "current") log("The app build is up to date");

  // Per-run credentials, in memory only: nothing is written to .env.
  const credentials: AppCredentials = {
    apiKey: randomBytes(16).toString("hex"),
    apiSecret: randomBytes(32).toString("hex"),
  };

  const standin = await startTikTokStandin({
    ...options.standin,
    accessTokens: {
      [DEMO_TIKTOK_TOKEN]: [DEMO_PIXEL_CODE],
      ...options.standin?.accessTokens,
    },
  });
  log(`TikTok Events API stand-in: ${standin.url}`);

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "development",
    DEMO_MODE: "1",
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: generateEncryptionKey(),
    SHOPIFY_API_KEY: credentials.apiKey,
    SHOPIFY_API_SECRET: credentials.apiSecret,
    SCOPES: DEMO_SCOPES,
    TIKTOK_API_BASE_URL: standin.url,
    DELIVERY_WORKER: "on",
    // An order with no browser context waits this long for the checkout pixel (60 s in
    // production); short here, so the demo's no-click order goes out within seconds.
    CHECKOUT_HOLD_SECONDS: "5",
    DEMO_SHOP,
    DEMO_ADMIN_ACCESS_TOKEN: `shpat_demo_${randomBytes(16).toString("hex")}`,
    DEMO_PORT: String(options.port ?? 0),
    DEMO_PORT_FALLBACK: options.fallbackToEphemeralPort ? "1" : "0",
  };
  // From a developer's shell, these would point the demo elsewhere.
  for (const name of ["HOST", "SHOPIFY_APP_URL", "APP_BRIDGE_URL"])
    delete env[name];

  const app = fork(path.join(root, "dev", "demo", "app-process.ts"), [], {
    cwd: root,
    env,
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const appOutput = options.appOutput;
  for (const stream of [app.stdout, app.stderr]) {
    if (stream)
      createInterface({ input: stream }).on("line", (line) =>
        appOutput?.(line),
      );
  }

  let appUrl: string;
  try {
    appUrl = await new Promise<string>((resolve, reject) => {
      app.on("message", (message: AppProcessMessage) => {
        if (message.type === "ready") resolve(message.url);
        else reject(new Error(`the app did not start: ${message.message}`));
      });
      app.once("exit", (code, signal) =>
        reject(
          new Error(`the app process exited (${signal ?? `code ${code}`})`),
        ),
      );
    });
  } catch (error) {
    if (app.exitCode === null && app.signalCode === null) app.kill("SIGKILL");
    await standin.close();
    throw error;
  }

  const status = async (): Promise<DemoStatus> => {
    const response = await fetch(new URL("/__demo/status", appUrl));
    if (!response.ok)
      throw new Error(`/__demo/status answered ${response.status}`);
    return (await response.json()) as DemoStatus;
  };

  let stopping: Promise<void> | null = null;
  return {
    appUrl,
    shop: DEMO_SHOP,
    credentials,
    standin,
    app,
    adminUrl: (pathname) => `${appUrl}${pathname}?${embeddedQuery(DEMO_SHOP)}`,
    status,
    async waitForDrain(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = await status();
        if (
          current.outbox === 0 &&
          !current.deliveries.some((d) => d.status === "pending")
        )
          return current;
        if (Date.now() > deadline) {
          throw new Error(
            `the outbox still holds ${current.outbox} event(s) after ${timeoutMs / 1000} s`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    stop() {
      stopping ??= (async () => {
        if (app.exitCode === null && app.signalCode === null) {
          app.kill("SIGTERM");
          if (!(await waitForExit(app, 15_000))) {
            app.kill("SIGKILL");
            await waitForExit(app, 5_000);
          }
        }
        await standin.close();
      })();
      return stopping;
    },
  };
}

/**
 * Plays the shopper journey through the app's real endpoints, waits until every owed event is
 * settled, and collects what TikTok received. Throws when an endpoint refuses a step.
 */
export async function playJourney(
  demo: RunningDemo,
  onStep?: (index: number, outcome: StepOutcome) => void,
  journey: Journey = buildJourney(),
): Promise<JourneyResult> {
  const outcomes: StepOutcome[] = [];
  for (const [i, step] of journey.steps.entries()) {
    const outcome = await playStep(
      demo.appUrl,
      demo.shop,
      demo.credentials,
      step,
    );
    outcomes.push(outcome);
    onStep?.(i, outcome);
    if (!stepSucceeded(outcome)) {
      throw new Error(
        `step ${i + 1} was refused: HTTP ${outcome.httpStatus} ${outcome.text.slice(0, 300)}`,
      );
    }
  }
  const status = await demo.waitForDrain();
  const received = demo.standin.accepted.filter(
    (e) => e.pixelCode === DEMO_PIXEL_CODE,
  );
  const purchaseId = `${journey.clickOrder.id}_Purchase`;
  const purchase = received.find(
    (e) => e.event === "Purchase" && e.event_id === purchaseId,
  );
  return { journey, outcomes, status, received, purchase };
}
