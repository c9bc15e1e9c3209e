// Test files that run a shared definition on PostgreSQL: kept apart from ./postgres.ts, which
// the benchmarks import outside vitest.
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  createPostgresDatabase,
  TEST_POSTGRES_URL,
  type PostgresDatabase,
} from "./postgres";

/**
 * A describe block on a fresh database of its own on the TEST_POSTGRES_URL server, with the
 * app's Prisma client pointed at it; a skipped placeholder when no server is named
 * (postgres.test.ts is the one that fails CI then).
 */
export function describeOnPostgres(
  title: string,
  prefix: string,
  define: (prisma: () => PrismaClient) => void,
): void {
  const baseUrl = TEST_POSTGRES_URL;
  if (!baseUrl) {
    describe(title, () => {
      it.skip("skipped: TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh)", () => {});
    });
    return;
  }
  let database: PostgresDatabase | undefined;
  let prisma: PrismaClient | undefined;
  describe(title, () => {
    beforeAll(async () => {
      database = await createPostgresDatabase(baseUrl, prefix);
      process.env.DATABASE_URL = database.url;
      globalThis.prismaGlobal = undefined;
      prisma = (await import("~/db.server")).default;
    });

    afterAll(async () => {
      await prisma?.$disconnect();
      await database?.drop().catch(() => {});
    });

    define(() => {
      if (!prisma) throw new Error("the PostgreSQL database is not set up");
      return prisma;
    });
  });
}
