// Ingest benchmarks against the production build under its web server (worker off), on SQLite and
// on PostgreSQL: the app proxy endpoint and signed orders/create webhooks at concurrency 32,
// next to a bare-Node baseline on the same database that only checks the HMAC and inserts one
// row. The ratios to that baseline (same run, same concurrency) are what the goals are about;
// absolute figures move with the machine's load.
//
// PostgreSQL: TEST_POSTGRES_URL or BENCH_POSTGRES_URL, else a throwaway cluster from
// .ci/postgres.sh (as worker-scaling does), else that half is skipped. BENCH_INGEST_DB=sqlite or
// =postgres runs one half only. BENCH_CPU_PROF=<dir> starts the server under `node --cpu-prof`
// and leaves its profile in <dir> (how the README's "Where the time goes" was measured).
// BENCH_INGEST_COMPARE=<dir>[,<dir>] also serves other checkouts' builds in the same rounds.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@libsql/client";
import pg from "pg";
import "@shopify/shopify-api/adapters/web-api";
import {
  ApiVersion,
  LogSeverity,
  shopifyApi,
  WEBHOOK_HEADER_NAMES,
} from "@shopify/shopify-api";
import { signAppProxyUrl, webhookHeaders } from "../../dev/shopify-signing";
import { encryptSecret } from "../../app/credentials/encryption.server";
import { TEST_CREDS, TEST_ENCRYPTION_KEY, APP_URL } from "../support/constants";
import { applyMigrations } from "../support/database";
import { createPostgresDatabase } from "../support/postgres";
import {
  ensureProductionBuild,
  startServerProcess,
  type ServerCommand,
  type ServerProcess,
} from "../support/server-process";
import { orderBody, simpleOrder } from "../fixtures/orders";
import {
  combineLoads,
  describeLoad,
  fmt,
  runLoad,
  type PreparedRequest,
  type LoadResult,
} from "./load";
import { postgresServer } from "./worker-scaling";

const SHOP = "bench.myshopify.com";
const PIXEL = "CBENCHPIXEL00000001";
const CONCURRENCY = 32;

export function proxyRequest(i: number): PreparedRequest {
  const now = Math.floor(Date.now() / 1000);
  {
    const url = signAppProxyUrl(new URL("/proxy/collect", APP_URL), {
      shop: SHOP,
      apiSecret: TEST_CREDS.apiSecret,
    });
    const body = JSON.stringify({
      v: 1,
      session_id: `bench_session_${String(i % 2000).padStart(6, "0")}`,
      consent: "granted",
      ttclid: `E.C.P.bench${i % 500}`,
      ttp: "bench-ttp-cookie-value-000",
      page: {
        url: `https://${SHOP}/products/shirt`,
        referrer: "https://www.tiktok.com/",
      },
      events: [
        {
          event: "PageView",
          event_id: `pv-bench-${now}-${i}`,
          event_time: now,
        },
        {
          event: "ViewContent",
          event_id: `vc-bench-${now}-${i}`,
          event_time: now,
          properties: {
            currency: "EUR",
            value: 19.99,
            content_type: "product",
            contents: [
              { content_id: "4440000000001", price: 19.99, quantity: 1 },
            ],
          },
        },
      ],
    });
    return {
      path: url.pathname + url.search,
      headers: {
        "Content-Type": "application/json",
        "X-Forwarded-For": "203.0.113.9",
        "User-Agent": "Mozilla/5.0 (bench)",
      },
      body,
    };
  }
}

/** The checkout web pixel's relay: checkout_started and payment_info_submitted for 2,000 checkouts. */
export function relayRequest(i: number): PreparedRequest {
  const url = signAppProxyUrl(new URL("/proxy/checkout", APP_URL), {
    shop: SHOP,
    apiSecret: TEST_CREDS.apiSecret,
  });
  const token = `benchcheckout${String(i % 2000).padStart(6, "0")}`;
  return {
    path: url.pathname + url.search,
    headers: {
      "Content-Type": "text/plain;charset=UTF-8",
      "X-Forwarded-For": "203.0.113.9",
      "User-Agent": "Mozilla/5.0 (bench)",
    },
    body: JSON.stringify({
      v: 1,
      event: i % 2 ? "payment_info_submitted" : "checkout_started",
      id: `sh-bench-${i}`,
      ts: new Date().toISOString(),
      token,
      url: `https://${SHOP}/checkouts/cn/${token}`,
      consent: "granted",
      ttclid: `E.C.P.bench${i % 500}`,
      ttp: "bench-ttp-cookie-value-000",
      currency: "EUR",
      value: 19.99,
      items: [{ id: "4440000000001", q: 1, p: 19.99 }],
    }),
  };
}

export function webhookRequest(shop = SHOP): PreparedRequest {
  const body = orderBody(simpleOrder());
  return {
    path: "/webhooks/orders",
    headers: webhookHeaders({
      topic: "orders/create",
      shop,
      body,
      apiSecret: TEST_CREDS.apiSecret,
    }),
    body,
  };
}

/**
 * An order as a storefront sends it: its cart attributes name a storefront session of the
 * proxy's load and its checkout token is one the relay's load stored, so the webhook also reads
 * both before it writes (the bare `webhookRequest` order carries neither).
 */
export function webhookWithContextRequest(i: number): PreparedRequest {
  const n = String(i % 2000).padStart(6, "0");
  const body = orderBody(
    simpleOrder({
      cart_token: `benchcart${n}`,
      checkout_token: `benchcheckout${n}`,
      browser_ip: "203.0.113.9",
      note_attributes: [{ name: "_tt_sid", value: `bench_session_${n}` }],
    }),
  );
  return {
    path: "/webhooks/orders",
    headers: webhookHeaders({
      topic: "orders/create",
      shop: SHOP,
      body,
      apiSecret: TEST_CREDS.apiSecret,
    }),
    body,
  };
}

const GOAL_RATIO = 0.75;
const GOAL_P99_MS = 25;

type Insert = (id: string, shop: string, body: string) => Promise<void>;

export interface BenchDatabase {
  label: "SQLite" | "PostgreSQL";
  url: string;
  /** The baseline's own table and insert, on the same database. */
  baselineInsert(): Promise<{ insert: Insert; close: () => Promise<void> }>;
  drop(): Promise<void>;
}

/** The shop's one pixel (its settings row goes first: the pixel's foreign key). */
const pixelRow = () => {
  const key = Buffer.from(TEST_ENCRYPTION_KEY, "base64");
  return [SHOP, PIXEL, encryptSecret("bench-token", key, SHOP), "oken"];
};

export async function sqliteDatabase(): Promise<BenchDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), "tiktok-bench-"));
  const url = `file:${path.join(dir, "bench.sqlite")}`;
  await applyMigrations(url);
  const client = createClient({ url });
  await client.batch([
    {
      sql: `INSERT INTO ShopSettings (shop, updatedAt) VALUES (?, ?)`,
      args: [SHOP, Date.now()],
    },
    {
      sql: `INSERT INTO Pixel (id, shop, name, pixelCode, accessTokenCiphertext, accessTokenLast4, consentPolicy, updatedAt) VALUES ('bench-pixel', ?, 'Bench', ?, ?, ?, 'send', ?)`,
      args: [...pixelRow(), Date.now()],
    },
  ]);
  client.close();
  return {
    label: "SQLite",
    url,
    async baselineInsert() {
      const db = createClient({ url });
      // The app's durability (app/db.server.ts, app/db/sqlite-client.server.ts): WAL and
      // synchronous=NORMAL. With SQLite's defaults every insert would wait for a flush to disk,
      // and the baseline would measure the disk.
      await db.execute("PRAGMA journal_mode = WAL");
      await db.execute("PRAGMA synchronous = NORMAL");
      await db.execute(
        "CREATE TABLE IF NOT EXISTS baseline (id TEXT PRIMARY KEY, shop TEXT, body TEXT)",
      );
      return {
        insert: async (id, shop, body) => {
          await db.execute({
            sql: "INSERT INTO baseline (id, shop, body) VALUES (?, ?, ?)",
            args: [id, shop, body],
          });
        },
        close: async () => db.close(),
      };
    },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function postgresDatabase(
  serverUrl: string,
): Promise<BenchDatabase> {
  const database = await createPostgresDatabase(serverUrl, "bench_ingest");
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO "ShopSettings" ("shop", "updatedAt") VALUES ($1, now())`,
      [SHOP],
    );
    await client.query(
      `INSERT INTO "Pixel" ("id", "shop", "name", "pixelCode", "accessTokenCiphertext", "accessTokenLast4", "consentPolicy", "updatedAt") VALUES ('bench-pixel', $1, 'Bench', $2, $3, $4, 'send', now())`,
      pixelRow(),
    );
  } finally {
    await client.end();
  }
  return {
    label: "PostgreSQL",
    url: database.url,
    async baselineInsert() {
      // A pool of pg's default size, as the app's PrismaPg adapter uses.
      const pool = new pg.Pool({ connectionString: database.url });
      await pool.query(
        "CREATE TABLE IF NOT EXISTS baseline (id TEXT PRIMARY KEY, shop TEXT, body TEXT)",
      );
      return {
        insert: async (id, shop, body) => {
          await pool.query(
            "INSERT INTO baseline (id, shop, body) VALUES ($1, $2, $3)",
            [id, shop, body],
          );
        },
        close: () => pool.end(),
      };
    },
    drop: () => database.drop(),
  };
}

/** Whether a request's signature is good; given the request and its whole body. */
type SignatureCheck = (
  req: http.IncomingMessage,
  body: Buffer,
) => boolean | Promise<boolean>;

/** The baseline's check: the webhook body's HMAC with node:crypto. */
const nodeHmac: SignatureCheck = (req, body) => {
  const expected = createHmac("sha256", TEST_CREDS.apiSecret)
    .update(body)
    .digest();
  const given = Buffer.from(
    String(req.headers["x-shopify-hmac-sha256"] ?? ""),
    "base64",
  );
  return given.length === expected.length && timingSafeEqual(given, expected);
};

/**
 * Shopify's own validators (`@shopify/shopify-api`, which the app's routes use), each given the
 * least it accepts: the five headers the webhook check requires, the app proxy's query. Served
 * like the baseline, they are the most any route that checks signatures in the library can do.
 */
function libraryChecks(): {
  webhook: SignatureCheck;
  appProxy: SignatureCheck;
} {
  const api = shopifyApi({
    apiKey: TEST_CREDS.apiKey,
    apiSecretKey: TEST_CREDS.apiSecret,
    apiVersion: ApiVersion.October26,
    scopes: ["read_orders"],
    hostName: new URL(APP_URL).host,
    isEmbeddedApp: true,
    logger: { level: LogSeverity.Error },
  });
  const names = WEBHOOK_HEADER_NAMES.webhooks;
  const required = [
    names.hmac,
    names.topic,
    names.domain,
    names.apiVersion,
    names.webhookId,
  ].map((name) => name.toLowerCase());
  return {
    async webhook(req, body) {
      const headers = new Headers();
      for (const name of required) {
        const value = req.headers[name];
        if (typeof value === "string") headers.append(name, value);
      }
      const check = await api.webhooks.validate({
        rawBody: body.toString("utf8"),
        rawRequest: { method: "POST", url: `${APP_URL}${req.url}`, headers },
      });
      return check.valid;
    },
    appProxy: (req) =>
      api.utils
        .validateHmac(new URL(req.url ?? "/", APP_URL).searchParams, {
          signator: "appProxy",
        })
        .catch(() => false),
  };
}

/** Bare Node: a signature check plus one INSERT per request, nothing else. */
async function startBaseline(
  db: BenchDatabase,
  check: SignatureCheck = nodeHmac,
) {
  const { insert, close } = await db.baselineInsert();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      if (!(await check(req, body))) {
        res.writeHead(401).end();
        return;
      }
      await insert(
        String(req.headers["x-shopify-webhook-id"] ?? randomUUID()),
        String(req.headers["x-shopify-shop-domain"] ?? SHOP),
        body.toString("utf8"),
      );
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await close();
    },
  };
}

/**
 * The production server on `db`, as the bench runs it (flood guard lifted, worker off); with
 * `checkout`, the one of that other checkout of this repository (built there), to compare.
 */
export function startBenchServer(db: BenchDatabase, checkout?: string) {
  const profileDir = process.env.BENCH_CPU_PROF?.trim();
  const command: ServerCommand =
    checkout && !existsSync(path.join(checkout, "app/cli/web.ts"))
      ? "remix-serve"
      : "web";
  return startServerProcess(
    {
      DATABASE_URL: db.url,
      SHOPIFY_API_KEY: TEST_CREDS.apiKey,
      SHOPIFY_API_SECRET: TEST_CREDS.apiSecret,
      SHOPIFY_APP_URL: APP_URL,
      SCOPES: "read_orders",
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      DELIVERY_WORKER: "off",
      // The bench measures ingest throughput from one address, not the flood guard: lift it.
      PROXY_RATE_PER_CLIENT_PER_MIN: "1000000000",
      PROXY_RATE_PER_SHOP_PER_MIN: "1000000000",
      PROXY_EVENTS_PER_CLIENT_PER_MIN: "1000000000",
      PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR: "1000000000",
      ...(profileDir
        ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` }
        : {}),
    },
    undefined,
    command,
    checkout ? path.resolve(checkout) : undefined,
  );
}

const ratioLine = (label: string, perRound: number[], route: LoadResult) => {
  const ratio = median(perRound);
  const met = (ok: boolean) => (ok ? "met" : "NOT met");
  return (
    `${label}: ${ratio.toFixed(2)}x of baseline (median of rounds ${perRound.map((r) => r.toFixed(2)).join(", ")}) ` +
    `[goal >= ${GOAL_RATIO}x: ${met(ratio >= GOAL_RATIO)}], ` +
    `p99 ${fmt(route.p99, 1)} ms [goal <= ${GOAL_P99_MS} ms: ${met(route.p99 <= GOAL_P99_MS)}]`
  );
};

// The machine is shared and its load drifts over a run: the routes and the baseline are measured
// in alternating rounds, and each ratio is the median of the per-round ratios.
const ROUNDS = 3;
const PER_ROUND = 1500;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** CPU time (user + system) a process has used so far, in ms; null where /proc is missing. */
function processCpuMs(pid: number | undefined): number | null {
  const file = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(file)) return null;
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
  const fields = readFileSync(file, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Target {
  /** "" for this checkout; "<folder>: " for one of BENCH_INGEST_COMPARE's. */
  prefix: string;
  server: ServerProcess;
}

interface RouteRounds {
  proxy: LoadResult[];
  hooks: LoadResult[];
  relay: LoadResult[];
  /** The server's own CPU per request, per round. */
  cpu: { proxy: number[]; hooks: number[]; relay: number[] };
}

async function measure(db: BenchDatabase): Promise<string[]> {
  // BENCH_INGEST_COMPARE=<dir>[,<dir>…]: other checkouts of this repository, each built there
  // (for instance the commit before a change), served in the same rounds, so before and after
  // share the machine's load of the moment and one baseline. Their lines carry the folder's name.
  const compare = (process.env.BENCH_INGEST_COMPARE ?? "")
    .split(",")
    .map((dir) => dir.trim())
    .filter(Boolean);
  const targets: Target[] = [];
  const base = await startBaseline(db);
  const checks = libraryChecks();
  const ceilings = {
    webhook: await startBaseline(db, checks.webhook),
    appProxy: await startBaseline(db, checks.appProxy),
  };
  const lines: string[] = [];
  const tag = (label: string) => `${db.label}: ${label}`;
  const hook = () => webhookRequest();
  try {
    for (const dir of compare)
      targets.push({
        prefix: `${path.basename(path.resolve(dir))}: `,
        server: await startBenchServer(db, dir),
      });
    targets.push({ prefix: "", server: await startBenchServer(db) });
    for (const { server } of targets) {
      // Warm-up: JIT, connection pools, the settings cache.
      await runLoad(server.url, 500, proxyRequest, CONCURRENCY);
      await runLoad(server.url, 300, hook, CONCURRENCY);
      await runLoad(server.url, 300, relayRequest, CONCURRENCY);
    }
    await runLoad(base.url, 300, hook, CONCURRENCY);
    await runLoad(ceilings.webhook.url, 300, hook, CONCURRENCY);
    await runLoad(ceilings.appProxy.url, 300, proxyRequest, CONCURRENCY);
    const results = targets.map((): RouteRounds => ({
      proxy: [],
      hooks: [],
      relay: [],
      cpu: { proxy: [], hooks: [], relay: [] },
    }));
    const baseRounds: LoadResult[] = [];
    const ceilingRounds = {
      webhook: [] as LoadResult[],
      appProxy: [] as LoadResult[],
    };
    // The server's own CPU per request: unlike throughput, barely moved by the other work on
    // a shared machine, so it is the figure to compare between runs.
    const timed = async (
      target: Target,
      into: RouteRounds,
      key: "proxy" | "hooks" | "relay",
      request: (i: number) => PreparedRequest,
    ) => {
      const pid = target.server.child.pid;
      const before = processCpuMs(pid);
      const result = await runLoad(
        target.server.url,
        PER_ROUND,
        request,
        CONCURRENCY,
      );
      const after = processCpuMs(pid);
      if (before !== null && after !== null)
        into.cpu[key].push((after - before) / result.requests);
      into[key].push(result);
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [t, target] of targets.entries()) {
        await timed(target, results[t], "proxy", proxyRequest);
        await timed(target, results[t], "hooks", hook);
        await timed(target, results[t], "relay", relayRequest);
      }
      baseRounds.push(await runLoad(base.url, PER_ROUND, hook, CONCURRENCY));
      ceilingRounds.webhook.push(
        await runLoad(ceilings.webhook.url, PER_ROUND, hook, CONCURRENCY),
      );
      ceilingRounds.appProxy.push(
        await runLoad(
          ceilings.appProxy.url,
          PER_ROUND,
          proxyRequest,
          CONCURRENCY,
        ),
      );
    }
    const baseline = combineLoads(baseRounds);
    const ratios = (perRound: LoadResult[]) =>
      perRound.map((r, round) => r.rps / baseRounds[round].rps);
    for (const [t, { prefix, server }] of targets.entries()) {
      const mine = results[t];
      const label = (text: string) => tag(prefix + text);
      // Same route and checks, for a shop without settings: acknowledged, nothing written.
      // The distance to the webhook line is what storing the Purchase costs.
      const floor = await runLoad(
        server.url,
        2000,
        () => webhookRequest("not-configured.myshopify.com"),
        CONCURRENCY,
      );
      // Closed loop: at c=32 the median is ~32/throughput whatever the service time; c=8 shows
      // the latency a request sees when the server is not queueing 32 deep.
      const cpuBefore = processCpuMs(server.child.pid);
      const withContext = await runLoad(
        server.url,
        1500,
        webhookWithContextRequest,
        CONCURRENCY,
      );
      const cpuAfter = processCpuMs(server.child.pid);
      const proxyC8 = await runLoad(server.url, 1500, proxyRequest, 8);
      const hooksC8 = await runLoad(server.url, 1500, hook, 8);
      const proxy = combineLoads(mine.proxy);
      const hooks = combineLoads(mine.hooks);
      const relay = combineLoads(mine.relay);
      lines.push(
        describeLoad(label("app proxy /collect (c=32)"), proxy) +
          `  [goal >= 1,500 req/s, p99 <= 20 ms]`,
        describeLoad(label("orders/create webhook ingest (c=32)"), hooks) +
          `  [goal >= 800 req/s, p99 <= 25 ms]`,
        describeLoad(
          label("same webhook route, shop not configured (no write) (c=32)"),
          floor,
        ),
        describeLoad(
          label(
            "webhook ingest, orders with their storefront session and checkout (c=32)",
          ),
          withContext,
        ) +
          (cpuBefore !== null && cpuAfter !== null
            ? `; server CPU ${fmt((cpuAfter - cpuBefore) / withContext.requests, 2)} ms per request`
            : ""),
        describeLoad(label("app proxy /collect (c=8)"), proxyC8),
        describeLoad(label("orders/create webhook ingest (c=8)"), hooksC8),
        ratioLine(label("webhook ingest"), ratios(mine.hooks), hooks),
        ratioLine(label("app proxy"), ratios(mine.proxy), proxy),
        describeLoad(label("checkout relay /proxy/checkout (c=32)"), relay),
        ratioLine(label("checkout relay"), ratios(mine.relay), relay),
      );
      if (mine.cpu.hooks.length > 0)
        lines.push(
          label(
            `server CPU per request (median of rounds): webhook ${fmt(median(mine.cpu.hooks), 2)} ms, app proxy ${fmt(median(mine.cpu.proxy), 2)} ms, checkout relay ${fmt(median(mine.cpu.relay), 2)} ms`,
          ),
        );
    }
    lines.push(
      describeLoad(tag("bare-Node baseline: HMAC + 1 insert (c=32)"), baseline),
    );
    // The same bare server with Shopify's validator in place of node:crypto: what the rule
    // "signatures are checked by Shopify's library" leaves for a whole route at best.
    for (const [key, label, route] of [
      ["webhook", "webhook", "a webhook route"],
      ["appProxy", "app proxy", "an app proxy route"],
    ] as const) {
      const rounds = ceilingRounds[key];
      lines.push(
        describeLoad(
          tag(`bare Node + Shopify's ${label} validator + 1 insert (c=32)`),
          combineLoads(rounds),
        ),
        tag(
          `ceiling for ${route} that checks signatures in Shopify's library: ${fmt(median(ratios(rounds)), 2)}x of baseline (median of rounds ${ratios(
            rounds,
          )
            .map((r) => r.toFixed(2))
            .join(", ")})`,
        ),
      );
    }
  } finally {
    await base.close();
    await ceilings.webhook.close();
    await ceilings.appProxy.close();
    for (const { server } of targets) await server.kill("SIGTERM");
  }
  return lines;
}

export async function run() {
  await ensureProductionBuild();
  const only = process.env.BENCH_INGEST_DB?.trim().toLowerCase();
  const lines: string[] = [];
  if (only !== "postgres") {
    const db = await sqliteDatabase();
    try {
      lines.push(...(await measure(db)));
    } finally {
      await db.drop();
    }
  }
  if (only !== "sqlite") {
    const server = await postgresServer();
    if (typeof server === "string") {
      lines.push(`PostgreSQL: skipped: ${server}`);
    } else {
      try {
        const db = await postgresDatabase(server.url);
        try {
          lines.push(...(await measure(db)));
        } finally {
          await db.drop();
        }
      } finally {
        await server.stop();
      }
    }
  }
  return { name: "ingest", lines };
}
