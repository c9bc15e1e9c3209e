// Only app/delivery/outbox/ writes the Delivery, OutboxEntry and DeliveryAttempt tables, so
// each state change has one place that guards it (see app/delivery/outbox/states.ts), and the
// DeliveryDaySummary counts, which those same transitions keep in step with the deliveries.
// Reads are free everywhere; a write elsewhere fails here, whether through Prisma or raw SQL.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(__dirname, "../..");
const OWNER = path.join("app", "delivery", "outbox") + path.sep;

const MODELS = "delivery|outboxEntry|deliveryAttempt|deliveryDaySummary";
const TABLES = [
  "Delivery",
  "OutboxEntry",
  "DeliveryAttempt",
  "DeliveryDaySummary",
];
const PRISMA_WRITES =
  "create|createMany|createManyAndReturn|update|updateMany|updateManyAndReturn|upsert|delete|deleteMany";

/** `x.delivery.updateMany(`, `tx.outboxEntry.create<…>(`, `prisma["deliveryAttempt"].deleteMany(`. */
const PRISMA_WRITE = new RegExp(
  `(?:\\.\\s*(${MODELS})|\\[\\s*["'\`](${MODELS})["'\`]\\s*\\])\\s*(?:\\.\\s*(${PRISMA_WRITES})|\\[\\s*["'\`](${PRISMA_WRITES})["'\`]\\s*\\])\\s*[(<]`,
  "g",
);
/** INSERT INTO / UPDATE / DELETE FROM / REPLACE INTO / TRUNCATE a table, quoted or not; keywords in any case. */
const SQL_WRITE =
  /\b(INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?(["`]?)(\w+)\2(?=[\s(;,`]|$)/gi;

export interface Write {
  line: number;
  text: string;
}

/** Every write to the three tables in a source text. */
export function outboxWrites(source: string): Write[] {
  const found: Write[] = [];
  const lineOf = (index: number) => source.slice(0, index).split("\n").length;
  for (const m of source.matchAll(PRISMA_WRITE))
    found.push({ line: lineOf(m.index), text: m[0] });
  for (const m of source.matchAll(SQL_WRITE)) {
    // The table name is matched exactly (prose like "update delivery times" is not SQL).
    if (TABLES.includes(m[3]))
      found.push({ line: lineOf(m.index), text: m[0] });
  }
  return found.sort((a, b) => a.line - b.line);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.[cm]?[jt]sx?$/.test(entry.name) &&
      !/\.test\.[cm]?[jt]sx?$/.test(entry.name)
      ? [full]
      : [];
  });
}

describe("the outbox owns the delivery tables", () => {
  it.each([
    "await tx.delivery.updateMany({ where: { shop } })",
    "prisma.outboxEntry.create({ data })",
    "this.prisma.deliveryAttempt.deleteMany({})",
    "prisma.delivery.upsert({",
    "tx.delivery\n  .update({ where })",
    "prisma.delivery.createMany<T>(",
    'prisma["outboxEntry"]["delete"]({',
    'tx.$executeRaw`INSERT INTO "Delivery" ("id") VALUES (1)`',
    'sql`UPDATE "OutboxEntry" SET "leaseOwner" = NULL`',
    'DELETE FROM "DeliveryAttempt" WHERE "id" = 1',
    'delete from "Delivery" where true',
    "INSERT OR IGNORE INTO Delivery (id) VALUES (1)",
    "UPDATE OutboxEntry SET attempts = 0",
    'TRUNCATE TABLE "DeliveryAttempt"',
    "$executeRawUnsafe('UPDATE `Delivery` SET status = 1')",
    "tx.deliveryDaySummary.deleteMany({ where })",
    'INSERT INTO "DeliveryDaySummary" ("shop") VALUES (1)',
  ])("detects a write: %s", (sample) => {
    expect(outboxWrites(sample)).toHaveLength(1);
  });

  it.each([
    "prisma.delivery.findMany({ where })",
    "tx.delivery.findFirst({ select })",
    "prisma.deliveryAttempt.groupBy({ by })",
    "prisma.deliveryDaySummary.groupBy({ by })",
    "prisma.outboxEntry.count()",
    'SELECT * FROM "Delivery" d JOIN "OutboxEntry" o ON o."deliveryId" = d."id"',
    'UPDATE "ShopSettings" SET "uninstalledAt" = now()',
    'INSERT INTO "DeliveryLog" ("id") VALUES (1)',
    "// update delivery times in the log, then delete from the cache",
    "prisma.deliveryRuntime.update(",
    "shopSettings.update({ data: { delivery: 1 } })",
  ])("ignores a read or another table: %s", (sample) => {
    expect(outboxWrites(sample)).toEqual([]);
  });

  it("finds the line of each write", () => {
    expect(
      outboxWrites(
        'const a = 1;\nawait tx.outboxEntry.deleteMany({});\nsql`DELETE FROM "Delivery"`;',
      ),
    ).toEqual([
      { line: 2, text: ".outboxEntry.deleteMany(" },
      { line: 3, text: 'DELETE FROM "Delivery"' },
    ]);
  });

  it("no file under app/ outside app/delivery/outbox/ writes them", () => {
    const files = sourceFiles(path.join(root, "app"));
    expect(files.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    let ownWrites = 0;
    for (const file of files) {
      const relative = path.relative(root, file);
      const writes = outboxWrites(readFileSync(file, "utf8"));
      if (relative.startsWith(OWNER)) ownWrites += writes.length;
      else
        offenders.push(...writes.map((w) => `${relative}:${w.line} ${w.text}`));
    }
    expect(offenders).toEqual([]);
    // The detector sees the module's own writes, so an empty list above is not a blind spot.
    expect(ownWrites).toBeGreaterThanOrEqual(10);
  });
});
