// The day summary's exactness (test/support/day-summary-exactness.ts) on PostgreSQL, in a
// fresh database of its own on the TEST_POSTGRES_URL server (see postgres.test.ts).
import { defineDaySummaryExactness } from "../support/day-summary-exactness";
import { describeOnPostgres } from "../support/describe-postgres";

describeOnPostgres(
  "PostgreSQL day summary",
  "tiktok_pg_sum",
  defineDaySummaryExactness,
);
