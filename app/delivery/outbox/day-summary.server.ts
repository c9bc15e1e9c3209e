// The per-day delivery counts (DeliveryDaySummary) behind the home page's 7-day summary. Every
// transition that creates a delivery, changes its status or match keys, or deletes it adds its
// change here, in its own transaction: +1 to the key a row enters, −1 to the key it leaves. The
// upsert adds to what is stored (`count = count + excluded.count`), so concurrent PostgreSQL
// workers each add their own change under the row lock, and SQLite's single writer needs nothing
// more. A change is counted only for rows the transition actually moved: the set-based writes
// report them (RETURNING, or the settle statement below reading its own updates), never a
// prediction. One statement per transaction with its rows in key order (code point order, in
// JavaScript and in SQL alike), so two transactions take the summary rows' locks in the same
// order and cannot deadlock on them.
import { Prisma, type PrismaClient } from "@prisma/client";
import {
  bytewiseSql,
  exclusiveLockSql,
  jsonRowsSql,
  utcDaySql,
} from "~/db/sql.server";
import { STATUS } from "./states";
import type { Db } from "./types";
import type { RawSql } from "~/db/adapter-sql.server";

/** What a delivery contributes to its summary key, besides its status. */
export interface SummaryFields {
  shop: string;
  source: string;
  pixelCode: string;
  matchKeys: string;
  journey: string | null;
  createdAt: Date;
}

/** The Delivery columns a transition selects to count a row it moved. */
export const SUMMARY_SELECT = {
  shop: true,
  source: true,
  pixelCode: true,
  matchKeys: true,
  journey: true,
  createdAt: true,
} as const;

/** The summary's day: the UTC date of the delivery's creation, as utcDaySql computes it in SQL. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

type SummaryRow = {
  shop: string;
  day: string;
  source: string;
  pixelCode: string;
  status: string;
  matchKeys: string;
  journey: string;
  count: number;
};

const KEY_COLUMNS = [
  "shop",
  "day",
  "source",
  "pixelCode",
  "status",
  "matchKeys",
  "journey",
] as const;

/** The changes of one transaction, added up per key. */
export class SummaryDeltas {
  private readonly rows = new Map<string, SummaryRow>();

  add(row: SummaryFields, status: string, delta: number): this {
    const key: Omit<SummaryRow, "count"> = {
      shop: row.shop,
      day: utcDay(row.createdAt),
      source: row.source,
      pixelCode: row.pixelCode,
      status,
      matchKeys: row.matchKeys,
      journey: row.journey ?? "",
    };
    const k = KEY_COLUMNS.map((c) => key[c]).join("\u0000");
    const current = this.rows.get(k) ?? { ...key, count: 0 };
    current.count += delta;
    this.rows.set(k, current);
    return this;
  }

  /** One row leaving status `from` for status `to`. */
  move(row: SummaryFields, from: string, to: string): this {
    return this.add(row, from, -1).add(row, to, 1);
  }

  /** The non-zero changes, in key order. */
  list(): SummaryRow[] {
    return [...this.rows.entries()]
      .filter(([, row]) => row.count !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row);
  }
}

const INSERT_COLUMNS = Prisma.raw(
  `("shop", "day", "source", "pixelCode", "status", "matchKeys", "journey", "count")`,
);
const ON_KEY = Prisma.raw(
  `ON CONFLICT ("shop", "day", "source", "pixelCode", "status", "matchKeys", "journey")
    DO UPDATE SET "count" = "DeliveryDaySummary"."count" + excluded."count"`,
);

/** Adds the changes to the stored counts; run it inside the transaction that made them. */
export async function applySummaryDeltas(
  tx: RawSql,
  deltas: SummaryDeltas,
): Promise<void> {
  const rows = deltas.list();
  for (let i = 0; i < rows.length; i += 500) {
    const source = jsonRowsSql(rows.slice(i, i + 500), [
      ["shop", "text"],
      ["day", "text"],
      ["source", "text"],
      ["pixelCode", "text"],
      ["status", "text"],
      ["matchKeys", "text"],
      ["journey", "text"],
      ["count", "integer"],
    ]);
    await tx.$executeRaw`
      INSERT INTO "DeliveryDaySummary" ${INSERT_COLUMNS}
      SELECT s."shop", s."day", s."source", s."pixelCode", s."status", s."matchKeys", s."journey", s."count"
      FROM ${source} AS s
      WHERE true -- SQLite needs a WHERE here, or it reads ON CONFLICT as a join constraint
      ${ON_KEY}`;
  }
}

/**
 * For settle, whose writes are one batch of statements (no reads in between): the deliveries
 * still leased through `leased` that are no longer pending were moved by this transaction (a
 * leased outbox row belongs to a pending delivery until then), so each counts −1 for pending
 * and +1 for its new status. Must run after the status UPDATEs and before the outbox rows go.
 */
export function settledSummaryStatement(
  prisma: PrismaClient,
  leased: Prisma.Sql,
) {
  const day = utcDaySql(Prisma.sql`d."createdAt"`);
  const pending = Prisma.sql`CAST(${STATUS.pending} AS TEXT)`;
  return prisma.$executeRaw`
    INSERT INTO "DeliveryDaySummary" ${INSERT_COLUMNS}
    SELECT m."shop", m."day", m."source", m."pixelCode", m."status", m."matchKeys", m."journey", SUM(m."delta")
    FROM (
      SELECT d."shop", ${day} AS "day", d."source", d."pixelCode", d."status", d."matchKeys",
        COALESCE(d."journey", '') AS "journey", 1 AS "delta"
      FROM "Delivery" d WHERE d."status" <> ${pending} AND d."id" IN ${leased}
      UNION ALL
      SELECT d."shop", ${day}, d."source", d."pixelCode", ${pending}, d."matchKeys",
        COALESCE(d."journey", ''), -1
      FROM "Delivery" d WHERE d."status" <> ${pending} AND d."id" IN ${leased}
    ) AS m
    WHERE true
    GROUP BY m."shop", m."day", m."source", m."pixelCode", m."status", m."matchKeys", m."journey"
    ORDER BY ${Prisma.join(
      KEY_COLUMNS.map(
        (c) => Prisma.sql`${Prisma.raw(`m."${c}"`)} ${bytewiseSql()}`,
      ),
    )}
    ${ON_KEY}`;
}

/**
 * Housekeeping after retention: rows at zero of the days before `before` (whose finished
 * deliveries are gone). Today's rows often pass through zero (a pending count as its deliveries
 * settle) and are left alone: the workers' settles are updating them.
 */
export async function pruneEmptySummaries(
  tx: Db,
  before: Date,
): Promise<number> {
  return (
    await tx.deliveryDaySummary.deleteMany({
      where: { count: 0, day: { lt: utcDay(before) } },
    })
  ).count;
}

/**
 * Recounts every shop's summary from the Delivery table: for an upgrade that left processes of
 * the previous version writing deliveries after the migration's backfill, or any doubt. Safe
 * while the app runs: on PostgreSQL the table is locked first, so a transition that has changed
 * a delivery but not yet its summary waits, and its change, not in the recount's snapshot, is
 * added after; SQLite's writer is single anyway. Returns the rows written.
 */
export async function rebuildDaySummaries(
  prisma: PrismaClient,
): Promise<number> {
  const day = utcDaySql(Prisma.sql`"createdAt"`);
  return prisma.$transaction(async (tx) => {
    const lock = exclusiveLockSql("DeliveryDaySummary");
    if (lock) await tx.$executeRaw(lock);
    await tx.$executeRaw`DELETE FROM "DeliveryDaySummary"`;
    return tx.$executeRaw`
      INSERT INTO "DeliveryDaySummary" ${INSERT_COLUMNS}
      SELECT "shop", ${day}, "source", "pixelCode", "status", "matchKeys", COALESCE("journey", ''), COUNT(*)
      FROM "Delivery"
      GROUP BY "shop", ${day}, "source", "pixelCode", "status", "matchKeys", COALESCE("journey", '')`;
  });
}

/** A shop's summary rows, for shop/redact (its deliveries are all purged with them). */
export async function purgeShopSummaries(tx: Db, shop: string): Promise<void> {
  await tx.deliveryDaySummary.deleteMany({ where: { shop } });
}
