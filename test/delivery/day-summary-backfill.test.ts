// The day-summary migration counts the deliveries that exist when it runs: a database with a
// log from before it gets summary rows equal to a recount, the day taken in UTC from the text
// SQLite holds (Prisma's "…+00:00" form), at the edges of a day included.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@libsql/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient } from "@prisma/client";
import { afterAll, describe, expect, it } from "vitest";

const MIGRATION = "20261202100200_delivery_day_summary";
const dir = mkdtempSync(path.join(tmpdir(), "day-summary-backfill-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the day-summary migration's backfill (SQLite)", () => {
  it("counts the existing deliveries per UTC day, source, pixel, status and keys", async () => {
    const url = `file:${path.join(dir, "old.sqlite")}`;
    const client = createClient({ url });
    const migrations = path.resolve("prisma", "migrations");
    const names = readdirSync(migrations)
      .filter((n) => !n.includes("."))
      .sort();
    expect(names).toContain(MIGRATION);
    const run = async (name: string) =>
      client.executeMultiple(
        readFileSync(path.join(migrations, name, "migration.sql"), "utf8"),
      );
    for (const name of names.filter((n) => n < MIGRATION)) await run(name);
    const rows: [string, string, string, string, string, string][] = [
      // shop, createdAt (as Prisma's libSQL adapter writes it), source, pixel, status, keys
      [
        "a",
        "2026-11-30T00:00:00.000+00:00",
        "order",
        "P1",
        "delivered",
        "email",
      ],
      [
        "a",
        "2026-11-30T23:59:59.999+00:00",
        "order",
        "P1",
        "delivered",
        "email",
      ],
      [
        "a",
        "2026-12-01T00:00:00.000+00:00",
        "order",
        "P1",
        "delivered",
        "email",
      ],
      ["a", "2026-12-01T10:00:00.000+00:00", "order", "P2", "failed", ""],
      [
        "a",
        "2026-12-01T10:00:00.000+00:00",
        "storefront",
        "P1",
        "delivered",
        "ttp,ip_ua",
      ],
      ["b", "2026-12-01T10:00:00.000+00:00", "order", "P1", "pending", "email"],
    ];
    for (const [i, [shop, at, source, pixel, status, keys]] of rows.entries())
      await client.execute({
        sql: `INSERT INTO "Delivery" ("id", "shop", "source", "eventName", "eventId", "pixelCode", "status",
          "payload", "matchKeys", "eventTime", "createdAt", "updatedAt")
          VALUES (?, ?, ?, 'Purchase', ?, ?, ?, '{}', ?, ?, ?, ?)`,
        args: [`d${i}`, shop, source, `e${i}`, pixel, status, keys, at, at, at],
      });
    await run(MIGRATION);
    client.close();

    const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url }) });
    try {
      const summary = await prisma.deliveryDaySummary.findMany({
        orderBy: [
          { shop: "asc" },
          { day: "asc" },
          { source: "asc" },
          { pixelCode: "asc" },
        ],
      });
      expect(
        summary.map((r) =>
          [
            r.shop,
            r.day,
            r.source,
            r.pixelCode,
            r.status,
            r.matchKeys,
            r.journey,
            r.count,
          ].join("|"),
        ),
      ).toEqual([
        "a|2026-11-30|order|P1|delivered|email||2",
        "a|2026-12-01|order|P1|delivered|email||1",
        "a|2026-12-01|order|P2|failed|||1",
        "a|2026-12-01|storefront|P1|delivered|ttp,ip_ua||1",
        "b|2026-12-01|order|P1|pending|email||1",
      ]);
      // The rows Prisma reads back have the same days in JavaScript (what the transitions use).
      const deliveries = await prisma.delivery.findMany({
        orderBy: { id: "asc" },
      });
      expect(
        deliveries.map((d) => d.createdAt.toISOString().slice(0, 10)),
      ).toEqual([
        "2026-11-30",
        "2026-11-30",
        "2026-12-01",
        "2026-12-01",
        "2026-12-01",
        "2026-12-01",
      ]);
      expect(deliveries.every((d) => d.journey === null)).toBe(true);
    } finally {
      await prisma.$disconnect();
    }
  });
});
