// A fresh PostgreSQL database for one test file, on the server TEST_POSTGRES_URL names
// (`.ci/postgres.sh` starts a throwaway one), migrated the documented way: `prisma migrate deploy`,
// which picks prisma/postgresql/ from the URL.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";

export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL?.trim() || undefined;
export const IN_CI =
  Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI ?? "");

export interface PostgresDatabase {
  name: string;
  url: string;
  /** Drops the database, closing any connection still open on it. */
  drop(): Promise<void>;
}

async function onServer(baseUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates `<prefix>_<random>` on the server of `baseUrl` and applies the committed migrations
 * (`migrate: false`: an empty database, for a test that applies them itself).
 */
export async function createPostgresDatabase(
  baseUrl: string,
  prefix: string,
  { migrate = true }: { migrate?: boolean } = {},
): Promise<PostgresDatabase> {
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await onServer(baseUrl, `CREATE DATABASE "${name}"`);
  const drop = () =>
    onServer(baseUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  if (!migrate) return { name, url, drop };
  try {
    await promisify(execFile)(
      process.execPath,
      [path.resolve("node_modules/prisma/build/index.js"), "migrate", "deploy"],
      { env: { ...process.env, DATABASE_URL: url } },
    );
  } catch (error) {
    await drop().catch(() => {});
    throw error;
  }
  return { name, url, drop };
}
