import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";

// Only for the Prisma CLI (prisma.config.ts). Prisma 6.19's WebAssembly schema engine reads
// PostgreSQL's catalogs through the driver adapter, and @prisma/adapter-pg refuses columns of
// the catalog types `name` and `"char"` ("Column type 'name' could not be deserialized from the
// database", prisma/orm#27403), so `prisma migrate deploy` fails on every database. Both are text
// to everyone but the adapter: results are re-labelled as text before the adapter sees them.
// The app itself never reads catalog columns and uses the plain adapter.

const TEXT = 25;
const TEXT_ARRAY = 1009;
// Catalog types the engine reads that the adapter refuses: "char" and name, and their arrays.
const AS_TEXT = new Set([18, 19]);
const AS_TEXT_ARRAY = new Set([1002, 1003]);
// pg-types' TypeId lists scalar types only; text[] (1009) has a parser all the same.
const getTypeParser = pg.types.getTypeParser as (
  oid: number,
  format: "text",
) => (value: string) => string[];
const parseTextArray = getTypeParser(TEXT_ARRAY, "text");

type Row = unknown[] | Record<string, unknown>;

function relabel(result: unknown): void {
  if (Array.isArray(result)) {
    result.forEach(relabel);
    return;
  }
  if (!result || typeof result !== "object" || !("fields" in result)) return;
  const { fields, rows } = result as { fields: pg.FieldDef[]; rows: Row[] };
  fields.forEach((field, i) => {
    if (AS_TEXT.has(field.dataTypeID)) field.dataTypeID = TEXT;
    if (!AS_TEXT_ARRAY.has(field.dataTypeID)) return;
    field.dataTypeID = TEXT_ARRAY;
    // pg has no parser for these arrays: the values arrived as array literals.
    for (const row of rows) {
      const value = Array.isArray(row) ? row[i] : row[field.name];
      if (typeof value !== "string") continue;
      if (Array.isArray(row)) row[i] = parseTextArray(value);
      else row[field.name] = parseTextArray(value);
    }
  });
}

type AnyQuery = (...args: unknown[]) => unknown;

class CatalogTolerantClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as AnyQuery;
    const wrapped: AnyQuery = (...args) => {
      const last = args.at(-1);
      if (typeof last === "function") {
        // Callback form (pg.Pool#query uses it).
        const callback = last as (error: unknown, result: unknown) => void;
        args[args.length - 1] = (error: unknown, result: unknown) => {
          if (!error) relabel(result);
          callback(error, result);
        };
        return query(...args);
      }
      const out = query(...args);
      return out instanceof Promise
        ? out.then((result: unknown) => {
            relabel(result);
            return result;
          })
        : out;
    };
    this.query = wrapped as pg.Client["query"];
  }
}

/** The pg driver adapter for the Prisma CLI's schema engine (see above). */
export function postgresCliAdapter(connectionString: string): PrismaPg {
  // allowExitOnIdle: the CLI exits when it is done instead of waiting out idle connections.
  const pool = new pg.Pool({
    connectionString,
    Client: CatalogTolerantClient,
    allowExitOnIdle: true,
  });
  return new PrismaPg(pool, { disposeExternalPool: true });
}
