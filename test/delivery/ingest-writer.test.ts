// The ingest writer's transact(): work that must read before it writes (the checkout relay) joins
// the group commit. Real SQLite through Prisma.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { IngestWriter } from "~/delivery/ingest-writer.server";
import { createTestApp, type TestApp } from "../support/test-app";

const SHOP = "writer.myshopify.com";
let app: TestApp;
let writer: IngestWriter;

beforeAll(async () => {
  app = await createTestApp();
  const { ingestWriter } = await import("~/delivery/runtime.server");
  writer = ingestWriter();
});
afterAll(() => app.close());
beforeEach(async () => {
  await app.prisma.webhookReceipt.deleteMany({});
});

const receipts = async () =>
  (
    await app.prisma.webhookReceipt.findMany({
      where: { shop: SHOP },
      orderBy: { id: "asc" },
    })
  ).map((r) => r.id);

describe("IngestWriter.transact", () => {
  it("runs work submitted together in one transaction, in order: later work sees earlier rows", async () => {
    const [first, second, submitted] = await Promise.all([
      writer.transact(async (tx) => {
        await tx.webhookReceipt.create({
          data: { id: "w-1", shop: SHOP, topic: "T" },
        });
        return "first";
      }),
      writer.transact((tx) =>
        tx.webhookReceipt.count({ where: { id: "w-1" } }),
      ),
      writer.submit({
        receipt: { id: "w-2", shop: SHOP, topic: "T" },
        deliveries: [],
      }),
    ]);
    expect(first).toBe("first");
    expect(second).toBe(1);
    expect(submitted.duplicateReceipt).toBe(false);
    expect(await receipts()).toEqual(["w-1", "w-2"]);
  });

  it("failing work rejects with its own error and leaves nothing behind; the rest of its batch commits", async () => {
    let firstRuns = 0;
    const results = await Promise.allSettled([
      writer.transact(async (tx) => {
        firstRuns += 1;
        await tx.webhookReceipt.create({
          data: { id: "f-1", shop: SHOP, topic: "T" },
        });
        return "kept";
      }),
      writer.transact(async (tx) => {
        await tx.webhookReceipt.create({
          data: { id: "f-2", shop: SHOP, topic: "T" },
        });
        throw new Error("boom");
      }),
      writer.submit({
        receipt: { id: "f-3", shop: SHOP, topic: "T" },
        deliveries: [],
      }),
    ]);
    expect(results[0]).toEqual({ status: "fulfilled", value: "kept" });
    expect(results[1]).toMatchObject({
      status: "rejected",
      reason: { message: "boom" },
    });
    expect(results[2]).toMatchObject({
      status: "fulfilled",
      value: { duplicateReceipt: false },
    });
    // The shared transaction was rolled back and the first work ran again on its own.
    expect(firstRuns).toBe(2);
    expect(await receipts()).toEqual(["f-1", "f-3"]);
  });

  it("a lone failing job rejects at once (no retry)", async () => {
    let runs = 0;
    await expect(
      writer.transact(async () => {
        runs += 1;
        throw new Error("alone");
      }),
    ).rejects.toThrow("alone");
    expect(runs).toBe(1);
    expect(await receipts()).toEqual([]);
  });
});
