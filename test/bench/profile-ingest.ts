// Where an ingest route's CPU goes: starts the production server under `node --cpu-prof`, sends
// one route's bench load, and sums the profile's samples by the layer that owns them (the first
// frame from the leaf up that belongs to a package or to the app). How the README's
// "Where the time goes" was measured:
//
//   npx tsx test/bench/profile-ingest.ts sqlite|postgres webhook|proxy|relay [requests]
//
// PostgreSQL needs TEST_POSTGRES_URL. The .cpuprofile is kept (path printed) for a closer look
// in Chrome DevTools or speedscope.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runLoad, fmt } from "./load";
import { ensureProductionBuild } from "../support/server-process";
import {
  postgresDatabase,
  proxyRequest,
  relayRequest,
  sqliteDatabase,
  startBenchServer,
  webhookRequest,
} from "./ingest";

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const MIDDLEWARE = new Set([
  "express",
  "morgan",
  "compression",
  "on-finished",
  "on-headers",
  "serve-static",
  "send",
  "finalhandler",
  "qs",
  "debug",
  "@remix-run/serve",
  "ee-first",
  "forwarded",
  "proxy-addr",
  "parseurl",
]);

function packageOf(url: string): string | null {
  const dependency = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (dependency) return dependency[1];
  // The web server (app/cli/web.ts) runs from source, beside the build it serves.
  if (/\/app\/(web-server|cli)\//.test(url)) return "web-server";
  return url.includes("build/server") ? "app" : null;
}

function appLayer(fn: string): string {
  if (/parseShopifyJson|parseOrder|parseCollectBody|fromWebhookOrder/.test(fn))
    return "body parsing and checking (JSON.parse, zod)";
  if (/verifyWebhookRequest|verifyAppProxyRequest|validSignature|hmac/.test(fn))
    return "signature check (incl. reading the body)";
  if (/jsonRowsSql|upsertAttributionSessionsSql|enqueue|deliveryRow/.test(fn))
    return "ingest writer (app side)";
  return "app: other route logic (mapping, hashing, settings, limits, metrics)";
}

function layer(stack: ProfileNode[]): string {
  const leaf = stack[0].callFrame.functionName;
  if (leaf === "(garbage collector)") return "garbage collection";
  if (leaf === "(idle)") return "(idle)";
  if (leaf === "(program)") return "V8 (program)";
  if (stack.some((n) => n.callFrame.url.startsWith("node:internal/modules")))
    return "(start-up: module loading)";
  for (const node of stack) {
    const pkg = packageOf(node.callFrame.url);
    if (!pkg) continue;
    if (pkg === "app") return appLayer(node.callFrame.functionName);
    if (pkg === "zod") return "body parsing and checking (JSON.parse, zod)";
    if (pkg.startsWith("@prisma/") || pkg.startsWith(".prisma"))
      return "Prisma (query engine, transactions)";
    if (
      ["libsql", "@libsql/client", "pg", "pg-protocol", "pg-pool"].includes(pkg)
    )
      return "database driver (libSQL / pg)";
    if (pkg === "@remix-run/router" || pkg === "@remix-run/server-runtime")
      return "Remix routing and handler";
    if (pkg.startsWith("@remix-run/") || pkg === "web-streams-polyfill")
      return "Remix request/response conversion (web-fetch polyfill)";
    if (MIDDLEWARE.has(pkg))
      return "remix-serve middleware (express, morgan, compression)";
    if (pkg === "web-server")
      return "our web server (app/web-server: request/response, static files)";
    if (pkg.startsWith("@shopify/")) return "Shopify library";
    return `other: ${pkg}`;
  }
  if (stack.some((n) => /_http_|node:net/.test(n.callFrame.url)))
    return "Node HTTP and sockets";
  return "Node internals (promises, timers, streams)";
}

export function summarise(profile: CpuProfile): string[] {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes)
    for (const child of n.children ?? []) parent.set(child, n.id);
  const totals = new Map<string, number>();
  profile.samples.forEach((sample, i) => {
    const stack: ProfileNode[] = [];
    for (
      let id: number | undefined = sample;
      id !== undefined;
      id = parent.get(id)
    )
      stack.push(nodes.get(id)!);
    const key = layer(stack);
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const excluded = ["(idle)", "(start-up: module loading)"];
  const busy = [...totals]
    .filter(([k]) => !excluded.includes(k))
    .reduce((sum, [, v]) => sum + v, 0);
  return [
    `CPU while serving: ${fmt(busy / 1000)} ms (idle and start-up left out)`,
    ...[...totals]
      .filter(([k]) => !excluded.includes(k))
      .sort((a, b) => b[1] - a[1])
      .filter(([, v]) => v / busy >= 0.005)
      .map(([k, v]) => `${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`),
  ];
}

async function main() {
  const [kind = "sqlite", route = "webhook", count = "5000"] =
    process.argv.slice(2);
  await ensureProductionBuild();
  const dir = mkdtempSync(path.join(tmpdir(), "tiktok-cpu-prof-"));
  process.env.BENCH_CPU_PROF = dir;
  const serverUrl = process.env.TEST_POSTGRES_URL?.trim();
  if (kind === "postgres" && !serverUrl)
    throw new Error("profiling on PostgreSQL needs TEST_POSTGRES_URL");
  const db =
    kind === "postgres"
      ? await postgresDatabase(serverUrl!)
      : await sqliteDatabase();
  const server = await startBenchServer(db);
  try {
    const make =
      route === "proxy"
        ? proxyRequest
        : route === "relay"
          ? relayRequest
          : () => webhookRequest();
    await runLoad(server.url, 300, make, 32);
    const load = await runLoad(server.url, Number(count), make, 32);
    console.log(
      `${kind} ${route}: ${fmt(load.rps)} req/s under the profiler, statuses ${JSON.stringify(load.statuses)}`,
    );
  } finally {
    await server.kill("SIGTERM");
    await db.drop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const profile = JSON.parse(
    readFileSync(path.join(dir, file), "utf8"),
  ) as CpuProfile;
  console.log(`profile: ${path.join(dir, file)}`);
  for (const line of summarise(profile)) console.log(`  ${line}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
