// A held Purchase in the outbox, on SQLite: enqueue with holdUntil keeps the row from workers
// until then; releaseHold makes it due at once, and refuses once the row has left the hold.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { applyMigrations } from "../support/database";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";

const SHOP = "hold.myshopify.com";
let prisma: PrismaClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "outbox-hold-"));
  const url = `file:${path.join(dir, "test.sqlite")}`;
  await applyMigrations(url);
  process.env.DATABASE_URL = url;
  globalThis.prismaGlobal = undefined;
  prisma = (await import("~/db.server")).default;
});
afterAll(async () => {
  await prisma?.$disconnect();
  globalThis.prismaGlobal = undefined;
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await prisma.outboxEntry.deleteMany({});
  await prisma.delivery.deleteMany({});
});

const T0 = new Date("2026-12-02T08:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

async function purchase(user: Record<string, string>) {
  const { buildEvent } = await import("~/tiktok/event-builder");
  return buildEvent({
    eventName: "Purchase",
    eventId: "6120458731001_Purchase",
    eventTime: T0,
    user,
  });
}

async function enqueueHeld(): Promise<string> {
  const { enqueue } = await import("~/delivery/outbox/enqueue.server");
  const input: NewDelivery = {
    shop: SHOP,
    source: "order",
    pixelCode: "CHOLDPIXEL000000001",
    orderId: "gid://shopify/Order/6120458731001",
    event: await purchase({ ip: "198.51.100.1", userAgent: "OrderUA" }),
    holdUntil: at(60),
    keySources: '{"ip":"order","user_agent":"order"}',
  };
  const [row] = await prisma.$transaction((tx) => enqueue(tx, [input], T0));
  return row.deliveryId;
}

const claimAt = async (when: Date) => {
  const { claim } = await import("~/delivery/outbox/claim.server");
  return claim(prisma, { owner: "w1", now: when, leaseMs: 60_000, limit: 10 });
};

async function release(deliveryId: string, when: Date) {
  const { releaseHold } = await import("~/delivery/outbox/hold.server");
  const event = await purchase({
    ttclid: "E.C.P.late",
    ip: "203.0.113.5",
    userAgent: "BrowserUA",
  });
  return prisma.$transaction((tx) =>
    releaseHold(
      tx,
      SHOP,
      deliveryId,
      { event, keySources: '{"ttclid":"checkout_pixel"}' },
      when,
    ),
  );
}

describe("a held Purchase", () => {
  it("is not claimed before its hold ends, and is claimed after", async () => {
    const id = await enqueueHeld();
    expect(
      (
        await prisma.outboxEntry.findUniqueOrThrow({
          where: { deliveryId: id },
        })
      ).nextAttemptAt,
    ).toEqual(at(60));
    expect(await claimAt(at(59))).toEqual([]);
    const claimed = await claimAt(at(60));
    expect(claimed.map((c) => c.delivery.id)).toEqual([id]);
    expect(JSON.parse(claimed[0].delivery.payload).user).toEqual({
      ip: "198.51.100.1",
      user_agent: "OrderUA",
    });
  });

  it("releaseHold during the hold makes it due now with the new event, under the same event id", async () => {
    const id = await enqueueHeld();
    expect(await release(id, at(5))).toBe(true);
    const claimed = await claimAt(at(5));
    expect(claimed.map((c) => c.delivery.id)).toEqual([id]);
    const payload = JSON.parse(claimed[0].delivery.payload);
    expect(payload.event_id).toBe("6120458731001_Purchase");
    expect(payload.user.ttclid).toBe("E.C.P.late");
    expect(
      await prisma.delivery.findUniqueOrThrow({ where: { id } }),
    ).toMatchObject({
      matchKeys: "ttclid,ip_ua",
      keySources: '{"ttclid":"checkout_pixel"}',
    });
  });

  it("releaseHold refuses, changing nothing, once the hold is over, the row is claimed, or it was tried", async () => {
    const snapshot = async (id: string) => ({
      delivery: await prisma.delivery.findUniqueOrThrow({ where: { id } }),
      outbox: await prisma.outboxEntry.findUnique({
        where: { deliveryId: id },
      }),
    });
    // The hold is over (the worker may take it at any moment).
    let id = await enqueueHeld();
    let before = await snapshot(id);
    expect(await release(id, at(61))).toBe(false);
    expect(await snapshot(id)).toEqual(before);

    // Claimed by a worker (its request may be on the way to TikTok).
    await prisma.outboxEntry.deleteMany({});
    await prisma.delivery.deleteMany({});
    id = await enqueueHeld();
    await claimAt(at(60));
    before = await snapshot(id);
    expect(await release(id, at(10))).toBe(false);
    expect(await snapshot(id)).toEqual(before);

    // Tried once and rescheduled to a later time: no longer held, even though it is not due.
    await prisma.outboxEntry.updateMany({
      data: { leaseOwner: null, leaseExpiresAt: null, attempts: 1 },
    });
    before = await snapshot(id);
    expect(await release(id, at(10))).toBe(false);
    expect(await snapshot(id)).toEqual(before);
  });
});
