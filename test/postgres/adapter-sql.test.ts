// Raw transactions on the pg adapter (test/support/adapter-sql.ts), in a fresh database
// of its own on the TEST_POSTGRES_URL server (see postgres.test.ts).
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll, describe, it } from "vitest";
import { defineAdapterTransactionTests } from "../support/adapter-sql";
import {
  createPostgresDatabase,
  TEST_POSTGRES_URL,
  type PostgresDatabase,
} from "../support/postgres";

if (!TEST_POSTGRES_URL) {
  describe("raw transactions on the pg adapter", () => {
    // postgres.test.ts is the one that fails CI when the server is missing.
    it.skip("skipped: TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh)", () => {});
  });
} else {
  const baseUrl = TEST_POSTGRES_URL;
  let database: PostgresDatabase | undefined;
  let prisma: PrismaClient;

  describe("raw transactions on the pg adapter", () => {
    beforeAll(async () => {
      database = await createPostgresDatabase(baseUrl, "tiktok_pg_rawtx");
      process.env.DATABASE_URL = database.url;
      globalThis.prismaGlobal = undefined;
      prisma = (await import("~/db.server")).default;
    });

    afterAll(async () => {
      await prisma?.$disconnect();
      await database?.drop().catch(() => {});
    });

    defineAdapterTransactionTests(() => prisma);
  });
}
