// The delivery transition table (test/support/outbox-transitions.ts) on PostgreSQL, in a
// fresh database of its own on the TEST_POSTGRES_URL server (see postgres.test.ts).
import { defineTransitionTable } from "../support/outbox-transitions";
import { describeOnPostgres } from "../support/describe-postgres";

describeOnPostgres(
  "PostgreSQL delivery transitions",
  "tiktok_pg_tr",
  defineTransitionTable,
);
