import { Prisma } from "@prisma/client";
import { databaseUrl } from "~/db-url";

// The few raw statements on the delivery hot path. Identifiers are double-quoted, which
// SQLite and PostgreSQL both accept; the two spots where their SQL differs are here.
const isPostgres = () => /^postgres(ql)?:/i.test(databaseUrl());

/** A subquery yielding the given ids in a column `value`, bound as ONE parameter whatever the list length. */
export function idList(ids: readonly string[]): Prisma.Sql {
  return isPostgres()
    ? Prisma.sql`(SELECT unnest(${[...ids]}::text[]) AS value)`
    : Prisma.sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** An expression producing a fresh random id for a row inserted by SQL. */
export function newIdSql(): Prisma.Sql {
  return isPostgres() ? Prisma.sql`gen_random_uuid()::text` : Prisma.sql`lower(hex(randomblob(16)))`;
}
