import { serverEnv } from "~/config.server";
import { readdirSync } from "node:fs";
import path from "node:path";
import type { PrismaClient } from "@prisma/client";
import { isPostgresUrl } from "~/db/dialect";
import { databaseUrl } from "~/db-url";

export type Readiness =
  | { ready: true }
  | {
      ready: false;
      reason:
        "database_unreachable" | "migrations_pending" | "migrations_unknown";
      /** Names of committed migrations the database has not finished (never the database URL). */
      pending?: string[];
    };

/**
 * The committed migration folders for the database in use, read from the working directory as
 * prisma.config.ts does (`npm start` and `npm run worker` run from the project root).
 */
export function committedMigrations(
  url = databaseUrl(serverEnv().DATABASE_URL),
  root = process.cwd(),
): string[] {
  const dir = isPostgresUrl(url)
    ? path.join(root, "prisma", "postgresql", "migrations")
    : path.join(root, "prisma", "migrations");
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/**
 * Ready when the database answers and every committed migration is recorded as finished (and
 * not rolled back) in Prisma's `_prisma_migrations` table, as `prisma migrate deploy` leaves it.
 * Errors are reduced to a reason: a driver message may carry the host or the file path.
 */
export async function checkReadiness(
  prisma: PrismaClient,
  committed: () => string[] = committedMigrations,
): Promise<Readiness> {
  try {
    await prisma.$queryRawUnsafe("SELECT 1");
  } catch {
    return { ready: false, reason: "database_unreachable" };
  }
  let applied: Set<string>;
  try {
    const rows = await prisma.$queryRawUnsafe<{ migration_name: string }[]>(
      `SELECT "migration_name" FROM "_prisma_migrations" WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`,
    );
    applied = new Set(rows.map((r) => r.migration_name));
  } catch {
    // Reachable but no migration table: nothing was ever deployed here.
    return { ready: false, reason: "migrations_pending" };
  }
  let expected: string[];
  try {
    expected = committed();
  } catch {
    return { ready: false, reason: "migrations_unknown" };
  }
  const pending = expected.filter((name) => !applied.has(name));
  return pending.length === 0
    ? { ready: true }
    : { ready: false, reason: "migrations_pending", pending };
}
