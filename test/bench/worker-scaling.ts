// Delivery throughput with 1, 2, 4 and 8 worker processes on PostgreSQL, against the TikTok
// stand-in answering every request after a fixed delay, with small claims (DELIVERY_BATCH_SIZE)
// so a backlog is many requests. With claims that never collide (FOR UPDATE SKIP LOCKED) the
// throughput should grow with the workers, bounded by the stand-in's delay, not by the claims.
//
// PostgreSQL: TEST_POSTGRES_URL or BENCH_POSTGRES_URL, else a throwaway cluster from
// .ci/postgres.sh (stopped afterwards); without either the bench is skipped. The measuring runs
// in a child process of its own: the app's configuration and Prisma client are per process and
// the benches run before this one have already pointed them at SQLite.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { NewDelivery } from "../../app/delivery/outbox/enqueue.server";
import { TEST_ENCRYPTION_KEY } from "../support/constants";
import { fmt } from "./load";

const NAME = "worker-scaling";
const SHOP = "bench-scaling.myshopify.com";
const PIXEL = "CBENCHSCALING000001";
const TOKEN = "bench-scaling-token";
const WORKERS = [1, 2, 4, 8];
const EVENTS = 2_000;
const BATCH_SIZE = 20;
const LATENCY_MS = 200;
const GOALS: Record<number, number> = { 2: 1.8, 4: 3.5, 8: 6 };
const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
);

interface BenchReport {
  name: string;
  lines: string[];
}

const skipped = (why: string): BenchReport => ({
  name: NAME,
  lines: [`skipped: ${why}`],
});

/** A PostgreSQL server to create the bench database on, and how to stop it when we started it. */
export async function postgresServer(): Promise<
  { url: string; stop: () => Promise<void> } | string
> {
  const given = (
    process.env.BENCH_POSTGRES_URL || process.env.TEST_POSTGRES_URL
  )?.trim();
  if (given) return { url: given, stop: async () => {} };
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(
      "bash",
      [path.join(ROOT, ".ci", "postgres.sh")],
      {
        cwd: ROOT,
        timeout: 120_000,
      },
    ));
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
    const last = stderr.split("\n").at(-1) || (error as Error).message;
    return `no TEST_POSTGRES_URL/BENCH_POSTGRES_URL and .ci/postgres.sh could not start a server (${last})`;
  }
  const value = (key: string) =>
    new RegExp(`^${key}=(\\S+)$`, "m").exec(stdout)?.[1];
  const url = value("TEST_POSTGRES_URL");
  const dir = value("TEST_POSTGRES_DIR");
  if (!url || !dir)
    return ".ci/postgres.sh printed no TEST_POSTGRES_URL/TEST_POSTGRES_DIR";
  return {
    url,
    stop: async () => {
      await promisify(execFile)(
        "bash",
        [path.join(ROOT, ".ci", "postgres.sh"), "stop", dir],
        { cwd: ROOT },
      );
    },
  };
}

export async function run(): Promise<BenchReport> {
  const { postgresClientDir } =
    await import("../../app/db/postgres-client.server");
  if (!existsSync(path.join(postgresClientDir(), "index.js")))
    return skipped(
      "the PostgreSQL Prisma client is not generated (npx prisma generate --schema prisma/postgresql/schema.prisma)",
    );
  const server = await postgresServer();
  if (typeof server === "string") return skipped(server);
  try {
    // A given URL that does not answer skips the bench rather than failing `npm run bench`.
    const pg = (await import("pg")).default;
    const probe = new pg.Client({
      connectionString: server.url,
      connectionTimeoutMillis: 10_000,
    });
    try {
      await probe.connect();
      await probe.query("SELECT 1");
    } catch (error) {
      return skipped(
        `PostgreSQL at the given URL does not answer (${(error as Error).message})`,
      );
    } finally {
      await probe.end().catch(() => {});
    }
    const child = spawn(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url)],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          VITEST: "",
          BENCH_SCALING_SERVER_URL: server.url,
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let stdout = "";
    child.stdout!.on("data", (d) => (stdout += d));
    const code = await new Promise<number | null>((resolve) =>
      child.once("exit", resolve),
    );
    const last = stdout.trim().split("\n").at(-1) ?? "";
    if (code !== 0 || !last.startsWith("{"))
      throw new Error(`${NAME} measurement exited with ${code}:\n${stdout}`);
    return JSON.parse(last) as BenchReport;
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------
// The measuring process

interface Worker {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startWorker(env: Record<string, string>): Worker {
  let output = "";
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "app/cli/start.ts", "worker"],
    {
      cwd: ROOT,
      env: { ...process.env, VITEST: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return { child, output: () => output, exited };
}

async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  ms: number,
  every = 20,
) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms)
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

async function measure(serverUrl: string): Promise<BenchReport> {
  const pg = (await import("pg")).default;
  const dbName = `tiktok_bench_${randomBytes(6).toString("hex")}`;
  const url = (() => {
    const u = new URL(serverUrl);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${dbName}"`);
  // As in test/postgres: the Prisma CLI picks the PostgreSQL schema and migrations from the URL.
  await promisify(execFile)(
    process.execPath,
    [
      path.join(ROOT, "node_modules/prisma/build/index.js"),
      "migrate",
      "deploy",
    ],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: url },
    },
  );
  Object.assign(process.env, {
    DATABASE_URL: url,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    DELIVERY_WORKER: "off",
  });
  globalThis.prismaGlobal = undefined;

  const { startTikTokStandin } =
    await import("../../dev/tiktok-standin.server");
  const { default: prisma } = await import("../../app/db.server");
  const { IngestWriter } =
    await import("../../app/delivery/ingest-writer.server");
  const { buildEvent } = await import("../../app/tiktok/event-builder");
  const { hashUserIdentifiers } = await import("../../app/tiktok/hashing");
  const { configureShop } = await import("../support/shops");

  const tiktok = await startTikTokStandin({
    accessTokens: { [TOKEN]: [PIXEL] },
    latencyMs: LATENCY_MS,
  });
  const workers: Worker[] = [];
  const lines: string[] = [];
  try {
    await configureShop(SHOP, {
      pixelCode: PIXEL,
      accessToken: TOKEN,
      consentPolicy: "send",
    });
    const writer = new IngestWriter(prisma);
    const workerEnv = {
      DATABASE_URL: url,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      TIKTOK_API_BASE_URL: tiktok.url,
      DELIVERY_IDLE_MS: "20",
      DELIVERY_BATCH_SIZE: String(BATCH_SIZE),
    };

    const results: {
      n: number;
      rate: number;
      seconds: number;
      requests: number;
      load: number;
    }[] = [];
    for (const n of WORKERS) {
      tiktok.reset();
      // Workers up and connected (each has run its first, empty claim) before the work arrives, so
      // process start-up is not timed. Each connects under an application_name of its own.
      for (let i = 0; i < n; i++) {
        const workerUrl = new URL(url);
        workerUrl.searchParams.set("application_name", `scaling-worker-${i}`);
        workers.push(
          startWorker({ ...workerEnv, DATABASE_URL: workerUrl.toString() }),
        );
      }
      await waitFor(
        async () => {
          if (workers.some((w) => w.child.exitCode !== null))
            throw new Error(
              `a worker exited early:\n${workers.map((w) => w.output()).join("\n")}`,
            );
          const [{ connected }] = await prisma.$queryRaw<
            { connected: number }[]
          >`
            SELECT count(DISTINCT application_name)::int AS connected FROM pg_stat_activity
            WHERE datname = current_database() AND application_name LIKE 'scaling-worker-%'`;
          return connected === n;
        },
        `${n} worker(s) to connect`,
        120_000,
        100,
      );
      // Let the start-up work of the last ones to connect (on shared cores) settle.
      await new Promise((r) => setTimeout(r, 1_000));

      const now = Math.floor(Date.now() / 1000);
      const deliveries = Array.from({ length: EVENTS }, (_, k): NewDelivery => {
        const id = `${n}-${k + 1}`;
        return {
          shop: SHOP,
          source: "order",
          pixelCode: PIXEL,
          orderName: `#${id}`,
          event: buildEvent({
            eventName: "Purchase",
            eventId: `${id}_Purchase`,
            eventTime: now,
            user: {
              ...hashUserIdentifiers({
                emails: [`buyer${id}@example.com`],
                externalIds: [id],
              }),
              ip: "203.0.113.7",
              userAgent: "Mozilla/5.0 (bench)",
            },
            properties: { currency: "USD", value: 42.5, orderId: id },
          }),
        };
      });
      // One submit, one transaction: the whole backlog becomes visible to the workers at once.
      await writer.submit({ deliveries });
      // Other processes on the machine compete for the cores too: their load is printed.
      const load = os.loadavg()[0];
      const started = performance.now();
      await waitFor(
        async () =>
          (await prisma.outboxEntry.count()) === 0 &&
          (await prisma.delivery.count({
            where: { status: "delivered", eventId: { startsWith: `${n}-` } },
          })) === EVENTS,
        `${EVENTS} deliveries with ${n} worker(s)`,
        120_000,
      );
      const seconds = (performance.now() - started) / 1000;

      const codes = await Promise.all(
        workers.map((w) => {
          w.child.kill("SIGTERM");
          return w.exited;
        }),
      );
      const outputs = workers.splice(0).map((w) => w.output());
      if (codes.some((c) => c !== 0))
        throw new Error(
          `a worker did not exit 0 on SIGTERM (${codes.join(", ")}):\n${outputs.join("\n")}`,
        );
      const notDelivered = await prisma.delivery.count({
        where: {
          eventId: { startsWith: `${n}-` },
          NOT: { status: "delivered" },
        },
      });
      if (
        tiktok.duplicatesIgnored !== 0 ||
        tiktok.accepted.length !== EVENTS ||
        notDelivered !== 0
      )
        throw new Error(
          `${n} worker(s): ${tiktok.accepted.length} accepted, ${tiktok.duplicatesIgnored} duplicates, ${notDelivered} not delivered (expected ${EVENTS}, 0, 0)`,
        );
      results.push({
        n,
        rate: EVENTS / seconds,
        seconds,
        requests: tiktok.requests.length,
        load,
      });
    }

    const base = results[0].rate;
    lines.push(
      `${os.cpus().length} CPUs for the stand-in, PostgreSQL, the bench and up to 8 worker processes; ` +
        `${EVENTS} events per run, claims of ${BATCH_SIZE}, stand-in answers after ${LATENCY_MS} ms`,
    );
    for (const r of results) {
      const ideal = (r.n * BATCH_SIZE * 1000) / LATENCY_MS;
      const ratio = r.rate / base;
      const goal = GOALS[r.n];
      lines.push(
        `${r.n} worker(s): ${fmt(r.rate)} events/s (${fmt(r.seconds, 2)} s, ${r.requests} requests; ` +
          `latency-bound ideal ${fmt(ideal)} events/s; ${fmt((r.seconds * 1000 * r.n) / r.requests)} ms per claim ` +
          `and request, load average ${r.load.toFixed(1)} at start), ${ratio.toFixed(2)}x of 1 worker` +
          (goal
            ? `  [goal >= ${goal}x: ${ratio >= goal ? "met" : "NOT met"}]`
            : ""),
      );
    }
    lines.push(
      `no event sent twice (stand-in duplicates: 0), none lost: every run ${EVENTS}/${EVENTS} delivered`,
    );
  } finally {
    for (const w of workers) w.child.kill("SIGKILL");
    await tiktok.close();
    await prisma.$disconnect();
    await admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(
      () => {},
    );
  }
  return { name: NAME, lines };
}

if (
  process.argv[1] === fileURLToPath(import.meta.url) &&
  process.env.BENCH_SCALING_SERVER_URL
) {
  measure(process.env.BENCH_SCALING_SERVER_URL).then(
    (report) => {
      console.log(JSON.stringify(report));
      process.exit(0);
    },
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
