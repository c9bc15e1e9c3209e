import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";

// Only for the Prisma CLI (prisma.config.ts). Prisma 6.19's WebAssembly schema engine reads
// PostgreSQL's catalogs through the driver adapter, and @prisma/adapter-pg refuses columns of
// the catalog type `name` ("Column type 'name' could not be deserialized from the database",
// prisma/orm#27403), so `prisma migrate deploy` fails on every database. `name` is text to
// everyone but the adapter: results are re-labelled as text before the adapter sees them.
// The app itself never reads catalog columns and uses the plain adapter.

const NAME = 19;
const NAME_ARRAY = 1003;
const TEXT = 25;
const TEXT_ARRAY = 1009;
const parseTextArray = pg.types.getTypeParser(TEXT_ARRAY, "text") as (value: string) => string[];

type Row = unknown[] | Record<string, unknown>;

function relabel(result: unknown): void {
  if (Array.isArray(result)) {
    result.forEach(relabel);
    return;
  }
  if (!result || typeof result !== "object" || !("fields" in result)) return;
  const { fields, rows } = result as { fields: pg.FieldDef[]; rows: Row[] };
  fields.forEach((field, i) => {
    if (field.dataTypeID === NAME) field.dataTypeID = TEXT;
    if (field.dataTypeID !== NAME_ARRAY) return;
    field.dataTypeID = TEXT_ARRAY;
    // pg has no parser for name[]: the values arrived as array literals.
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
  return new PrismaPg(new pg.Pool({ connectionString, Client: CatalogTolerantClient }));
}
