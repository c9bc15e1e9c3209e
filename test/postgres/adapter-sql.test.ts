// Raw transactions on the pg adapter (test/support/adapter-sql.ts), in a fresh database
// of its own on the TEST_POSTGRES_URL server (see postgres.test.ts), and what only PostgreSQL
// can do to them: lose the connection in the middle.
import { expect, it } from "vitest";
import { defineAdapterTransactionTests } from "../support/adapter-sql";
import { describeOnPostgres } from "../support/describe-postgres";

describeOnPostgres(
  "raw transactions on the pg adapter",
  "tiktok_pg_rawtx",
  (prisma) => {
    defineAdapterTransactionTests(prisma);

    it("a connection lost in the middle: the caller gets why the work failed, not the failed ROLLBACK, and the pool goes on", async () => {
      const { runRawTransaction } = await import("~/db/adapter-sql.server");
      const failure = new Error(
        "the work failed after its connection was lost",
      );
      await expect(
        runRawTransaction(prisma(), async (tx) => {
          // The server ends this connection: the statement fails, and so will ROLLBACK.
          await tx.$queryRaw`SELECT pg_terminate_backend(pg_backend_pid())`.catch(
            () => {},
          );
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(
        await runRawTransaction(
          prisma(),
          (tx) => tx.$queryRaw<{ one: number }[]>`SELECT 1 AS "one"`,
        ),
      ).toEqual([{ one: 1 }]);
    });
  },
);
