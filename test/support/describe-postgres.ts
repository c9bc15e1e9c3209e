// Test files that run a shared definition on PostgreSQL: kept apart from ./postgres.ts, which
// the benchmarks import outside vitest.
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll, describe, it } from "vitest";
import {
  createPostgresDatabase,
  IN_CI,
  TEST_POSTGRES_URL,
  type PostgresDatabase,
} from "./postgres";

/**
 * A describe block given the TEST_POSTGRES_URL server. Without one it fails in CI, which must
 * run every PostgreSQL test, and is a skipped placeholder elsewhere.
 */
export function describeWithPostgres(
  title: string,
  define: (serverUrl: string) => void,
): void {
  const serverUrl = TEST_POSTGRES_URL;
  describe(title, () => {
    if (serverUrl) define(serverUrl);
    else if (IN_CI)
      it("fails in CI: TEST_POSTGRES_URL is not set", () => {
        throw new Error(
          "TEST_POSTGRES_URL is not set. CI must run the PostgreSQL tests: start a server with .ci/postgres.sh.",
        );
      });
    else
      it.skip("skipped outside CI: TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh)", () => {});
  });
}

/**
 * A describe block on a fresh database of its own on the TEST_POSTGRES_URL server, with the
 * app's Prisma client pointed at it (see describeWithPostgres for a missing server).
 */
export function describeOnPostgres(
  title: string,
  prefix: string,
  define: (prisma: () => PrismaClient) => void,
): void {
  let database: PostgresDatabase | undefined;
  let prisma: PrismaClient | undefined;
  describeWithPostgres(title, (baseUrl) => {
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
