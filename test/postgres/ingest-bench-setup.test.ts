// The ingest bench's set-up (test/support/ingest-bench-setup.ts) on PostgreSQL, in a fresh
// database of its own on the TEST_POSTGRES_URL server (see postgres.test.ts).
import { describe, it } from "vitest";
import { postgresDatabase } from "../bench/ingest";
import { defineIngestBenchSetup } from "../support/ingest-bench-setup";
import { TEST_POSTGRES_URL } from "../support/postgres";

if (!TEST_POSTGRES_URL) {
  describe("ingest bench set-up on PostgreSQL", () => {
    // postgres.test.ts is the one that fails CI when the server is missing.
    it.skip("skipped: TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh)", () => {});
  });
} else {
  const serverUrl = TEST_POSTGRES_URL;
  describe("ingest bench set-up on PostgreSQL", () => {
    defineIngestBenchSetup(() => postgresDatabase(serverUrl));
  });
}
