// The day-summary migration's backfill on PostgreSQL: the migrations before it, then a log
// written as Prisma stores it (timestamp(3) holding UTC), then the migration, whose rows must
// equal a recount. Plain SQL through pg, as `prisma migrate deploy` applies the files.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { expect, it } from "vitest";
import { describeWithPostgres } from "../support/describe-postgres";

const MIGRATION = "20261202100200_delivery_day_summary";

describeWithPostgres("PostgreSQL day-summary backfill", (baseUrl) => {
  it("counts the existing deliveries per UTC day, source, pixel, status and keys", async () => {
    const name = `tiktok_pg_backfill_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const u = new URL(baseUrl);
    u.pathname = `/${name}`;
    const db = new pg.Client({ connectionString: u.toString() });
    try {
      await db.connect();
      const migrations = path.resolve("prisma", "postgresql", "migrations");
      const names = readdirSync(migrations)
        .filter((n) => !n.includes("."))
        .sort();
      expect(names).toContain(MIGRATION);
      const run = (n: string) =>
        db.query(
          readFileSync(path.join(migrations, n, "migration.sql"), "utf8"),
        );
      for (const n of names.filter((n) => n < MIGRATION)) await run(n);
      const rows = [
        ["a", "2026-11-30 00:00:00.000", "order", "P1", "delivered", "email"],
        ["a", "2026-11-30 23:59:59.999", "order", "P1", "delivered", "email"],
        ["a", "2026-12-01 00:00:00.000", "order", "P1", "delivered", "email"],
        ["a", "2026-12-01 10:00:00.000", "order", "P2", "failed", ""],
        ["b", "2026-12-01 10:00:00.000", "order", "P1", "pending", "email"],
      ];
      for (const [i, [shop, at, source, pixel, status, keys]] of rows.entries())
        await db.query(
          `INSERT INTO "Delivery" ("id", "shop", "source", "eventName", "eventId", "pixelCode", "status",
              "payload", "matchKeys", "eventTime", "createdAt", "updatedAt")
              VALUES ($1, $2, $3, 'Purchase', $4, $5, $6, '{}', $7, $8, $8, $8)`,
          [`d${i}`, shop, source, `e${i}`, pixel, status, keys, at],
        );
      await run(MIGRATION);
      const summary = await db.query<{ line: string }>(
        `SELECT concat_ws('|', "shop", "day", "source", "pixelCode", "status", "matchKeys", "journey", "count") AS line
           FROM "DeliveryDaySummary" ORDER BY "shop", "day", "pixelCode"`,
      );
      expect(summary.rows.map((r) => r.line)).toEqual([
        "a|2026-11-30|order|P1|delivered|email||2",
        "a|2026-12-01|order|P1|delivered|email||1",
        "a|2026-12-01|order|P2|failed|||1",
        "b|2026-12-01|order|P1|pending|email||1",
      ]);
    } finally {
      await db.end().catch(() => {});
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
