import type { Client, Config, InStatement, Transaction } from "@libsql/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

// Per-connection SQLite settings. libSQL's local client opens a fresh connection after
// every transaction, so they are applied again to each new connection before its first use.
// - busy_timeout: another process (a separate `npm run worker`) holding the write lock
//   makes us wait instead of failing with SQLITE_BUSY.
// - synchronous=NORMAL (with WAL): a commit survives a crash or kill of the app at once;
//   only an OS crash or power loss can lose the last commits, in exchange for not flushing
//   to disk on every commit. SQLITE_SYNCHRONOUS=FULL restores a flush per commit.
export interface SqliteTuning {
  synchronous: "NORMAL" | "FULL";
}

function connectionPragmas(tuning: SqliteTuning): string[] {
  return [
    "PRAGMA busy_timeout = 5000",
    `PRAGMA synchronous = ${tuning.synchronous}`,
  ];
}

function withConnectionPragmas(inner: Client, tuning: SqliteTuning): Client {
  let fresh = true;
  const prepare = async () => {
    if (!fresh) return;
    fresh = false;
    for (const pragma of connectionPragmas(tuning)) await inner.execute(pragma);
  };
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (
        property === "execute" ||
        property === "batch" ||
        property === "executeMultiple" ||
        property === "migrate"
      ) {
        return async (...args: unknown[]) => {
          await prepare();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (property === "transaction") {
        // The client's own transaction() hands its connection to the transaction and opens a
        // new one for what follows: a fresh connection (schema read, settings) per transaction.
        // Prisma's adapter already holds its lock for the whole transaction, so nothing else
        // runs on this client meanwhile: the transaction can use the connection in place.
        return async (mode: "write" | "read" | "deferred" = "write") => {
          await prepare();
          // IMMEDIATE takes the write lock up front (waiting up to busy_timeout), so a second
          // process (`npm run worker`) can't make a read-then-write transaction fail half-way.
          const begin = mode === "read" ? "BEGIN DEFERRED" : "BEGIN IMMEDIATE";
          await target.execute(begin);
          return inPlaceTransaction(target);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

function inPlaceTransaction(client: Client): Transaction {
  let open = true;
  const check = () => {
    if (!open) throw new Error("The transaction is closed");
  };
  return {
    async execute(stmt: InStatement) {
      check();
      return client.execute(stmt);
    },
    async batch(stmts: InStatement[]) {
      const results = [];
      for (const stmt of stmts) {
        check();
        results.push(await client.execute(stmt));
      }
      return results;
    },
    async executeMultiple() {
      // The client's executeMultiple rolls back any open transaction when it finishes.
      throw new Error("executeMultiple is not available inside a transaction");
    },
    async commit() {
      check();
      open = false;
      try {
        await client.execute("COMMIT");
      } catch (error) {
        // A COMMIT SQLite refuses (busy) leaves the transaction open on the shared connection.
        await client.execute("ROLLBACK").catch(() => {});
        throw error;
      }
    },
    async rollback() {
      if (!open) return;
      open = false;
      await client.execute("ROLLBACK");
    },
    close() {
      if (!open) return;
      open = false;
      void client.execute("ROLLBACK").catch(() => undefined);
    },
    get closed() {
      return !open;
    },
  } as Transaction;
}

/** Prisma's libSQL adapter with the connection settings above (file: URLs only). */
export class TunedPrismaLibSQL extends PrismaLibSQL {
  private readonly tuning: SqliteTuning;

  constructor(
    config: Config,
    tuning: SqliteTuning = { synchronous: "NORMAL" },
  ) {
    super(config);
    this.tuning = tuning;
  }

  createClient(config: Config): Client {
    const client = super.createClient(config);
    return config.url.startsWith("file:")
      ? withConnectionPragmas(client, this.tuning)
      : client;
  }
}
