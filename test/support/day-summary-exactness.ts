// The day summary (DeliveryDaySummary) must equal a recount of the Delivery table after any mix
// of transitions. A seeded random walk drives the real outbox modules (enqueue with and without
// a hold, claim and settle as delivered / failed / rescheduled, settles refused for a lost
// lease, uninstall's skip, resend, hold release, compliance purges and retention) over several
// weeks of virtual time, and after every step the summary is compared with a count made here
// from the rows themselves. Then workers and writers run at once, against the same database.
// Used by test/delivery/day-summary.test.ts (SQLite) and test/postgres/day-summary.test.ts.
import type { PrismaClient } from "@prisma/client";
import { describe, expect, it } from "vitest";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";
import type { SettleDecision } from "~/delivery/outbox/settle-plan";
import { TRANSITION_NAMES, type Transition } from "~/delivery/outbox/states";

const SHOPS = ["sum-a.myshopify.com", "sum-b.myshopify.com"];
const PIXELS = ["CSUMPIXEL0000000001", "CSUMPIXEL0000000002"];
const JOURNEYS = [null, "theme_cart", "direct_checkout", "draft_or_other"];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** mulberry32: the same walk on every run and both databases. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function modules() {
  return {
    enqueue: (await import("~/delivery/outbox/enqueue.server")).enqueue,
    claim: (await import("~/delivery/outbox/claim.server")).claim,
    renew: (await import("~/delivery/outbox/renew.server")).renew,
    release: (await import("~/delivery/outbox/release.server")).release,
    settle: (await import("~/delivery/outbox/settle.server")).settle,
    skipPending: (await import("~/delivery/outbox/skip.server")).skipPending,
    requeue: (await import("~/delivery/outbox/requeue.server")).requeue,
    releaseHold: (await import("~/delivery/outbox/hold.server")).releaseHold,
    purge: await import("~/delivery/outbox/purge.server"),
    buildEvent: (await import("~/tiktok/event-builder")).buildEvent,
    hash: (await import("~/tiktok/hashing")).hashUserIdentifiers,
  };
}

type Counts = Record<string, number>;

/** The summary as stored, without rows that came back to zero. */
async function stored(prisma: PrismaClient): Promise<Counts> {
  const rows = await prisma.deliveryDaySummary.findMany();
  const out: Counts = {};
  for (const r of rows)
    if (r.count !== 0)
      out[
        [
          r.shop,
          r.day,
          r.source,
          r.pixelCode,
          r.status,
          r.matchKeys,
          r.journey,
        ].join("|")
      ] = r.count;
  return out;
}

/** The same counts made from the deliveries, with the day taken in JavaScript. */
async function recount(prisma: PrismaClient): Promise<Counts> {
  const rows = await prisma.delivery.findMany({
    select: {
      shop: true,
      createdAt: true,
      source: true,
      pixelCode: true,
      status: true,
      matchKeys: true,
      journey: true,
    },
  });
  const out: Counts = {};
  for (const r of rows) {
    const key = [
      r.shop,
      r.createdAt.toISOString().slice(0, 10),
      r.source,
      r.pixelCode,
      r.status,
      r.matchKeys,
      r.journey ?? "",
    ].join("|");
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

export function defineDaySummaryExactness(getPrisma: () => PrismaClient) {
  describe("the day summary stays equal to a recount of the deliveries", () => {
    it("after a random walk of every transition, checked at each step", async () => {
      const prisma = getPrisma();
      const m = await modules();
      const rand = random(13_3);
      const pick = <T>(list: readonly T[]): T =>
        list[Math.floor(rand() * list.length)];
      let clock = new Date("2026-10-01T06:00:00Z").getTime();
      let seq = 0;
      const used = new Map<string, number>();
      // Every transition of app/delivery/outbox/states.ts must have moved a row at least once.
      const exercised = new Set<Transition>();

      function newDelivery(now: Date): NewDelivery {
        const n = ++seq;
        const shop = pick(SHOPS);
        const storefront = rand() < 0.3;
        const user = {
          ...m.hash({
            emails: rand() < 0.8 ? [`buyer${n}@example.com`] : [],
            phones: rand() < 0.4 ? ["+14155550100"] : [],
            externalIds: rand() < 0.5 ? [String(n)] : [],
          }),
          ttclid: rand() < 0.3 ? `E.C.P.${n}` : undefined,
          ttp: rand() < 0.5 ? `ttp-${n}` : undefined,
          ip: rand() < 0.9 ? "203.0.113.7" : undefined,
          userAgent: "Mozilla/5.0 (test)",
        };
        const eventName = storefront ? "ViewContent" : "Purchase";
        return {
          shop,
          source: storefront ? "storefront" : "order",
          pixelCode: pick(PIXELS),
          sessionKey: storefront ? `s${n % 7}` : null,
          orderId: storefront ? null : String(5000 + n),
          orderName: storefront ? null : `#${1000 + n}`,
          journey: storefront ? null : pick(JOURNEYS),
          skippedReason:
            rand() < 0.1 ? "Not sent: consent declined." : undefined,
          holdUntil:
            !storefront && rand() < 0.3
              ? new Date(now.getTime() + 10 * 60_000)
              : null,
          event: m.buildEvent({
            eventName,
            eventId: `${n}_${eventName}`,
            eventTime: now,
            user,
            properties: { currency: "USD", value: 10 },
          }),
        };
      }

      async function settleSome(now: Date, owner: string) {
        const claimed = await m.claim(prisma, {
          owner,
          now,
          leaseMs: 60_000,
          limit: 1 + Math.floor(rand() * 8),
        });
        if (claimed.length === 0) return "settle (nothing due)";
        exercised.add("claim");
        if (rand() < 0.3) {
          const held = await m.renew(
            prisma,
            owner,
            claimed.map((c) => c.id),
            new Date(now.getTime() + 90_000),
          );
          if (held.size > 0) exercised.add("renew");
        }
        // A stopping worker hands its leases back instead of settling.
        if (rand() < 0.1) {
          if ((await m.release(prisma, owner)) > 0) exercised.add("release");
          return "settle released";
        }
        const decisions: SettleDecision[] = claimed.map((c) => {
          const base = {
            outboxId: c.id,
            deliveryId: c.delivery.id,
            tries: 1,
            lastAttemptAt: now,
          };
          const r = rand();
          if (r < 0.55) return { kind: "delivered", ...base };
          if (r < 0.8)
            return { kind: "failed", ...base, reason: "TikTok refused it." };
          return {
            kind: "reschedule",
            ...base,
            retryAt: new Date(now.getTime() + 30 * 60_000),
            attempts: c.attempts + 1,
            firstAttemptAt: now,
            lastError: "rate limited",
          };
        });
        // Now and then the lease expires and another worker takes the rows first: the slow
        // worker's settle must then count nothing.
        if (rand() < 0.15) {
          const later = new Date(now.getTime() + 120_000);
          await m.claim(prisma, {
            owner: `${owner}-fast`,
            now: later,
            leaseMs: 60_000,
            limit: 100,
          });
          const counts = await m.settle(
            prisma,
            owner,
            { decisions, attempts: [] },
            later,
          );
          expect(counts).toEqual({ delivered: 0, failed: 0, rescheduled: 0 });
          return "settle refused (lease lost)";
        }
        const counts = await m.settle(
          prisma,
          owner,
          { decisions, attempts: [] },
          now,
        );
        if (counts.delivered > 0) exercised.add("deliver");
        if (counts.failed > 0) exercised.add("fail");
        if (counts.rescheduled > 0) exercised.add("reschedule");
        return `settle ${decisions.map((d) => d.kind).join(",")}`;
      }

      async function anyDelivery(where: object = {}) {
        const ids = await prisma.delivery.findMany({
          where,
          select: { id: true, shop: true },
          orderBy: { id: "asc" },
        });
        return ids.length > 0 ? pick(ids) : null;
      }

      const steps: [number, (now: Date) => Promise<string>][] = [
        [
          30,
          async (now) => {
            const batch = Array.from(
              { length: 1 + Math.floor(rand() * 6) },
              () => newDelivery(now),
            );
            // Sometimes an event already recorded comes again: refused, counted once.
            if (rand() < 0.2 && seq > 3) batch.push({ ...batch[0] });
            const done = await prisma.$transaction((tx) =>
              m.enqueue(tx, batch, now),
            );
            if (done.some((d) => d.created)) exercised.add("enqueue");
            return `enqueue ${batch.length}`;
          },
        ],
        [30, (now) => settleSome(now, "walker")],
        [
          3,
          async () => {
            const shop = pick(SHOPS);
            const n = await prisma.$transaction((tx) =>
              m.skipPending(tx, shop, "Not sent: the app was uninstalled."),
            );
            if (n > 0) exercised.add("skip");
            return `skip ${n}`;
          },
        ],
        [
          10,
          async (now) => {
            const row = await anyDelivery({
              status: { in: ["delivered", "failed"] },
            });
            if (!row) return "requeue (none)";
            const ok = await prisma.$transaction((tx) =>
              m.requeue(tx, row.shop, row.id, now),
            );
            if (ok) exercised.add("requeue");
            return `requeue ${ok}`;
          },
        ],
        [
          10,
          async (now) => {
            const held = await prisma.delivery.findFirst({
              where: {
                status: "pending",
                outbox: {
                  is: {
                    attempts: 0,
                    leaseOwner: null,
                    nextAttemptAt: { gt: now },
                  },
                },
              },
              select: { id: true, shop: true, payload: true },
            });
            if (!held) return "release hold (none held)";
            const event = JSON.parse(held.payload) as ReturnType<
              typeof m.buildEvent
            >;
            const late = {
              ...event,
              user: { ...event.user, ttclid: "E.C.P.late", ttp: "ttp-late" },
            };
            const ok = await prisma.$transaction((tx) =>
              m.releaseHold(
                tx,
                held.shop,
                held.id,
                { event: late, keySources: '{"ttclid":"checkout_pixel"}' },
                now,
              ),
            );
            if (ok) exercised.add("releaseHold");
            return `release hold ${ok}`;
          },
        ],
        [
          5,
          async () => {
            const row = await anyDelivery();
            if (!row) return "purge (none)";
            const n = await prisma.$transaction((tx) =>
              m.purge.purgeDeliveries(tx, row.shop, [row.id]),
            );
            if (n > 0) exercised.add("purge");
            return "purge one";
          },
        ],
        [
          2,
          async () => {
            const shop = pick(SHOPS);
            const n = await prisma.$transaction((tx) =>
              m.purge.purgeStorefrontSessions(tx, shop, [
                `s${Math.floor(rand() * 7)}`,
              ]),
            );
            return `purge session ${n}`;
          },
        ],
        [
          3,
          async (now) => {
            const n = await prisma.$transaction((tx) =>
              m.purge.purgeExpired(tx, new Date(now.getTime() - 10 * DAY)),
            );
            return `retention ${n}`;
          },
        ],
        [
          1,
          async () => {
            const shop = pick(SHOPS);
            const n = await prisma.$transaction((tx) =>
              m.purge.purgeShopDeliveries(tx, shop),
            );
            return `shop purge ${n}`;
          },
        ],
      ];
      const total = steps.reduce((a, [w]) => a + w, 0);
      for (let step = 0; step < 400; step++) {
        // Time moves by minutes to hours, so days (and UTC midnights) go by.
        clock += Math.floor(rand() * 3 * HOUR);
        const now = new Date(clock);
        let r = rand() * total;
        const [, run] = steps.find(([w]) => (r -= w) < 0) ?? steps[0];
        const what = await run(now);
        used.set(what.split(" ")[0], (used.get(what.split(" ")[0]) ?? 0) + 1);
        expect({ step, what, counts: await stored(prisma) }).toEqual({
          step,
          what,
          counts: await recount(prisma),
        });
      }
      // The walk did go through every kind of step, and left rows to count.
      expect([...used.keys()].sort()).toEqual(
        [
          "enqueue",
          "purge",
          "release",
          "requeue",
          "retention",
          "settle",
          "shop",
          "skip",
        ].sort(),
      );
      expect(Object.keys(await stored(prisma)).length).toBeGreaterThan(5);
      expect([...exercised].sort()).toEqual([...TRANSITION_NAMES].sort());
    });

    it("while workers settle, webhooks enqueue and merchants resend at the same time", async () => {
      const prisma = getPrisma();
      const m = await modules();
      const now = new Date("2026-11-30T23:59:00Z");
      const seqStart = 100_000;
      const events = (from: number, count: number, shop: string) =>
        Array.from({ length: count }, (_, i) => {
          const n = from + i;
          return {
            shop,
            source: "order" as const,
            pixelCode: PIXELS[n % 2],
            journey: JOURNEYS[n % 4],
            event: m.buildEvent({
              eventName: "Purchase",
              eventId: `${n}_Purchase`,
              eventTime: now,
              user: {
                ttp: n % 3 === 0 ? `ttp-${n}` : undefined,
                ip: "203.0.113.7",
                userAgent: "UA",
              },
            }),
          };
        });
      await prisma.$transaction((tx) =>
        m.enqueue(tx, events(seqStart, 120, SHOPS[0]), now),
      );
      const worker = async (owner: string) => {
        for (;;) {
          const claimed = await m.claim(prisma, {
            owner,
            now,
            leaseMs: 60_000,
            limit: 7,
          });
          if (claimed.length === 0) return;
          await m.settle(
            prisma,
            owner,
            {
              decisions: claimed.map((c, i) =>
                i % 3 === 2
                  ? {
                      kind: "failed" as const,
                      outboxId: c.id,
                      deliveryId: c.delivery.id,
                      tries: 1,
                      lastAttemptAt: now,
                      reason: "refused",
                    }
                  : {
                      kind: "delivered" as const,
                      outboxId: c.id,
                      deliveryId: c.delivery.id,
                      tries: 1,
                      lastAttemptAt: now,
                    },
              ),
              attempts: [],
            },
            now,
          );
        }
      };
      const webhooks = async () => {
        for (let i = 0; i < 10; i++)
          await prisma.$transaction((tx) =>
            m.enqueue(tx, events(seqStart + 1000 + i * 5, 5, SHOPS[1]), now),
          );
      };
      const resends = async () => {
        for (let i = 0; i < 15; i++) {
          const done = await prisma.delivery.findFirst({
            where: { status: { in: ["delivered", "failed"] } },
            select: { id: true, shop: true },
          });
          if (done)
            await prisma.$transaction((tx) =>
              m.requeue(tx, done.shop, done.id, now),
            );
        }
      };
      await Promise.all([
        worker("w1"),
        worker("w2"),
        worker("w3"),
        webhooks(),
        resends(),
      ]);
      await worker("w4"); // what was resent or enqueued last
      expect(await stored(prisma)).toEqual(await recount(prisma));
      const statuses = await prisma.delivery.groupBy({
        by: ["status"],
        _count: { _all: true },
      });
      // Everything due was settled, both ways (the walk before left some skipped rows too).
      const seen = statuses.map((s) => s.status);
      expect(seen).toEqual(expect.arrayContaining(["delivered", "failed"]));
      expect(seen).not.toContain("pending");
    });

    it("npm run rebuild-summary's recount repairs a summary left wrong, also while workers and webhooks write", async () => {
      const prisma = getPrisma();
      const m = await modules();
      const { rebuildDaySummaries } =
        await import("~/delivery/outbox/day-summary.server");
      // What a process of the previous version leaves: counts off, a row missing, one too many.
      const some = await prisma.deliveryDaySummary.findFirstOrThrow({
        where: { count: { gt: 0 } },
      });
      await prisma.deliveryDaySummary.updateMany({
        where: { status: "delivered" },
        data: { count: { increment: 5 } },
      });
      await prisma.deliveryDaySummary.delete({
        where: {
          shop_day_source_pixelCode_status_matchKeys_journey: {
            shop: some.shop,
            day: some.day,
            source: some.source,
            pixelCode: some.pixelCode,
            status: some.status,
            matchKeys: some.matchKeys,
            journey: some.journey,
          },
        },
      });
      await prisma.deliveryDaySummary.create({
        data: { ...some, day: "2020-01-01", count: 3 },
      });
      expect(await stored(prisma)).not.toEqual(await recount(prisma));

      // Rebuilds while webhooks enqueue and a worker settles: their changes land either in
      // the recount or on top of it, never both, never neither.
      const now = new Date("2026-12-01T12:00:00Z");
      const webhooks = async () => {
        for (let i = 0; i < 8; i++)
          await prisma.$transaction((tx) =>
            m.enqueue(
              tx,
              Array.from({ length: 4 }, (_, j) => ({
                shop: SHOPS[(i + j) % 2],
                source: "order" as const,
                pixelCode: PIXELS[j % 2],
                journey: JOURNEYS[j],
                event: m.buildEvent({
                  eventName: "Purchase",
                  eventId: `${200_000 + i * 10 + j}_Purchase`,
                  eventTime: now,
                  user: { ip: "203.0.113.7", userAgent: "UA" },
                }),
              })),
              now,
            ),
          );
      };
      const worker = async () => {
        for (let round = 0; round < 8; round++) {
          const claimed = await m.claim(prisma, {
            owner: "rebuild-w",
            now,
            leaseMs: 60_000,
            limit: 3,
          });
          if (claimed.length > 0)
            await m.settle(
              prisma,
              "rebuild-w",
              {
                decisions: claimed.map((c) => ({
                  kind: "delivered" as const,
                  outboxId: c.id,
                  deliveryId: c.delivery.id,
                  tries: 1,
                  lastAttemptAt: now,
                })),
                attempts: [],
              },
              now,
            );
        }
      };
      const rebuilds = async () => {
        for (let i = 0; i < 3; i++) await rebuildDaySummaries(prisma);
      };
      await Promise.all([webhooks(), worker(), rebuilds()]);
      expect(await stored(prisma)).toEqual(await recount(prisma));
    });
  });
}
