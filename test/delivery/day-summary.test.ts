// The day summary's exactness (test/support/day-summary-exactness.ts) on SQLite; test/postgres
// runs it on PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll } from "vitest";
import { applyMigrations } from "../support/database";
import { defineDaySummaryExactness } from "../support/day-summary-exactness";

let prisma: PrismaClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "day-summary-"));
  const url = `file:${path.join(dir, "test.sqlite")}`;
  await applyMigrations(url);
  process.env.DATABASE_URL = url;
  globalThis.prismaGlobal = undefined;
  prisma = (await import("~/db.server")).default;
});

afterAll(async () => {
  await prisma?.$disconnect();
  globalThis.prismaGlobal = undefined;
  rmSync(dir, { recursive: true, force: true });
});

defineDaySummaryExactness(() => prisma);
