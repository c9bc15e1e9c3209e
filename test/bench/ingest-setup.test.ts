import { describe } from "vitest";
import { sqliteDatabase } from "./ingest";
import { defineIngestBenchSetup } from "../support/ingest-bench-setup";

describe("ingest bench set-up on SQLite", () => {
  defineIngestBenchSetup(sqliteDatabase);
});
