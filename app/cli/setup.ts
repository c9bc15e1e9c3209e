// `npm run setup`: makes a fresh clone runnable. Writes an ENCRYPTION_KEY into .env when
// none exists, generates the Prisma client and applies the committed migrations.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { envSchema } from "../config/env";
import { generateEncryptionKey } from "../credentials/encryption.server";

function ensureEncryptionKey(): void {
  // Checked like the app checks it, so a malformed key fails here rather than at first start.
  const given = envSchema.shape.ENCRYPTION_KEY.safeParse(
    process.env.ENCRYPTION_KEY,
  );
  if (!given.success)
    throw new Error(`ENCRYPTION_KEY ${given.error.issues[0].message}`);
  if (given.data) return;
  const current = existsSync(".env") ? readFileSync(".env", "utf8") : "";
  if (/^ENCRYPTION_KEY=\S+/m.test(current)) return;
  const line = `ENCRYPTION_KEY=${generateEncryptionKey()}\n`;
  const prefix = current && !current.endsWith("\n") ? "\n" : "";
  writeFileSync(".env", current + prefix + line, { mode: 0o600 });
  console.log(
    "setup: wrote a new random ENCRYPTION_KEY to .env (keep it: saved tokens need it)",
  );
}

function prisma(...args: string[]): void {
  execFileSync(
    process.execPath,
    ["node_modules/prisma/build/index.js", ...args],
    {
      stdio: "inherit",
    },
  );
}

ensureEncryptionKey();
if (existsSync(".env")) process.loadEnvFile(".env");
// Both clients: SQLite (@prisma/client) and PostgreSQL (node_modules/.prisma-postgres).
prisma("generate", "--schema", "prisma/schema.prisma");
prisma("generate", "--schema", "prisma/postgresql/schema.prisma");
prisma("migrate", "deploy"); // prisma.config.ts picks SQLite or PostgreSQL from DATABASE_URL
