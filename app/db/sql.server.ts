import { Prisma } from "@prisma/client";
import { serverEnv } from "~/config.server";
import { databaseUrl } from "~/db-url";
import { isPostgresUrl } from "./dialect";

// The few raw statements on the delivery hot path. Identifiers are double-quoted, which
// SQLite and PostgreSQL both accept; the two spots where their SQL differs are here.
const isPostgres = () => isPostgresUrl(databaseUrl(serverEnv().DATABASE_URL));

/** A subquery yielding the given ids in a column `value`, bound as ONE parameter whatever the list length. */
export function idList(ids: readonly string[]): Prisma.Sql {
  return isPostgres()
    ? Prisma.sql`(SELECT unnest(${[...ids]}::text[]) AS value)`
    : Prisma.sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/**
 * Row-lock clause for a claim's inner SELECT: on PostgreSQL, `FOR UPDATE SKIP LOCKED` lets a
 * worker that loses a race take other rows instead of waiting on the winner's locks
 * (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE). SQLite has
 * one writer at a time, so there is nothing to skip.
 */
export function skipLockedSql(): Prisma.Sql {
  return isPostgres() ? Prisma.sql`FOR UPDATE SKIP LOCKED` : Prisma.empty;
}

/**
 * Row-lock clause for a read-then-write in one transaction: on PostgreSQL `FOR UPDATE OF` the
 * given table alias (other writers of those rows wait until this transaction ends). SQLite has
 * one writer at a time already.
 */
export function rowLockSql(alias: string): Prisma.Sql {
  return isPostgres() ? Prisma.raw(`FOR UPDATE OF ${alias}`) : Prisma.empty;
}

/** An expression producing a fresh random id for a row inserted by SQL. */
export function newIdSql(): Prisma.Sql {
  return isPostgres()
    ? Prisma.sql`gen_random_uuid()::text`
    : Prisma.sql`lower(hex(randomblob(16)))`;
}

/**
 * The UTC date ("YYYY-MM-DD") of a timestamp column, as `Date#toISOString().slice(0, 10)` gives
 * it in JavaScript. PostgreSQL's timestamp(3) columns hold UTC without a zone; SQLite holds
 * Prisma's ISO text, which `date()` reads with its offset. The day-summary migration uses the
 * same expressions.
 */
/**
 * PostgreSQL: makes other writers of `table` wait until this transaction ends (readers go on).
 * SQLite has a single writer already, so nothing.
 */
export function exclusiveLockSql(table: string): Prisma.Sql | null {
  return isPostgres()
    ? Prisma.raw(`LOCK TABLE "${table}" IN EXCLUSIVE MODE`)
    : null;
}

export function utcDaySql(column: Prisma.Sql): Prisma.Sql {
  return isPostgres()
    ? Prisma.sql`to_char(${column}, 'YYYY-MM-DD')`
    : Prisma.sql`date(${column})`;
}

/**
 * Makes an ORDER BY term compare text by code point, as JavaScript's `<` on ASCII and SQLite's
 * default BINARY collation do; PostgreSQL's default collation follows the locale instead.
 */
export function bytewiseSql(): Prisma.Sql {
  return isPostgres() ? Prisma.sql`COLLATE "C"` : Prisma.empty;
}

type PgType = "text" | "integer" | "timestamp(3)";

/**
 * A derived table from a JSON array of objects, bound as one parameter: the way the ingest
 * hot path writes a whole batch with one statement. `columns` name the keys and their
 * PostgreSQL types (SQLite takes the JSON values as they are). Dates are passed as ISO
 * strings; on SQLite they are stored in the text form Prisma's libSQL adapter writes
 * ("…T10:00:00.000+00:00", not "…Z"), because SQLite compares dates as text: a row written
 * here must compare equal to the same instant bound by Prisma (cursor paging, claims).
 */
export function jsonRowsSql(
  rows: readonly Record<string, unknown>[],
  columns: readonly [string, PgType][],
): Prisma.Sql {
  // A lone UTF-16 surrogate would come out of SQLite's JSON functions as invalid UTF-8, which
  // the libSQL driver cannot read back (it aborts the process): every string is made well-formed.
  const postgres = isPostgres();
  const dates = new Set(
    columns.filter(([, type]) => type === "timestamp(3)").map(([name]) => name),
  );
  const data = JSON.stringify(rows, (key, value: unknown) => {
    if (typeof value !== "string") return value;
    if (!postgres && dates.has(key) && value.endsWith("Z"))
      return `${value.slice(0, -1)}+00:00`;
    return value.toWellFormed();
  });
  if (postgres) {
    const defs = Prisma.raw(
      columns.map(([name, type]) => `"${name}" ${type}`).join(", "),
    );
    return Prisma.sql`(SELECT * FROM jsonb_to_recordset(${data}::jsonb) AS x(${defs}))`;
  }
  const picks = Prisma.raw(
    columns.map(([name]) => `j.value ->> '${name}' AS "${name}"`).join(", "),
  );
  return Prisma.sql`(SELECT ${picks} FROM json_each(${data}) AS j WHERE true)`;
}

export interface AttributionUpsert {
  shop: string;
  sessionKey: string;
  /** "denied" forgets the session's click data (callers then pass nulls for it). */
  consent: "granted" | "denied";
  seenAt: Date;
  landingUrl: string | null;
  ttclid: string | null;
  ttp: string | null;
  ip: string | null;
  userAgent: string | null;
  cartToken: string | null;
}

/**
 * Creates or refreshes many storefront sessions in ONE statement (the app proxy's hot path).
 * New values win; a value the storefront did not send keeps what we had; a new ttclid
 * restarts its first-seen time; a session whose consent is now denied forgets its click data
 * (ttclid, _ttp, IP, user agent, landing URL). Callers pass each (shop, sessionKey) at most once.
 * This is the only statement that writes attribution sessions.
 */
const FORGET = Prisma.raw(`excluded."consent" = 'denied'`);

export function upsertAttributionSessionsSql(
  rows: readonly AttributionUpsert[],
): Prisma.Sql {
  const source = jsonRowsSql(
    rows.map((r) => ({ ...r, seenAt: r.seenAt.toISOString() })),
    [
      ["shop", "text"],
      ["sessionKey", "text"],
      ["consent", "text"],
      ["seenAt", "timestamp(3)"],
      ["landingUrl", "text"],
      ["ttclid", "text"],
      ["ttp", "text"],
      ["ip", "text"],
      ["userAgent", "text"],
      ["cartToken", "text"],
    ],
  );
  return Prisma.sql`
    INSERT INTO "AttributionSession" ("id", "shop", "sessionKey", "consent", "firstSeenAt", "lastSeenAt", "landingUrl",
      "ttclid", "ttclidFirstSeenAt", "ttclidLastSeenAt", "ttp", "ip", "userAgent", "cartToken")
    SELECT ${newIdSql()}, s."shop", s."sessionKey", s."consent", s."seenAt", s."seenAt", s."landingUrl",
      s."ttclid", CASE WHEN s."ttclid" IS NULL THEN NULL ELSE s."seenAt" END,
      CASE WHEN s."ttclid" IS NULL THEN NULL ELSE s."seenAt" END, s."ttp", s."ip", s."userAgent", s."cartToken"
    FROM ${source} AS s
    WHERE true -- SQLite needs a WHERE here, or it reads ON CONFLICT as a join constraint
    ON CONFLICT ("shop", "sessionKey") DO UPDATE SET
      "consent" = excluded."consent",
      "lastSeenAt" = excluded."lastSeenAt",
      "landingUrl" = CASE WHEN ${FORGET} THEN NULL ELSE COALESCE("AttributionSession"."landingUrl", excluded."landingUrl") END,
      "ttclidFirstSeenAt" = CASE WHEN ${FORGET} THEN NULL
        WHEN excluded."ttclid" IS NOT NULL AND excluded."ttclid" IS DISTINCT FROM "AttributionSession"."ttclid"
        THEN excluded."lastSeenAt" ELSE "AttributionSession"."ttclidFirstSeenAt" END,
      "ttclidLastSeenAt" = CASE WHEN ${FORGET} THEN NULL WHEN excluded."ttclid" IS NOT NULL THEN excluded."lastSeenAt"
        ELSE "AttributionSession"."ttclidLastSeenAt" END,
      "ttclid" = CASE WHEN ${FORGET} THEN NULL ELSE COALESCE(excluded."ttclid", "AttributionSession"."ttclid") END,
      "ttp" = CASE WHEN ${FORGET} THEN NULL ELSE COALESCE(excluded."ttp", "AttributionSession"."ttp") END,
      "ip" = CASE WHEN ${FORGET} THEN NULL ELSE COALESCE(excluded."ip", "AttributionSession"."ip") END,
      "userAgent" = CASE WHEN ${FORGET} THEN NULL ELSE COALESCE(excluded."userAgent", "AttributionSession"."userAgent") END,
      "cartToken" = COALESCE(excluded."cartToken", "AttributionSession"."cartToken")`;
}
