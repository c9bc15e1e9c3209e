import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TunedPrismaLibSQL } from "./sqlite-client.server";

const dir = mkdtempSync(path.join(tmpdir(), "sqlite-tuning-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// SQLite reports PRAGMA synchronous as a number: 1 = NORMAL, 2 = FULL (https://sqlite.org/pragma.html#pragma_synchronous).
async function synchronousOf(adapter: TunedPrismaLibSQL, file: string) {
  const client = adapter.createClient({ url: `file:${path.join(dir, file)}` });
  try {
    const result = await client.execute("PRAGMA synchronous");
    return Number(result.rows[0][0]);
  } finally {
    client.close();
  }
}

describe("TunedPrismaLibSQL", () => {
  it("applies the synchronous setting it is given (SQLITE_SYNCHRONOUS, parsed by app/config)", async () => {
    const url = `file:${path.join(dir, "a.sqlite")}`;
    expect(
      await synchronousOf(new TunedPrismaLibSQL({ url }), "a.sqlite"),
    ).toBe(1);
    expect(
      await synchronousOf(
        new TunedPrismaLibSQL({ url }, { synchronous: "FULL" }),
        "b.sqlite",
      ),
    ).toBe(2);
  });
});
