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

  it("a COMMIT SQLite refuses rolls the transaction back, so the shared connection can begin the next one", async () => {
    const adapter = new TunedPrismaLibSQL({
      url: `file:${path.join(dir, "c.sqlite")}`,
    });
    const client = adapter.createClient({
      url: `file:${path.join(dir, "c.sqlite")}`,
    });
    try {
      // A deferred foreign key is checked at COMMIT, which then fails and leaves the
      // transaction open (https://sqlite.org/foreignkeys.html#fk_deferred).
      await client.execute("PRAGMA foreign_keys = ON");
      await client.execute("CREATE TABLE parent (id TEXT PRIMARY KEY)");
      await client.execute(
        "CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
      );
      const failing = await client.transaction("write");
      await failing.execute("INSERT INTO child VALUES ('c1', 'missing')");
      await expect(failing.commit()).rejects.toThrow(/FOREIGN KEY/);

      const next = await client.transaction("write");
      await next.execute("INSERT INTO parent VALUES ('p1')");
      await next.commit();
      const counts = await client.execute(
        "SELECT (SELECT count(*) FROM parent) AS parents, (SELECT count(*) FROM child) AS children",
      );
      expect(Number(counts.rows[0].parents)).toBe(1);
      expect(Number(counts.rows[0].children)).toBe(0);
    } finally {
      client.close();
    }
  });
});
