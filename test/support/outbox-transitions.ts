// The delivery state machine against a real database: every transition is applied to a row
// in every state, and must act exactly when app/delivery/outbox/states.ts allows it and
// otherwise change nothing. The cases come from that table, so a new state or transition is
// covered (and needs an applier below, or this fails to compile).
import type { PrismaClient } from "@prisma/client";
import { beforeEach, describe, expect, it } from "vitest";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";
import {
  canTransition,
  DELETED,
  FROM_STATES,
  NONE,
  STATUS,
  TRANSITION_NAMES,
  TRANSITIONS,
  type FromState,
  type ToState,
  type Transition,
} from "~/delivery/outbox/states";
import type { SettleDecision, SettlePlan } from "~/delivery/outbox/settle-plan";

const SHOP = "transitions.myshopify.com";
const WORKER = "table-worker";
const EVENT_ID = "1001_Purchase";

interface Fixture {
  prisma: PrismaClient;
  now: Date;
  /** The row's delivery id; a fresh unused one for the state "none". */
  deliveryId: string;
  /** Its outbox row id, or one that does not exist. */
  outboxId: string;
  input: NewDelivery;
}

/** Applies one transition aimed at `to`; returns how many deliveries it moved (0 = refused). */
type Applier = (f: Fixture, to: ToState) => Promise<number>;

async function modules() {
  return {
    enqueue: await import("~/delivery/outbox/enqueue.server"),
    claim: await import("~/delivery/outbox/claim.server"),
    release: await import("~/delivery/outbox/release.server"),
    renew: await import("~/delivery/outbox/renew.server"),
    settle: await import("~/delivery/outbox/settle.server"),
    skip: await import("~/delivery/outbox/skip.server"),
    requeue: await import("~/delivery/outbox/requeue.server"),
    hold: await import("~/delivery/outbox/hold.server"),
    purge: await import("~/delivery/outbox/purge.server"),
  };
}

/** A plan for the fixture's row, built from its ids (not from a claim), so refusals are the SQL guard's. */
async function settleOne(
  f: Fixture,
  decision: SettleDecision,
): Promise<number> {
  const m = await modules();
  await m.claim.claim(f.prisma, {
    owner: WORKER,
    now: f.now,
    leaseMs: 60_000,
    limit: 10,
  });
  const attempt = {
    startedAt: new Date(f.now.getTime() - 500),
    durationMs: 80,
    httpStatus: 200,
    code: decision.kind === "delivered" ? 0 : 40100,
    message: "table",
    requestId: "req-table",
    outcome:
      decision.kind === "delivered"
        ? ("accepted" as const)
        : ("retryable" as const),
    batchSize: 1,
  };
  const plan: SettlePlan = {
    decisions: [decision],
    attempts: [{ attempt, deliveryIds: [f.deliveryId] }],
  };
  const counts = await m.settle.settle(f.prisma, WORKER, plan, f.now);
  return counts.delivered + counts.failed + counts.rescheduled;
}

const settled = (f: Fixture) => ({
  outboxId: f.outboxId,
  deliveryId: f.deliveryId,
  tries: 1,
  lastAttemptAt: new Date(f.now.getTime() - 500),
});

const APPLIERS: Record<Transition, Applier> = {
  enqueue: async (f, to) => {
    const { enqueue } = await modules().then((m) => m.enqueue);
    const input =
      to === STATUS.skipped
        ? { ...f.input, skippedReason: "Not sent: consent declined." }
        : f.input;
    const [result] = await f.prisma.$transaction((tx) =>
      enqueue(tx, [input], f.now),
    );
    return result.created ? 1 : 0;
  },
  claim: async (f) => {
    const { claim } = (await modules()).claim;
    return (
      await claim(f.prisma, {
        owner: WORKER,
        now: f.now,
        leaseMs: 60_000,
        limit: 10,
      })
    ).length;
  },
  renew: async (f) => {
    const m = await modules();
    await m.claim.claim(f.prisma, {
      owner: WORKER,
      now: f.now,
      leaseMs: 60_000,
      limit: 10,
    });
    const held = await m.renew.renew(
      f.prisma,
      WORKER,
      [f.outboxId],
      new Date(f.now.getTime() + 120_000),
    );
    return held.size;
  },
  release: async (f) => {
    const m = await modules();
    await m.claim.claim(f.prisma, {
      owner: WORKER,
      now: f.now,
      leaseMs: 60_000,
      limit: 10,
    });
    return m.release.release(f.prisma, WORKER);
  },
  deliver: (f) => settleOne(f, { kind: "delivered", ...settled(f) }),
  fail: (f) =>
    settleOne(f, {
      kind: "failed",
      ...settled(f),
      reason: "TikTok refused the event.",
    }),
  reschedule: (f) =>
    settleOne(f, {
      kind: "reschedule",
      ...settled(f),
      retryAt: new Date(f.now.getTime() + 30_000),
      attempts: 1,
      firstAttemptAt: new Date(f.now.getTime() - 500),
      lastError: "TikTok is rate limiting.",
    }),
  skip: async (f) => {
    const { skipPending } = (await modules()).skip;
    return f.prisma.$transaction((tx) =>
      skipPending(tx, SHOP, "Not sent: the app was uninstalled."),
    );
  },
  requeue: async (f) => {
    const { requeue } = (await modules()).requeue;
    return (await f.prisma.$transaction((tx) =>
      requeue(tx, SHOP, f.deliveryId, f.now),
    ))
      ? 1
      : 0;
  },
  // Evaluated as of 2 s before the fixture's time, when its pending row (due 1 s before) was
  // still held; the event is the same one with a click id added.
  releaseHold: async (f) => {
    const { releaseHold } = (await modules()).hold;
    const { buildEvent } = await import("~/tiktok/event-builder");
    const event = buildEvent({
      eventName: "Purchase",
      eventId: EVENT_ID,
      eventTime: new Date("2026-03-01T11:59:00Z"),
      user: { ttclid: "E.C.P.late", ip: "203.0.113.9", userAgent: "UA" },
    });
    return (await f.prisma.$transaction((tx) =>
      releaseHold(
        tx,
        SHOP,
        f.deliveryId,
        { event, keySources: '{"ttclid":"checkout_pixel"}' },
        new Date(f.now.getTime() - 2_000),
      ),
    ))
      ? 1
      : 0;
  },
  purge: async (f) => {
    const { purgeDeliveries } = (await modules()).purge;
    return f.prisma.$transaction((tx) =>
      purgeDeliveries(tx, SHOP, [f.deliveryId]),
    );
  },
};

export interface TransitionCase {
  transition: Transition;
  from: FromState;
  to: ToState;
  allowed: boolean;
}

/** Every (from-state, transition, target) combination, with what the table says about it. */
export function transitionCases(): TransitionCase[] {
  return TRANSITION_NAMES.flatMap((transition) => {
    const targets = [
      ...new Set(TRANSITIONS[transition].map(([, to]) => to as ToState)),
    ];
    return targets.flatMap((to) =>
      FROM_STATES.map((from) => ({
        transition,
        from,
        to,
        allowed: canTransition(transition, from, to),
      })),
    );
  });
}

async function input(): Promise<NewDelivery> {
  const { buildEvent } = await import("~/tiktok/event-builder");
  return {
    shop: SHOP,
    source: "order",
    pixelCode: "CTABLEPIXEL00000001",
    orderId: "gid://shopify/Order/1001",
    orderName: "#1001",
    event: buildEvent({
      eventName: "Purchase",
      eventId: EVENT_ID,
      eventTime: new Date("2026-03-01T11:59:00Z"),
      user: { ip: "203.0.113.9", userAgent: "UA" },
      properties: { currency: "USD", value: 10 },
    }),
  };
}

/** Puts one delivery in `from` directly (not through the module under test), consistent with the table. */
async function arrange(
  prisma: PrismaClient,
  from: FromState,
  now: Date,
): Promise<Fixture> {
  const newDelivery = await input();
  if (from === NONE)
    return {
      prisma,
      now,
      deliveryId: "no-such-delivery",
      outboxId: "no-such-outbox",
      input: newDelivery,
    };
  const { deliveryRow } = await import("~/delivery/outbox/enqueue.server");
  const row = deliveryRow(newDelivery, `d-${from}`);
  const finished = from === STATUS.delivered || from === STATUS.failed;
  await prisma.delivery.create({
    data: {
      ...row,
      status: from,
      attemptCount: finished ? 1 : 0,
      deliveredAt:
        from === STATUS.delivered ? new Date(now.getTime() - 60_000) : null,
      lastError:
        from === STATUS.failed
          ? "TikTok refused the event."
          : from === STATUS.skipped
            ? "Not sent: consent declined."
            : null,
      createdAt: new Date(now.getTime() - 60_000),
      updatedAt: new Date(now.getTime() - 60_000),
    },
  });
  let outboxId = "no-such-outbox";
  if (from === STATUS.pending) {
    // An outbox row exists exactly while a delivery is pending.
    outboxId = `o-${from}`;
    await prisma.outboxEntry.create({
      data: {
        id: outboxId,
        deliveryId: row.id,
        shop: SHOP,
        nextAttemptAt: new Date(now.getTime() - 1_000),
      },
    });
  }
  if (finished) {
    await prisma.deliveryAttempt.create({
      data: {
        deliveryId: row.id,
        startedAt: new Date(now.getTime() - 30_000),
        durationMs: 90,
        outcome: from === STATUS.delivered ? "accepted" : "permanent",
      },
    });
  }
  return { prisma, now, deliveryId: row.id, outboxId, input: newDelivery };
}

/** Everything the outbox tables hold, in a stable order. */
async function snapshot(prisma: PrismaClient) {
  return {
    deliveries: await prisma.delivery.findMany({ orderBy: { id: "asc" } }),
    outbox: await prisma.outboxEntry.findMany({ orderBy: { id: "asc" } }),
    attempts: await prisma.deliveryAttempt.findMany({ orderBy: { id: "asc" } }),
  };
}

export function defineTransitionTable(getPrisma: () => PrismaClient): void {
  const cases = transitionCases();

  describe("delivery transitions against the database", () => {
    beforeEach(async () => {
      const prisma = getPrisma();
      await prisma.deliveryAttempt.deleteMany({});
      await prisma.outboxEntry.deleteMany({});
      await prisma.delivery.deleteMany({});
      await prisma.deliveryDaySummary.deleteMany({});
    });

    it("covers every transition from every state", () => {
      expect(new Set(cases.map((c) => c.transition))).toEqual(
        new Set(TRANSITION_NAMES),
      );
      expect(cases.length).toBeGreaterThanOrEqual(
        TRANSITION_NAMES.length * FROM_STATES.length,
      );
      // Both outcomes occur, so neither half of the check below is vacuous.
      expect(cases.some((c) => c.allowed)).toBe(true);
      expect(cases.some((c) => !c.allowed)).toBe(true);
    });

    it.each(cases)(
      "$transition from $from (to $to): allowed=$allowed",
      async ({ transition, from, to, allowed }) => {
        const prisma = getPrisma();
        const fixture = await arrange(prisma, from, new Date());
        const before = await snapshot(prisma);
        const moved = await APPLIERS[transition](fixture, to);
        const after = await snapshot(prisma);

        if (!allowed) {
          expect(moved).toBe(0);
          expect({
            deliveries: after.deliveries,
            outbox: after.outbox,
          }).toEqual({ deliveries: before.deliveries, outbox: before.outbox });
          // A refused settle still logs the request it made (it reached TikTok); nothing else is written.
          const settles =
            transition === "deliver" ||
            transition === "fail" ||
            transition === "reschedule";
          const logged = settles && from !== NONE ? 1 : 0;
          expect(after.attempts).toEqual(
            expect.arrayContaining(before.attempts),
          );
          expect(after.attempts).toHaveLength(before.attempts.length + logged);
          return;
        }
        expect(moved).toBe(1);
        if (to === DELETED) {
          expect(after).toEqual({ deliveries: [], outbox: [], attempts: [] });
          return;
        }
        expect(after.deliveries).toHaveLength(1);
        const delivery = after.deliveries[0];
        expect(delivery.status).toBe(to);
        // The invariant every transition keeps: an outbox row exists exactly while pending.
        expect(after.outbox.map((o) => o.deliveryId)).toEqual(
          to === STATUS.pending ? [delivery.id] : [],
        );
        if (transition === "renew")
          expect(after.outbox[0]).toMatchObject({
            leaseOwner: WORKER,
            leaseExpiresAt: new Date(fixture.now.getTime() + 120_000),
          });
        if (transition === "claim")
          expect(after.outbox[0].leaseOwner).toBe(WORKER);
        if (
          transition === "release" ||
          transition === "reschedule" ||
          transition === "requeue"
        ) {
          expect(after.outbox[0]).toMatchObject({
            leaseOwner: null,
            leaseExpiresAt: null,
          });
        }
        if (
          transition === "deliver" ||
          transition === "fail" ||
          transition === "reschedule"
        ) {
          // The request made is recorded, and counted on the delivery.
          expect(
            after.attempts.filter((a) => a.deliveryId === delivery.id),
          ).toHaveLength(before.attempts.length + 1);
          expect(delivery.attemptCount).toBe(1);
        }
        if (transition === "reschedule")
          expect(after.outbox[0].nextAttemptAt.getTime()).toBe(
            fixture.now.getTime() + 30_000,
          );
        if (transition === "deliver")
          expect(delivery.deliveredAt).not.toBeNull();
        if (transition === "releaseHold") {
          // Due at once (as of the applier's time), carrying what the relay added.
          expect(after.outbox[0].nextAttemptAt.getTime()).toBe(
            fixture.now.getTime() - 2_000,
          );
          expect(JSON.parse(delivery.payload).user.ttclid).toBe("E.C.P.late");
          expect(delivery.matchKeys).toBe("ttclid,ip_ua");
          expect(delivery.keySources).toBe('{"ttclid":"checkout_pixel"}');
        }
      },
    );

    describe("the lease guards settle", () => {
      const plans = (f: Fixture): [string, SettleDecision][] => [
        ["deliver", { kind: "delivered", ...settled(f) }],
        [
          "fail",
          {
            kind: "failed",
            ...settled(f),
            reason: "TikTok refused the event.",
          },
        ],
        [
          "reschedule",
          {
            kind: "reschedule",
            ...settled(f),
            retryAt: new Date(f.now.getTime() + 30_000),
            attempts: 1,
            firstAttemptAt: f.now,
            lastError: "x",
          },
        ],
      ];

      it.each(["deliver", "fail", "reschedule"])(
        "%s by a worker whose lease expired and was taken changes nothing but logs its request",
        async (name) => {
          const prisma = getPrisma();
          const { claim } = (await modules()).claim;
          const { settle } = (await modules()).settle;
          const f = await arrange(prisma, STATUS.pending, new Date());
          expect(
            await claim(prisma, {
              owner: "slow",
              now: f.now,
              leaseMs: 1_000,
              limit: 10,
            }),
          ).toHaveLength(1);
          const later = new Date(f.now.getTime() + 2_000);
          expect(
            await claim(prisma, {
              owner: "fast",
              now: later,
              leaseMs: 60_000,
              limit: 10,
            }),
          ).toHaveLength(1);
          const before = await snapshot(prisma);
          const decision = plans(f).find(([n]) => n === name)![1];
          const attempt = {
            startedAt: f.now,
            durationMs: 1,
            httpStatus: 200,
            code: 0,
            message: "",
            requestId: null,
            outcome: "accepted" as const,
            batchSize: 1,
          };
          const counts = await settle(
            prisma,
            "slow",
            {
              decisions: [decision],
              attempts: [{ attempt, deliveryIds: [f.deliveryId] }],
            },
            later,
          );
          expect(counts).toEqual({ delivered: 0, failed: 0, rescheduled: 0 });
          const after = await snapshot(prisma);
          expect({
            deliveries: after.deliveries,
            outbox: after.outbox,
          }).toEqual({ deliveries: before.deliveries, outbox: before.outbox });
          // The request did reach TikTok: the log keeps it.
          expect(after.attempts).toHaveLength(before.attempts.length + 1);
          expect(after.attempts.at(-1)).toMatchObject({
            deliveryId: f.deliveryId,
            outcome: "accepted",
          });
          // The worker holding the lease settles it.
          const mine = await settle(
            prisma,
            "fast",
            { decisions: [decision], attempts: [] },
            later,
          );
          expect(mine.delivered + mine.failed + mine.rescheduled).toBe(1);
        },
      );

      it("settle after an uninstall (pending → skipped) writes nothing", async () => {
        const prisma = getPrisma();
        const m = await modules();
        const f = await arrange(prisma, STATUS.pending, new Date());
        await m.claim.claim(prisma, {
          owner: WORKER,
          now: f.now,
          leaseMs: 60_000,
          limit: 10,
        });
        await prisma.$transaction((tx) =>
          m.skip.skipPending(tx, SHOP, "Not sent: the app was uninstalled."),
        );
        const before = await snapshot(prisma);
        const counts = await m.settle.settle(
          prisma,
          WORKER,
          { decisions: [{ kind: "delivered", ...settled(f) }], attempts: [] },
          f.now,
        );
        expect(counts.delivered).toBe(0);
        expect(await snapshot(prisma)).toEqual(before);
        expect(before.deliveries[0].status).toBe(STATUS.skipped);
      });

      it("requeue refuses a delivered event older than TikTok's dedup window, but not a failed one", async () => {
        const prisma = getPrisma();
        const m = await modules();
        const f = await arrange(prisma, STATUS.delivered, new Date());
        const later = new Date(f.now.getTime() + 47 * 3_600_000);
        const before = await snapshot(prisma);
        expect(
          await prisma.$transaction((tx) =>
            m.requeue.requeue(tx, SHOP, f.deliveryId, later),
          ),
        ).toBe(false);
        expect(await snapshot(prisma)).toEqual(before);
        await prisma.delivery.update({
          where: { id: f.deliveryId },
          data: { status: STATUS.failed },
        });
        expect(
          await prisma.$transaction((tx) =>
            m.requeue.requeue(tx, SHOP, f.deliveryId, later),
          ),
        ).toBe(true);
      });

      it("renew keeps only the rows still leased to the caller", async () => {
        const prisma = getPrisma();
        const m = await modules();
        const f = await arrange(prisma, STATUS.pending, new Date());
        await m.claim.claim(prisma, {
          owner: "slow",
          now: f.now,
          leaseMs: 1_000,
          limit: 10,
        });
        const later = new Date(f.now.getTime() + 2_000);
        await m.claim.claim(prisma, {
          owner: "fast",
          now: later,
          leaseMs: 60_000,
          limit: 10,
        });
        const before = await snapshot(prisma);
        expect(
          (
            await m.renew.renew(
              prisma,
              "slow",
              [f.outboxId],
              new Date(later.getTime() + 60_000),
            )
          ).size,
        ).toBe(0);
        expect(await snapshot(prisma)).toEqual(before);
      });

      it("release hands back only the caller's leases", async () => {
        const prisma = getPrisma();
        const m = await modules();
        const f = await arrange(prisma, STATUS.pending, new Date());
        await m.claim.claim(prisma, {
          owner: "other",
          now: f.now,
          leaseMs: 60_000,
          limit: 10,
        });
        expect(await m.release.release(prisma, WORKER)).toBe(0);
        expect((await prisma.outboxEntry.findFirstOrThrow()).leaseOwner).toBe(
          "other",
        );
      });
    });
  });
}
