import type { Client, Config } from "@libsql/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

// Per-connection SQLite settings. libSQL's local client opens a fresh connection after
// every transaction, so they are applied again to each new connection before its first use.
// - busy_timeout: another process (a separate `npm run worker`) holding the write lock
//   makes us wait instead of failing with SQLITE_BUSY.
// - synchronous=NORMAL (with WAL): a commit survives a crash or kill of the app at once;
//   only an OS crash or power loss can lose the last commits, in exchange for not flushing
//   to disk on every commit. SQLITE_SYNCHRONOUS=FULL restores a flush per commit.
function connectionPragmas(): string[] {
  const synchronous = process.env.SQLITE_SYNCHRONOUS?.toUpperCase() === "FULL" ? "FULL" : "NORMAL";
  return ["PRAGMA busy_timeout = 5000", `PRAGMA synchronous = ${synchronous}`];
}

function withConnectionPragmas(inner: Client): Client {
  let fresh = true;
  const prepare = async () => {
    if (!fresh) return;
    fresh = false;
    for (const pragma of connectionPragmas()) await inner.execute(pragma);
  };
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (property === "execute" || property === "batch" || property === "executeMultiple" || property === "migrate") {
        return async (...args: unknown[]) => {
          await prepare();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      if (property === "transaction") {
        return async (...args: unknown[]) => {
          await prepare();
          // The transaction keeps this connection; the client opens a new one for what follows.
          const tx = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          fresh = true;
          return tx;
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

/** Prisma's libSQL adapter with the connection settings above (file: URLs only). */
export class TunedPrismaLibSQL extends PrismaLibSQL {
  createClient(config: Config): Client {
    const client = super.createClient(config);
    return config.url.startsWith("file:") ? withConnectionPragmas(client) : client;
  }
}
