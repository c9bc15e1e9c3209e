import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PrismaClient } from "@prisma/client";
import { afterAll, describe, expect, it } from "vitest";
import { checkReadiness, committedMigrations } from "./readiness.server";

const root = mkdtempSync(path.join(tmpdir(), "readiness-"));
mkdirSync(path.join(root, "prisma", "migrations", "2_second"), {
  recursive: true,
});
mkdirSync(path.join(root, "prisma", "migrations", "1_first"));
mkdirSync(path.join(root, "prisma", "postgresql", "migrations", "1_pg"), {
  recursive: true,
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Answers `SELECT 1` and the migrations query from the given functions. */
function fakeDb(
  ping: () => Promise<unknown>,
  applied: () => Promise<{ migration_name: string }[]>,
): PrismaClient {
  return {
    $queryRawUnsafe: (sql: string) =>
      sql.includes("_prisma_migrations") ? applied() : ping(),
  } as unknown as PrismaClient;
}

describe("committedMigrations", () => {
  it("lists the SQLite folders in order, or the PostgreSQL ones for a postgres URL", () => {
    expect(committedMigrations("file:./dev.sqlite", root)).toEqual([
      "1_first",
      "2_second",
    ]);
    expect(committedMigrations("postgresql://u:p@db:5432/app", root)).toEqual([
      "1_pg",
    ]);
  });
});

describe("checkReadiness", () => {
  const committed = () => ["1_first", "2_second"];

  it("is ready when every committed migration is applied", async () => {
    const db = fakeDb(
      async () => [{ 1: 1 }],
      async () => [
        { migration_name: "1_first" },
        { migration_name: "2_second" },
      ],
    );
    expect(await checkReadiness(db, committed)).toEqual({ ready: true });
  });

  it("names the pending migrations", async () => {
    const db = fakeDb(
      async () => [{ 1: 1 }],
      async () => [{ migration_name: "1_first" }],
    );
    expect(await checkReadiness(db, committed)).toEqual({
      ready: false,
      reason: "migrations_pending",
      pending: ["2_second"],
    });
  });

  it("reduces a connection error to a reason, without the driver's message", async () => {
    const secret = "postgresql://user:hunter2@db.internal:5432/app";
    const db = fakeDb(
      () => Promise.reject(new Error(`cannot reach ${secret}`)),
      async () => [],
    );
    const result = await checkReadiness(db, committed);
    expect(result).toEqual({ ready: false, reason: "database_unreachable" });
    expect(JSON.stringify(result)).not.toContain("hunter2");
  });

  it("is not ready when the migration folders cannot be read", async () => {
    const db = fakeDb(
      async () => [{ 1: 1 }],
      async () => [{ migration_name: "1_first" }],
    );
    const unreadable = () => {
      throw new Error("ENOENT");
    };
    expect(await checkReadiness(db, unreadable)).toEqual({
      ready: false,
      reason: "migrations_unknown",
    });
  });
});
