// The delivery transition table (test/support/outbox-transitions.ts) on PostgreSQL, in a
// fresh database of its own on the TEST_POSTGRES_URL server (see postgres.test.ts).
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll, describe, it } from "vitest";
import { defineTransitionTable } from "../support/outbox-transitions";

const BASE_URL = process.env.TEST_POSTGRES_URL?.trim() || undefined;

async function admin(sql: string, connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

if (!BASE_URL) {
  describe("PostgreSQL delivery transitions", () => {
    // postgres.test.ts is the one that fails CI when the server is missing.
    it.skip("skipped: TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh)", () => {});
  });
} else {
  const baseUrl = BASE_URL;
  const dbName = `tiktok_pg_tr_${randomBytes(6).toString("hex")}`;
  const url = (() => {
    const u = new URL(baseUrl);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  let prisma: PrismaClient;

  describe("PostgreSQL delivery transitions", () => {
    beforeAll(async () => {
      await admin(`CREATE DATABASE "${dbName}"`, baseUrl);
      await promisify(execFile)(
        process.execPath,
        [
          path.resolve("node_modules/prisma/build/index.js"),
          "migrate",
          "deploy",
        ],
        {
          env: { ...process.env, DATABASE_URL: url },
        },
      );
      process.env.DATABASE_URL = url;
      globalThis.prismaGlobal = undefined;
      prisma = (await import("~/db.server")).default;
    });

    afterAll(async () => {
      await prisma?.$disconnect();
      await admin(
        `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`,
        baseUrl,
      ).catch(() => {});
    });

    defineTransitionTable(() => prisma);
  });
}
