// The single-pixel → pixels migration on SQLite, on a copy of the old schema with rows
// (test/support/pixel-migration.ts says what is checked).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient, type InArgs } from "@libsql/client";
import { afterAll, describe, it } from "vitest";
import { applyMigrations } from "../support/database";
import { checkPixelMigration } from "../support/pixel-migration";

const dir = mkdtempSync(path.join(os.tmpdir(), "pixel-migration-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pixels migration on SQLite", () => {
  it("moves the shop's pixel, token and switches into its first Pixel row; the log keeps its history", async () => {
    const url = `file:${path.join(dir, "old.sqlite")}`;
    const client = createClient({ url });
    // As the app runs it: foreign keys enforced (the cascade from ShopSettings to Pixel).
    await client.execute("PRAGMA foreign_keys = ON");
    try {
      await checkPixelMigration({
        run: async (sql, args = []) => {
          await client.execute({ sql, args: args as InArgs });
        },
        all: async <T>(sql: string, args: unknown[] = []) =>
          (await client.execute({ sql, args: args as InArgs })).rows.map(
            (row) => ({ ...row }),
          ) as T[],
        migrate: (part) => applyMigrations(url, part),
      });
    } finally {
      client.close();
    }
  });
});
