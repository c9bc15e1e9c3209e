// Transactions of raw statements run on the driver adapter Prisma itself runs on (the same libSQL
// connection and its lock, the same pg pool), without Prisma's query engine. The engine
// serialises every statement, raw ones included, and compiles it to a plan before the driver
// sees it: in one measurement on SQLite it cost ~0.5 ms of CPU a statement against ~0.07 ms for
// the driver alone, and the ingest writer runs four to six statements per group commit on the
// routes Shopify and the storefront call at volume (README, "Where the time goes on the hot
// routes"). The statements are the same Prisma.sql fragments either way; only who runs them
// changes. The contract used is Prisma's driver adapter interface (startTransaction, queryRaw,
// executeRaw, commit, rollback), as its own engine uses it.
import { Prisma, type PrismaClient } from "@prisma/client";
import type { PrismaLibSQL } from "@prisma/adapter-libsql";

type Adapter = Awaited<ReturnType<PrismaLibSQL["connect"]>>;
/** A driver adapter factory as PrismaClient takes it (both adapters share the contract). */
export interface DriverAdapterFactory {
  readonly provider: Adapter["provider"];
  readonly adapterName: string;
  connect(): Promise<Adapter>;
}
type AdapterTransaction = Awaited<ReturnType<Adapter["startTransaction"]>>;
type AdapterQuery = Parameters<AdapterTransaction["queryRaw"]>[0];
type ArgType = AdapterQuery["argTypes"][number];

/**
 * What the set-based SQL modules need of a transaction: raw statements, as tagged templates or
 * Prisma.sql fragments. A Prisma transaction client is one; so is `runRawTransaction`'s. Rows
 * come back as the driver gives them when run on the adapter (timestamps as text, integers as
 * numbers), not converted as Prisma's `$queryRaw` converts them: read a timestamp through
 * `new Date(...)` and an integer through `Number(...)`, as the callers do.
 */
export interface RawSql {
  $queryRaw<T = unknown>(
    query: TemplateStringsArray | Prisma.Sql,
    ...values: unknown[]
  ): Promise<T>;
  $executeRaw(
    query: TemplateStringsArray | Prisma.Sql,
    ...values: unknown[]
  ): Promise<number>;
}

/** The adapter each app client connected through, once Prisma has connected it. */
const connected = new WeakMap<PrismaClient, { adapter: Adapter | null }>();

/**
 * `factory`, remembering the adapter it connects for `runRawTransaction` on the client built
 * with it. Call `register` with that client.
 */
export function rememberingAdapter(factory: DriverAdapterFactory) {
  const slot: { adapter: Adapter | null } = { adapter: null };
  const remembering: DriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      // Prisma disposes the adapter on $disconnect and connects a new one when next used.
      const dispose = adapter.dispose.bind(adapter);
      adapter.dispose = () => {
        if (slot.adapter === adapter) slot.adapter = null;
        return dispose();
      };
      return (slot.adapter = adapter);
    },
  };
  return {
    factory: remembering,
    register(client: PrismaClient) {
      connected.set(client, slot);
    },
  };
}

/**
 * Runs `work` in one transaction on the client's driver adapter and commits, or rolls back and
 * rethrows. A client built without `rememberingAdapter` runs it in `$transaction` instead.
 */
export async function runRawTransaction<T>(
  client: PrismaClient,
  work: (tx: RawSql) => Promise<T>,
): Promise<T> {
  const slot = connected.get(client);
  if (!slot) return client.$transaction((tx) => work(tx));
  const adapter = await connectedAdapter(client, slot);
  const tx = await adapter.startTransaction();
  // On PostgreSQL the caller sends BEGIN's partners itself (the adapter's commit and rollback
  // only hand the connection back); on SQLite they are the adapter's.
  const explicit = !tx.options.usePhantomQuery;
  const postgres = adapter.provider === "postgres";
  try {
    const result = await work(rawSqlOn(tx, postgres));
    if (explicit) await tx.executeRaw(plain("COMMIT"));
    await tx.commit();
    return result;
  } catch (error) {
    // A ROLLBACK that fails too (the connection is gone) must not hide why the work failed;
    // the adapter's rollback hands the connection back either way.
    if (explicit) await tx.executeRaw(plain("ROLLBACK")).catch(() => {});
    await tx.rollback();
    throw error;
  }
}

/**
 * Single raw statements on the client's driver adapter, each on its own (on SQLite under the
 * adapter's lock, like Prisma's own): for reads on the hot routes. A client built without
 * `rememberingAdapter` runs them itself.
 */
export function rawStatements(client: PrismaClient): RawSql {
  const slot = connected.get(client);
  if (!slot) return client;
  const on = async () => {
    const adapter = await connectedAdapter(client, slot);
    return rawSqlOn(adapter, adapter.provider === "postgres");
  };
  return {
    $queryRaw: async (template, ...values) =>
      (await on()).$queryRaw(template, ...values),
    $executeRaw: async (template, ...values) =>
      (await on()).$executeRaw(template, ...values),
  };
}

/** The client's adapter, connecting the client first if it has not yet. */
async function connectedAdapter(
  client: PrismaClient,
  slot: { adapter: Adapter | null },
): Promise<Adapter> {
  if (!slot.adapter) await client.$connect();
  if (!slot.adapter) throw new Error("the database adapter did not connect");
  return slot.adapter;
}

/** Raw statements on an adapter or one of its transactions (the same two calls). */
function rawSqlOn(
  tx: Pick<AdapterTransaction, "queryRaw" | "executeRaw">,
  postgres: boolean,
): RawSql {
  const query = (
    template: TemplateStringsArray | Prisma.Sql,
    values: unknown[],
  ): AdapterQuery => {
    // A tagged template's strings are an array; a Prisma.Sql fragment is not.
    const sql = Array.isArray(template)
      ? Prisma.sql(template, ...(values as Prisma.Sql[]))
      : (template as Prisma.Sql);
    return {
      sql: postgres ? sql.text : sql.sql,
      args: sql.values,
      argTypes: sql.values.map(argType),
    };
  };
  return {
    async $queryRaw<T>(
      template: TemplateStringsArray | Prisma.Sql,
      ...values: unknown[]
    ) {
      const result = await tx.queryRaw(query(template, values));
      return result.rows.map((row) =>
        Object.fromEntries(result.columnNames.map((name, i) => [name, row[i]])),
      ) as T;
    },
    $executeRaw: (template, ...values) =>
      tx.executeRaw(query(template, values)),
  };
}

const plain = (sql: string): AdapterQuery => ({ sql, args: [], argTypes: [] });

/** How the adapter should pass a value on (it converts dates, big integers and bytes). */
function argType(value: unknown): ArgType {
  const scalarType: ArgType["scalarType"] =
    value instanceof Date
      ? "datetime"
      : typeof value === "string"
        ? "string"
        : typeof value === "bigint"
          ? "bigint"
          : typeof value === "boolean"
            ? "boolean"
            : typeof value === "number"
              ? Number.isInteger(value)
                ? "int"
                : "float"
              : "unknown";
  return { scalarType, arity: "scalar" };
}
