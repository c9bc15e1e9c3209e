// runRawTransaction and rawStatements (app/db/adapter-sql.server.ts) on a database: what it commits is
// stored with its types intact, what fails is rolled back and rethrown, the connection is fit
// for the next transaction, and Prisma's own queries never run inside it.
import type { PrismaClient } from "@prisma/client";
import { expect, it } from "vitest";

export function defineAdapterTransactionTests(prisma: () => PrismaClient) {
  const load = async () => {
    const { runRawTransaction, rawStatements } =
      await import("~/db/adapter-sql.server");
    const batch = await import("~/checkout/context-batch.server");
    return { runRawTransaction, rawStatements, ...batch };
  };
  const receipt = (id: string) => ({
    id,
    shop: "adapter.myshopify.com",
    topic: "ORDERS_CREATE",
  });
  const insertReceipt = (id: string) =>
    prisma()
      .$executeRaw`INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
      VALUES (${id}, 'adapter.myshopify.com', 'ORDERS_CREATE', ${new Date()})`;

  it("commits: texts, numbers and timestamps read back as written, through Prisma and through the adapter", async () => {
    const {
      runRawTransaction,
      rawStatements,
      readCheckoutContexts,
      upsertCheckoutContextsSql,
    } = await load();
    const startedAt = new Date("2026-11-27T10:11:12.345Z");
    const returned = await runRawTransaction(prisma(), async (tx) => {
      const rows = await tx.$queryRaw<{ id: string; n: number | bigint }[]>`
        INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
        VALUES (${"commit-1"}, ${"adapter.myshopify.com"}, ${"ORDERS_CREATE"}, ${startedAt})
        RETURNING "id", 7 AS "n"`;
      await tx.$executeRaw`${upsertCheckoutContextsSql([
        {
          shop: "adapter.myshopify.com",
          checkoutToken: "tok-1",
          seenAt: startedAt,
          context: {
            ttclid: "E.C.P.x",
            ttp: null,
            sessionKey: "s-1",
            consent: "granted",
            ip: null,
            userAgent: null,
            emailHash: "a".repeat(64),
            phoneHash: null,
            pageUrl: null,
            orderId: "820982911946154508",
            startedAt,
            completedAt: null,
          },
        },
      ])}`;
      return rows;
    });
    expect(returned).toEqual([{ id: "commit-1", n: expect.anything() }]);
    expect(
      await rawStatements(prisma()).$queryRaw<{ id: string; topic: string }[]>`
        SELECT "id", "topic" FROM "WebhookReceipt" WHERE "id" = ${"commit-1"}`,
    ).toEqual([{ id: "commit-1", topic: "ORDERS_CREATE" }]);
    expect(Number(returned[0].n)).toBe(7);
    expect(
      await prisma().webhookReceipt.findUnique({ where: { id: "commit-1" } }),
    ).toMatchObject({ ...receipt("commit-1"), receivedAt: startedAt });

    const stored = await runRawTransaction(prisma(), (tx) =>
      readCheckoutContexts(tx, [
        { shop: "adapter.myshopify.com", checkoutToken: "tok-1" },
      ]),
    );
    expect([...stored.values()]).toEqual([
      expect.objectContaining({
        ttclid: "E.C.P.x",
        consent: "granted",
        orderId: "820982911946154508",
        startedAt,
        completedAt: null,
      }),
    ]);
  });

  it("rolls back and rethrows what the work throws; the next transaction runs", async () => {
    const { runRawTransaction } = await load();
    const failure = new Error("the work failed");
    await expect(
      runRawTransaction(prisma(), async (tx) => {
        await tx.$executeRaw`INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
          VALUES (${"rolled-back"}, 'adapter.myshopify.com', 'ORDERS_CREATE', ${new Date()})`;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(
      await prisma().webhookReceipt.count({ where: { id: "rolled-back" } }),
    ).toBe(0);

    await runRawTransaction(
      prisma(),
      (tx) =>
        tx.$executeRaw`INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
        VALUES (${"after-rollback"}, 'adapter.myshopify.com', 'ORDERS_CREATE', ${new Date()})`,
    );
    expect(
      await prisma().webhookReceipt.count({ where: { id: "after-rollback" } }),
    ).toBe(1);
  });

  it("a statement the database refuses (a duplicate key) rolls back the statements before it", async () => {
    const { runRawTransaction } = await load();
    await insertReceipt("taken");
    await expect(
      runRawTransaction(prisma(), async (tx) => {
        await tx.$executeRaw`INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
          VALUES (${"before-duplicate"}, 'adapter.myshopify.com', 'ORDERS_CREATE', ${new Date()})`;
        await tx.$executeRaw`INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
          VALUES (${"taken"}, 'adapter.myshopify.com', 'ORDERS_CREATE', ${new Date()})`;
      }),
    ).rejects.toThrow();
    expect(
      await prisma().webhookReceipt.count({
        where: { id: { in: ["before-duplicate", "taken"] } },
      }),
    ).toBe(1);
    await insertReceipt("fine-afterwards");
  });

  it("Prisma's own queries and single raw statements wait outside: a write made while it is open survives its rollback, and no read sees its rows", async () => {
    const { runRawTransaction, rawStatements } = await load();
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const raw = runRawTransaction(prisma(), async (tx) => {
      await tx.$executeRaw`INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
        VALUES (${"uncommitted"}, 'adapter.myshopify.com', 'ORDERS_CREATE', ${new Date()})`;
      opened();
      await new Promise((resolve) => setTimeout(resolve, 150));
      throw new Error("rolled back on purpose");
    });
    await isOpen;
    const [seen, seenRaw, written] = await Promise.all([
      prisma().webhookReceipt.count({ where: { id: "uncommitted" } }),
      rawStatements(prisma()).$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "WebhookReceipt" WHERE "id" = ${"uncommitted"}`,
      insertReceipt("written-meanwhile"),
      raw.catch(() => undefined),
    ]);
    expect(seen).toBe(0);
    expect(seenRaw).toEqual([]);
    expect(written).toBe(1);
    expect(
      await prisma().webhookReceipt.count({
        where: { id: { in: ["uncommitted", "written-meanwhile"] } },
      }),
    ).toBe(1);
  });

  it("after the client disconnects, the next transaction and statement connect it again", async () => {
    const { runRawTransaction, rawStatements } = await load();
    await prisma().$disconnect();
    await runRawTransaction(
      prisma(),
      (tx) =>
        tx.$executeRaw`INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
        VALUES (${"after-disconnect"}, 'adapter.myshopify.com', 'ORDERS_CREATE', ${new Date()})`,
    );
    await prisma().$disconnect();
    expect(
      await rawStatements(prisma()).$queryRaw<{ id: string }[]>`
        SELECT "id" FROM "WebhookReceipt" WHERE "id" = ${"after-disconnect"}`,
    ).toEqual([{ id: "after-disconnect" }]);
  });
}
