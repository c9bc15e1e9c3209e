// `npm run demo`: the whole app on this machine with no Shopify account, TikTok token or network.
// Fresh demo database, production build, a TikTok Events API stand-in, the app with a demo shop
// and per-run credentials, then a shopper journey through the real endpoints signed like Shopify.
// Prints what TikTok received and where to open the admin screens; Ctrl-C stops everything.
// Flags: --once (or DEMO_EXIT=1) exits after the journey; --port=N (or DEMO_PORT) for the app.
// DEMO_DATABASE_FILE overrides prisma/demo.sqlite (wiped at every start).
import { existsSync } from "node:fs";
import path from "node:path";
import { playJourney, startDemo, type RunningDemo } from "./demo.server";
import type { StepOutcome } from "./journey.server";
import { DEMO_PIXEL_CODE, DEMO_SHOP, DEMO_TIKTOK_TOKEN } from "./journey";
import {
  matchKeysOf,
  notSentFromDeliveries,
  notSentTable,
  provenanceTable,
  receivedTable,
  type NotSentRow,
} from "./report";

const DEFAULT_PORT = 3900;

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line = "") => console.log(line);

function portOption(): number | undefined {
  const raw =
    process.argv
      .find((a) => a.startsWith("--port="))
      ?.slice("--port=".length) ?? process.env.DEMO_PORT;
  if (raw === undefined || raw === "") return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`Not a port: ${raw}`);
  return port;
}

let demo: RunningDemo | null = null;
let stopping: Promise<void> | null = null;

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    await demo?.stop();
    if (code === 0) say("Stopped.");
    process.exit(code);
  })();
  return stopping;
}

function describeOutcome(outcome: StepOutcome): string {
  if (outcome.step.kind !== "webhook") return `HTTP ${outcome.httpStatus}`;
  const a = outcome.answer;
  if (!a?.status)
    return `HTTP ${outcome.httpStatus} ${outcome.text.slice(0, 200)}`;
  return a.reason ? `${a.status}: ${a.reason}` : a.status;
}

async function main(): Promise<void> {
  if (
    !existsSync("package.json") ||
    !existsSync(path.join("app", "root.tsx"))
  ) {
    throw new Error("Run the demo from the project root (npm run demo).");
  }
  const once = process.argv.includes("--once") || process.env.DEMO_EXIT === "1";
  const port = portOption();

  say("TikTok Events for Shopify: local demo (no network beyond this machine)");
  demo = await startDemo({
    port: port ?? (once ? 0 : DEFAULT_PORT),
    fallbackToEphemeralPort: port === undefined,
    databaseFile: process.env.DEMO_DATABASE_FILE,
    log: (line) => say(`- ${line}`),
    appOutput: (line) => say(`  app | ${line}`),
  });
  // The app process must not die under us; if it does, say so and stop.
  demo.app.once("exit", (code, signal) => {
    if (stopping) return;
    say(`The app process stopped unexpectedly (${signal ?? `code ${code}`}).`);
    void shutdown(1);
  });
  say(
    `- Demo shop ${DEMO_SHOP}: pixel ${DEMO_PIXEL_CODE}, access token "${DEMO_TIKTOK_TOKEN}"`,
  );
  say(
    `- App (production build, demo mode): ${demo.appUrl}  [ready after ${elapsed()}]`,
  );

  say();
  say(
    "Shopper journey, sent to the app the way Shopify would (signed app proxy requests, signed webhooks):",
  );
  const result = await playJourney(demo, (i, outcome) =>
    say(
      `  ${String(i + 1).padStart(2)}. ${outcome.step.label}  ->  ${describeOutcome(outcome)}`,
    ),
  );

  say();
  say(
    `What TikTok received (${result.received.length} events in ${demo.standin.requests.length} requests to the stand-in):`,
  );
  for (const line of receivedTable(result.received)) say(line);

  const notSent: NotSentRow[] = notSentFromDeliveries(result.status.deliveries);
  for (const o of result.outcomes) {
    if (
      o.step.kind === "webhook" &&
      (o.answer?.status === "duplicate" || o.answer?.status === "ignored")
    ) {
      notSent.push({
        what: `${o.step.orderName} webhook`,
        status: o.answer.status,
        reason: o.answer.reason ?? "",
      });
    }
  }
  say();
  say("Purchases: the match keys each carried, and where each came from:");
  for (const line of provenanceTable(result.status.deliveries)) say(line);

  say();
  say("Not sent, on purpose:");
  for (const line of notSentTable(notSent)) say(line);

  say();
  const { clickOrder } = result.journey;
  if (!result.purchase) {
    throw new Error(
      `the Purchase for order ${clickOrder.name} did not reach the TikTok stand-in`,
    );
  }
  say(
    `Purchase delivered: order ${clickOrder.name} reached TikTok as event_id ${result.purchase.event_id} ` +
      `with ${matchKeysOf(result.purchase.user).join(", ")} (journey done after ${elapsed()})`,
  );

  say();
  say(
    "Admin screens (open in a browser on this machine; a local stand-in plays the Shopify admin):",
  );
  say(`  Home:          ${demo.adminUrl("/app")}`);
  say(`  Settings:      ${demo.adminUrl("/app/settings")}`);
  say(`  Delivery log:  ${demo.adminUrl("/app/deliveries")}`);

  if (once) {
    await shutdown(0);
    return;
  }
  say();
  say("Running. Press Ctrl-C to stop.");
}

function onSignal(signal: NodeJS.Signals): void {
  if (!stopping) say(`\n${signal}: stopping the app and the TikTok stand-in`);
  void shutdown(0);
}
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

main().catch((error: unknown) => {
  console.error(
    `\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  void shutdown(1);
});
