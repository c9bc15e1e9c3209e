// The transition table (test/support/outbox-transitions.ts) on SQLite; test/postgres runs it on PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll } from "vitest";
import { applyMigrations } from "../support/database";
import { defineTransitionTable } from "../support/outbox-transitions";

let prisma: PrismaClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "outbox-transitions-"));
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

defineTransitionTable(() => prisma);
