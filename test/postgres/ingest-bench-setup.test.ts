// The ingest bench's set-up (test/support/ingest-bench-setup.ts) on PostgreSQL, in a fresh
// database of its own on the TEST_POSTGRES_URL server (see postgres.test.ts).
import { postgresDatabase } from "../bench/ingest";
import { defineIngestBenchSetup } from "../support/ingest-bench-setup";
import { describeWithPostgres } from "../support/describe-postgres";

describeWithPostgres("ingest bench set-up on PostgreSQL", (serverUrl) => {
  defineIngestBenchSetup(() => postgresDatabase(serverUrl));
});
