// The day summary's exactness (test/support/day-summary-exactness.ts) on PostgreSQL, in a
// fresh database of its own on the TEST_POSTGRES_URL server (see postgres.test.ts).
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll, describe, it } from "vitest";
import { defineDaySummaryExactness } from "../support/day-summary-exactness";
import {
  createPostgresDatabase,
  TEST_POSTGRES_URL,
  type PostgresDatabase,
} from "../support/postgres";

if (!TEST_POSTGRES_URL) {
  describe("PostgreSQL day summary", () => {
    // postgres.test.ts is the one that fails CI when the server is missing.
    it.skip("skipped: TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh)", () => {});
  });
} else {
  const baseUrl = TEST_POSTGRES_URL;
  let database: PostgresDatabase | undefined;
  let prisma: PrismaClient;

  describe("PostgreSQL day summary", () => {
    beforeAll(async () => {
      database = await createPostgresDatabase(baseUrl, "tiktok_pg_sum");
      process.env.DATABASE_URL = database.url;
      globalThis.prismaGlobal = undefined;
      prisma = (await import("~/db.server")).default;
    });

    afterAll(async () => {
      await prisma?.$disconnect();
      await database?.drop().catch(() => {});
    });

    defineDaySummaryExactness(() => prisma);
  });
}
