import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createClient } from "@libsql/client";

/** The committed migrations of a dialect's folder, oldest first: [name, SQL]. */
export function migrationFiles(
  dir = path.resolve("prisma", "migrations"),
): [string, string][] {
  return readdirSync(dir)
    .filter((n) => !n.includes("."))
    .sort()
    .map((name) => [
      name,
      readFileSync(path.join(dir, name, "migration.sql"), "utf8"),
    ]);
}

/**
 * Applies the committed migrations to a database, as `prisma migrate deploy` would; with
 * `before` / `from`, only those named before (or from) a migration, to test one on old data.
 */
export async function applyMigrations(
  databaseUrl: string,
  { before, from }: { before?: string; from?: string } = {},
): Promise<void> {
  const client = createClient({ url: databaseUrl });
  for (const [name, sql] of migrationFiles()) {
    if (before !== undefined && name >= before) continue;
    if (from !== undefined && name < from) continue;
    await client.executeMultiple(sql);
  }
  client.close();
}
