// Raw transactions on the pg adapter (test/support/adapter-sql.ts), in a fresh database
// of its own on the TEST_POSTGRES_URL server (see postgres.test.ts).
import { defineAdapterTransactionTests } from "../support/adapter-sql";
import { describeOnPostgres } from "../support/describe-postgres";

describeOnPostgres(
  "raw transactions on the pg adapter",
  "tiktok_pg_rawtx",
  defineAdapterTransactionTests,
);
