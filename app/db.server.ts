import { PrismaClient } from "@prisma/client";
import { serverEnv } from "./config.server";
import { isPostgresUrl } from "./db/dialect";
import { createPostgresClient } from "./db/postgres-client.server";
import { rememberingAdapter } from "./db/adapter-sql.server";
import { TunedPrismaLibSQL } from "./db/sqlite-client.server";
import { databaseUrl } from "./db-url";
import { errorSummary, logger } from "./observability/logger.server";

declare global {
  // Reused across Vite dev-server reloads so we don't open a new pool each time.
  // eslint-disable-next-line no-var
  var prismaGlobal: PrismaClient | undefined;
}

/** SQLite (libSQL) by default; a postgres:// or postgresql:// DATABASE_URL selects PostgreSQL. */
function createClient(): PrismaClient {
  const env = serverEnv();
  const url = databaseUrl(env.DATABASE_URL);
  if (isPostgresUrl(url)) return createPostgresClient(url);
  const adapter = rememberingAdapter(
    new TunedPrismaLibSQL({ url }, { synchronous: env.SQLITE_SYNCHRONOUS }),
  );
  const client = new PrismaClient({ adapter: adapter.factory });
  adapter.register(client);
  if (url.startsWith("file:")) {
    // Write-ahead logging: readers don't block the writer and a commit is one append.
    // The mode is stored in the database file, so this only matters on its first run.
    client.$queryRawUnsafe("PRAGMA journal_mode=WAL").catch((error: Error) => {
      logger().warn(
        { error: errorSummary(error) },
        "could not switch SQLite to WAL",
      );
    });
  }
  return client;
}

const prisma: PrismaClient = global.prismaGlobal ?? createClient();
if (serverEnv().NODE_ENV !== "production") global.prismaGlobal = prisma;

export default prisma;
