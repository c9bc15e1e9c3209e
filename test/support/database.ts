import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createClient } from "@libsql/client";

/** Applies the committed migrations to a fresh database, as `prisma migrate deploy` would. */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const client = createClient({ url: databaseUrl });
  const dir = path.resolve("prisma", "migrations");
  for (const name of readdirSync(dir)
    .filter((n) => !n.includes("."))
    .sort()) {
    await client.executeMultiple(
      readFileSync(path.join(dir, name, "migration.sql"), "utf8"),
    );
  }
  client.close();
}
