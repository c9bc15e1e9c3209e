// The single-pixel → pixels migration on PostgreSQL, on a copy of the old schema with rows
// (test/support/pixel-migration.ts says what is checked), in a database of its own on the
// TEST_POSTGRES_URL server.
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, it } from "vitest";
import { migrationFiles } from "../support/database";
import { checkPixelMigration } from "../support/pixel-migration";
import { describeWithPostgres } from "../support/describe-postgres";
import {
  createPostgresDatabase,
  type PostgresDatabase,
} from "../support/postgres";

describeWithPostgres("pixels migration on PostgreSQL", (baseUrl) => {
  let database: PostgresDatabase | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    database = await createPostgresDatabase(baseUrl, "tiktok_pg_pixels", {
      migrate: false,
    });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop().catch(() => {});
  });

  it("moves the shop's pixel, token and switches into its first Pixel row; the log keeps its history", async () => {
    const numbered = (sql: string) => {
      let n = 0;
      return sql.replace(/\?/g, () => `$${++n}`);
    };
    const migrations = migrationFiles(
      path.resolve("prisma", "postgresql", "migrations"),
    );
    await checkPixelMigration({
      run: async (sql, args = []) => {
        await client.query(numbered(sql), args);
      },
      all: async <T>(sql: string, args: unknown[] = []) =>
        (await client.query(numbered(sql), args)).rows as T[],
      migrate: async ({ before, from }) => {
        for (const [name, sql] of migrations) {
          if (before !== undefined && name >= before) continue;
          if (from !== undefined && name < from) continue;
          await client.query(sql);
        }
      },
    });
  });
});
