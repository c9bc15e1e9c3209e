// Prisma has one provider per schema file, so PostgreSQL has its own copy of the schema and its
// own migrations (prisma/postgresql). The app is typed against the SQLite client and runs the
// PostgreSQL one unchanged, which is only sound while both describe the same models.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SQLITE_DIR = "prisma";
const POSTGRES_DIR = path.join("prisma", "postgresql");

/** The schema without its leading comments, generator and datasource blocks. */
function models(dir: string): string {
  const text = readFileSync(path.join(dir, "schema.prisma"), "utf8");
  return text
    .replace(/^(generator|datasource)\s+\w+\s*\{[\s\S]*?^\}\s*$/gm, "")
    .replace(/^(\s*\/\/.*\n|\s*\n)*/, "")
    .trim();
}

function migrationNames(dir: string): string[] {
  return readdirSync(path.join(dir, "migrations"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function lockProvider(dir: string): string | undefined {
  const lock = readFileSync(
    path.join(dir, "migrations", "migration_lock.toml"),
    "utf8",
  );
  return /^provider\s*=\s*"([^"]+)"/m.exec(lock)?.[1];
}

describe("SQLite and PostgreSQL schemas are kept in step", () => {
  it("declare the same models, field for field", () => {
    const sqlite = models(SQLITE_DIR);
    expect(sqlite).toMatch(/^(\/\/.*\n)*model Session \{/);
    expect(models(POSTGRES_DIR)).toBe(sqlite);
  });

  it("have a migration of the same name for each change, each locked to its provider", () => {
    expect(migrationNames(POSTGRES_DIR)).toEqual(migrationNames(SQLITE_DIR));
    expect(lockProvider(SQLITE_DIR)).toBe("sqlite");
    expect(lockProvider(POSTGRES_DIR)).toBe("postgresql");
  });

  it("no migration has a ';' in a comment: the pg adapter that applies them splits scripts on every ';'", () => {
    for (const dir of [SQLITE_DIR, POSTGRES_DIR])
      for (const name of migrationNames(dir)) {
        const sql = readFileSync(
          path.join(dir, "migrations", name, "migration.sql"),
          "utf8",
        );
        const comments = sql.match(/--[^\n]*/g) ?? [];
        expect(
          comments.filter((c) => c.includes(";")),
          `${dir}/${name}`,
        ).toEqual([]);
      }
  });

  it("the PostgreSQL client is generated beside, not over, the SQLite one", () => {
    const generator = /generator client \{[\s\S]*?\}/.exec(
      readFileSync(path.join(POSTGRES_DIR, "schema.prisma"), "utf8"),
    )?.[0];
    expect(generator).toMatch(
      /output\s*=\s*"\.\.\/\.\.\/node_modules\/\.prisma-postgres\/client"/,
    );
    expect(generator).toMatch(/engineType\s*=\s*"client"/);
  });
});
