import { existsSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { databaseUrl } from "./app/db-url";
import { isPostgresUrl } from "./app/db/dialect";
import { postgresCliAdapter } from "./app/db/postgres-cli-adapter";

// The TypeScript query engine plus a driver adapter: no native engine download.
// SQLite (libSQL) by default. A postgres:// or postgresql:// DATABASE_URL selects the
// PostgreSQL schema, its migrations and the pg adapter (prisma/postgresql/README.md).

// With a config file the CLI skips .env; read it here so the CLI and the app
// (app/config.server.ts) see the same DATABASE_URL. Real environment variables win.
if (existsSync(".env")) process.loadEnvFile(".env");

const schemaDir = isPostgresUrl(databaseUrl(process.env.DATABASE_URL))
  ? path.join("prisma", "postgresql")
  : "prisma";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(schemaDir, "schema.prisma"),
  migrations: { path: path.join(schemaDir, "migrations") },
  async adapter() {
    const url = databaseUrl(process.env.DATABASE_URL);
    return isPostgresUrl(url)
      ? postgresCliAdapter(url)
      : new PrismaLibSQL({ url });
  },
});
