// The image's start sequence, outside Docker: the Dockerfile's ENTRYPOINT (app/cli/start.ts under
// node and tsx) run here with `migrate`, `web` and `worker`, on the production build, against a
// fresh SQLite file and, when TEST_POSTGRES_URL is set (CI), a fresh PostgreSQL database.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { createClient } from "@libsql/client";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ensureProductionBuild,
  freePort,
  productionEnv,
} from "../support/server-process";
import { runImageCommand, type StartedProcess } from "./image";

const BASE_URL = process.env.TEST_POSTGRES_URL?.trim() || undefined;
const IN_CI =
  Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI ?? "");
// Nothing is delivered in these tests; a closed port stands in for TikTok.
const NO_TIKTOK = "http://127.0.0.1:9";

const running: StartedProcess[] = [];
let dir: string;

beforeAll(async () => {
  await ensureProductionBuild();
  dir = mkdtempSync(path.join(tmpdir(), "start-test-"));
}, 300_000);
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop("SIGKILL");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function migrationNames(schemaDir: string): string[] {
  return readdirSync(path.join(schemaDir, "migrations"), {
    withFileTypes: true,
  })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** The image's command with the production environment of `databaseUrl` (NODE_ENV=production as in the image). */
function start(
  command: string,
  databaseUrl: string,
  extra: Record<string, string> = {},
  port?: number,
) {
  const env = {
    NODE_ENV: "production",
    ...productionEnv(NO_TIKTOK, { DATABASE_URL: databaseUrl }),
    ...(port ? { PORT: String(port), HOST: "127.0.0.1" } : {}),
    ...extra,
  };
  const child = runImageCommand([command], env);
  running.push(child);
  return child;
}

async function expectServing(port: number, web: StartedProcess): Promise<void> {
  await web.waitFor(/web server listening/);
  const res = await fetch(`http://127.0.0.1:${port}/auth/login`);
  expect(res.status, web.output()).toBeLessThan(500);
}

async function expectStopsCleanly(p: StartedProcess): Promise<void> {
  const signalledAt = Date.now();
  expect(await p.stop("SIGTERM"), p.output()).toBe(0);
  // Nothing is in flight here, so it stops at once: well inside a container platform's grace
  // period (10 s by default for `docker stop`), even after a page was rendered (entry.server.tsx).
  expect(Date.now() - signalledAt).toBeLessThan(5_000);
}

async function sqliteMigrations(
  url: string,
): Promise<{ name: string; finished: boolean }[]> {
  const client = createClient({ url });
  try {
    const { rows } = await client.execute(
      "SELECT migration_name, finished_at FROM _prisma_migrations WHERE rolled_back_at IS NULL ORDER BY migration_name",
    );
    return rows.map((r) => ({
      name: String(r.migration_name),
      finished: r.finished_at !== null,
    }));
  } finally {
    client.close();
  }
}

describe("start script on SQLite", () => {
  const expected = () =>
    migrationNames("prisma").map((name) => ({ name, finished: true }));

  it("migrate applies the committed migrations to a fresh file and exits 0; a second run changes nothing", async () => {
    const url = `file:${path.join(dir, "migrate.sqlite")}`;
    const first = start("migrate", url);
    expect(await first.exited, first.output()).toBe(0);
    expect(await sqliteMigrations(url)).toEqual(expected());
    const again = start("migrate", url);
    expect(await again.exited, again.output()).toBe(0);
    expect(await sqliteMigrations(url)).toEqual(expected());
  });

  it("web migrates a fresh file, serves on PORT/HOST, and exits 0 on SIGTERM (embedded worker)", async () => {
    const url = `file:${path.join(dir, "web.sqlite")}`;
    const port = await freePort();
    const web = start("web", url, {}, port);
    await expectServing(port, web);
    expect(await sqliteMigrations(url)).toEqual(expected());
    await expectStopsCleanly(web);
    // The embedded worker's drain ran in the signalled process itself.
    expect(web.output()).toMatch(/SIGTERM: finishing in-flight deliveries/);
  });

  it("web with DELIVERY_WORKER=off (compose's web) also exits 0 on SIGTERM", async () => {
    const url = `file:${path.join(dir, "web-off.sqlite")}`;
    const port = await freePort();
    const web = start("web", url, { DELIVERY_WORKER: "off" }, port);
    await expectServing(port, web);
    await expectStopsCleanly(web);
  });

  it("worker starts and exits 0 on SIGTERM", async () => {
    const url = `file:${path.join(dir, "worker.sqlite")}`;
    const migrate = start("migrate", url);
    expect(await migrate.exited, migrate.output()).toBe(0);
    const worker = start("worker", url);
    await worker.waitFor(/delivery worker \S+ started/);
    await expectStopsCleanly(worker);
    expect(worker.output()).toMatch(/SIGTERM: finishing in-flight deliveries/);
  });

  it("web and worker refuse to start in production without ENCRYPTION_KEY, before touching the database", async () => {
    for (const command of ["web", "worker"]) {
      const url = `file:${path.join(dir, `refused-${command}.sqlite`)}`;
      // Empty, not unset: a .env in the working directory must not supply one either.
      const refused = start(
        command,
        url,
        { ENCRYPTION_KEY: "" },
        await freePort(),
      );
      expect(await refused.exited, refused.output()).toBe(1);
      expect(refused.output()).toMatch(/ENCRYPTION_KEY is not set/);
      expect(readdirSync(dir)).not.toContain(`refused-${command}.sqlite`);
    }
  });

  it("an unknown command is refused with the usage", async () => {
    const p = start("serve", `file:${path.join(dir, "unused.sqlite")}`);
    expect(await p.exited).toBe(2);
    expect(p.output()).toMatch(
      /usage: .*app\/cli\/start\.ts migrate\|web\|worker/,
    );
  });
});

if (!BASE_URL) {
  describe("start script on PostgreSQL", () => {
    if (IN_CI) {
      it("fails in CI: TEST_POSTGRES_URL is not set", () => {
        throw new Error(
          "TEST_POSTGRES_URL is not set. CI must run the PostgreSQL tests (.ci/postgres.sh).",
        );
      });
    } else {
      it.skip("skipped outside CI: TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh)", () => {});
    }
  });
} else {
  const baseUrl = BASE_URL;
  const dbName = `tiktok_start_${randomBytes(6).toString("hex")}`;
  const url = (() => {
    const u = new URL(baseUrl);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();

  async function query<T extends pg.QueryResultRow>(
    sql: string,
    connectionString = url,
  ): Promise<T[]> {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  describe("start script on PostgreSQL (TEST_POSTGRES_URL)", () => {
    beforeAll(async () => {
      await query(`CREATE DATABASE "${dbName}"`, baseUrl);
    });
    afterAll(async () => {
      await query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`, baseUrl);
    });

    it("migrate applies the PostgreSQL migrations to a fresh database; web and worker start on it and stop on SIGTERM", async () => {
      const migrate = start("migrate", url);
      expect(await migrate.exited, migrate.output()).toBe(0);
      const applied = await query<{
        migration_name: string;
        finished_at: Date | null;
      }>(
        'SELECT migration_name, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL ORDER BY migration_name',
      );
      expect(applied.map((r) => r.migration_name)).toEqual(
        migrationNames(path.join("prisma", "postgresql")),
      );
      expect(applied.every((r) => r.finished_at !== null)).toBe(true);
      const tables = await query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      expect(tables.map((t) => t.table_name)).toContain("Delivery");

      const port = await freePort();
      const web = start("web", url, { DELIVERY_WORKER: "off" }, port);
      await expectServing(port, web);
      const worker = start("worker", url);
      await worker.waitFor(/delivery worker \S+ started/);
      await expectStopsCleanly(worker);
      await expectStopsCleanly(web);
    }, 120_000);
  });
}
