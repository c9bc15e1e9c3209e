// The PostgreSQL path, against a real server: the committed migration applied with the Prisma
// CLI, the app's client chosen from DATABASE_URL, and the raw SQL of the hot paths (ingest
// writer, worker claim/settle) plus the delivery-log queries. TEST_POSTGRES_URL names a server
// where we may create a database (`.ci/postgres.sh` starts a throwaway one). Each run works in a
// fresh database of its own, dropped at the end.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { PrismaClient } from "@prisma/client";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import type { NewDelivery } from "~/delivery/outbox/enqueue.server";
import type { IngestWriter } from "~/delivery/ingest-writer.server";
import type { DeliveryWorker } from "~/delivery/worker.server";
import type { AttributionUpsert } from "~/db/sql.server";
import { postgresClientDir } from "~/db/postgres-client.server";
import { TEST_ENCRYPTION_KEY } from "../support/constants";
import { checkAttributionLookup } from "../support/attribution-lookup";

const BASE_URL = process.env.TEST_POSTGRES_URL?.trim() || undefined;
const IN_CI =
  Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI ?? "");

// Servers do not all run in UTC: a timestamp bound or read in local time would show up here.
process.env.TZ = "America/Los_Angeles";

const GOOD = {
  shop: "pg-good.myshopify.com",
  pixel: "CPGGOODPIXEL0000001",
  token: "pg-good-token",
};
const BAD = {
  shop: "pg-bad.myshopify.com",
  pixel: "CPGBADPIXEL00000001",
  token: "pg-revoked-token",
};

if (!BASE_URL) {
  describe("PostgreSQL path", () => {
    if (IN_CI) {
      it("fails in CI: TEST_POSTGRES_URL is not set", () => {
        throw new Error(
          "TEST_POSTGRES_URL is not set. CI must run the PostgreSQL tests: start a server with " +
            '`eval "$(.ci/postgres.sh)"`, export TEST_POSTGRES_URL, then run the tests.',
        );
      });
    } else {
      it.skip("skipped outside CI: TEST_POSTGRES_URL is not set (start a server with .ci/postgres.sh)", () => {});
    }
  });
} else {
  const baseUrl = BASE_URL;
  const dbName = `tiktok_pg_${randomBytes(6).toString("hex")}`;
  const url = (() => {
    const u = new URL(baseUrl);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();

  let prisma: PrismaClient;
  let tiktok: TikTokStandin;
  let writer: IngestWriter;
  let eventCounter = 0;

  async function admin<T>(
    work: (client: pg.Client) => Promise<T>,
    connectionString = baseUrl,
  ): Promise<T> {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async function makeWorker(
    id: string,
    batchSize = 500,
  ): Promise<DeliveryWorker> {
    const { DeliveryWorker } = await import("~/delivery/worker.server");
    const { createTikTokClient } = await import("~/tiktok/client.server");
    return new DeliveryWorker({
      prisma,
      client: createTikTokClient({ baseUrl: tiktok.url }),
      workerId: id,
      batchSize,
      leaseMs: 60_000,
    });
  }

  async function delivery(
    shop: typeof GOOD,
    extra: Partial<NewDelivery> = {},
  ): Promise<NewDelivery> {
    const { buildEvent } = await import("~/tiktok/event-builder");
    eventCounter += 1;
    return {
      shop: shop.shop,
      source: "order",
      pixelCode: shop.pixel,
      orderId: String(70_000 + eventCounter),
      orderName: `#${70_000 + eventCounter}`,
      event: buildEvent({
        eventName: "Purchase",
        eventId: `${70_000 + eventCounter}_Purchase`,
        eventTime: new Date(Date.now() - 60_000),
        user: {
          ip: "203.0.113.7",
          userAgent: "Mozilla/5.0 (test)",
          ttclid: "E.C.P.pg-click",
        },
        properties: { currency: "USD", value: 19.5 },
      }),
      ...extra,
    };
  }

  async function queue(shop: typeof GOOD, count: number): Promise<string[]> {
    const deliveries = await Promise.all(
      Array.from({ length: count }, () => delivery(shop)),
    );
    const outcome = await writer.submit({ deliveries });
    return outcome.deliveries.map((d) => d.deliveryId);
  }

  describe("PostgreSQL path (TEST_POSTGRES_URL)", () => {
    beforeAll(async () => {
      const clientDir = postgresClientDir();
      if (!existsSync(path.join(clientDir, "index.js"))) {
        throw new Error(
          `The PostgreSQL Prisma client is not generated (${clientDir}): run \`npx prisma generate --schema prisma/postgresql/schema.prisma\`.`,
        );
      }
      await admin((c) => c.query(`CREATE DATABASE "${dbName}"`));
      // The documented way: the CLI picks the PostgreSQL schema and migrations from the URL.
      await promisify(execFile)(
        process.execPath,
        [
          path.resolve("node_modules/prisma/build/index.js"),
          "migrate",
          "deploy",
        ],
        {
          env: { ...process.env, DATABASE_URL: url },
        },
      );

      Object.assign(process.env, {
        DATABASE_URL: url,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        DELIVERY_WORKER: "off",
      });
      globalThis.prismaGlobal = undefined;
      globalThis.ingestWriter = undefined;
      globalThis.deliveryRuntime = undefined;
      prisma = (await import("~/db.server")).default;
      const { IngestWriter } = await import("~/delivery/ingest-writer.server");
      writer = new IngestWriter(prisma);

      tiktok = await startTikTokStandin({
        accessTokens: { [GOOD.token]: [GOOD.pixel] },
      });
      const { saveShopSettings } = await import("~/settings/settings.server");
      for (const s of [GOOD, BAD]) {
        await saveShopSettings(s.shop, {
          name: "TikTok pixel",
          pixelCode: s.pixel,
          accessToken: s.token,
          testEventCode: null,
          purchaseEventName: "Purchase",
          purchaseTrigger: "orders/create",
          consentPolicy: "send",
          valueSource: "total",
          sendPurchase: true,
          sendViewContent: true,
          sendAddToCart: true,
          sendInitiateCheckout: true,
          sendAddPaymentInfo: true,
          sendCheckoutSteps: false,
          sendSearch: true,
          skipTestOrders: true,
          skipPosOrders: true,
          skipDraftOrders: true,
          skipSubscriptionRecurringOrders: true,
        });
      }
    });

    afterAll(async () => {
      await prisma?.$disconnect();
      await tiktok?.close();
      await admin((c) =>
        c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`),
      ).catch(() => {});
    });

    beforeEach(async () => {
      await prisma.delivery.deleteMany({});
      // Deliveries are removed directly here, so their day summary goes too.
      await prisma.deliveryDaySummary.deleteMany({});
      await prisma.webhookReceipt.deleteMany({});
      await prisma.attributionSession.deleteMany({});
      tiktok.reset();
    });

    it("applies the committed migration with `prisma migrate deploy` and the app's client connects to PostgreSQL", async () => {
      const applied = await admin(
        (c) =>
          c.query<{ migration_name: string; finished_at: Date | null }>(
            `SELECT migration_name, finished_at FROM _prisma_migrations`,
          ),
        url,
      );
      // Every committed migration folder, and nothing else, applied and finished.
      const committed = readdirSync(
        path.join("prisma", "postgresql", "migrations"),
      )
        .filter((name) => !name.includes("."))
        .sort();
      expect(committed[0]).toBe("20261121000000_init");
      expect(applied.rows.map((r) => r.migration_name).sort()).toEqual(
        committed,
      );
      for (const row of applied.rows) expect(row.finished_at).not.toBeNull();
      // ::text: the adapter cannot read PostgreSQL's `name` type (prisma/orm#28145).
      const [info] = await prisma.$queryRaw<
        { db: string; version: string }[]
      >`SELECT current_database()::text AS db, version() AS version`;
      expect(info.db).toBe(dbName);
      expect(info.version).toMatch(/^PostgreSQL/);
      expect(await prisma.shopSettings.count()).toBe(2);
    });

    it("ingest writer: checkout steps of one batch merge in order into one context each; times survive the round trip", async () => {
      const { mergeContext } = await import("~/checkout/checkout-context");
      const token = "pgcheckout0000000000000000000001";
      const started = new Date("2026-11-20T10:00:00.123Z");
      const step = (
        body: Record<string, unknown>,
        now: Date,
        queue?: NewDelivery,
      ) => ({
        shop: GOOD.shop,
        checkoutToken: token,
        now,
        merge: (previous: Parameters<typeof mergeContext>[0]) => ({
          context: mergeContext(previous, {
            body: {
              v: 1,
              id: "sh-1",
              token,
              consent: "granted",
              ...body,
            } as Parameters<typeof mergeContext>[1]["body"],
            ip: "203.0.113.9",
            userAgent: "UA-1",
            now,
          }),
          deliveries: queue ? [queue] : [],
        }),
      });
      const queued = await delivery(GOOD);
      const outcomes = await Promise.all([
        writer.submit({
          checkout: step(
            {
              event: "checkout_started",
              ts: started.toISOString(),
              ttclid: "pg-click",
            },
            started,
            queued,
          ),
          deliveries: [],
        }),
        writer.submit({
          checkout: step(
            {
              event: "checkout_contact_info_submitted",
              ts: started.toISOString(),
              email: "pg@example.com",
            },
            new Date(started.getTime() + 1000),
          ),
          deliveries: [],
        }),
      ]);
      expect(outcomes.map((o) => o.deliveries.length)).toEqual([1, 0]);
      expect(outcomes[0].deliveries[0].created).toBe(true);
      const stored = await prisma.checkoutContext.findUniqueOrThrow({
        where: {
          shop_checkoutToken: { shop: GOOD.shop, checkoutToken: token },
        },
      });
      expect(stored.ttclid).toBe("pg-click");
      expect(stored.emailHash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.startedAt?.toISOString()).toBe(started.toISOString());
      // A later batch reads that row back (dates included) and keeps what it does not carry.
      const later = new Date(started.getTime() + 60_000);
      await writer.submit({
        checkout: step(
          { event: "payment_info_submitted", ts: later.toISOString() },
          later,
        ),
        deliveries: [],
      });
      const after = await prisma.checkoutContext.findUniqueOrThrow({
        where: {
          shop_checkoutToken: { shop: GOOD.shop, checkoutToken: token },
        },
      });
      expect(after).toMatchObject({
        ttclid: "pg-click",
        emailHash: stored.emailHash,
        startedAt: stored.startedAt,
        firstSeenAt: stored.firstSeenAt,
      });
      expect(after.lastSeenAt.toISOString()).toBe(later.toISOString());
      expect(await prisma.checkoutContext.count()).toBe(1);
    });

    it("ingest writer: group commit with duplicate receipts, duplicate events, skipped events and session upserts", async () => {
      const seenAt = new Date("2026-11-20T10:00:00.123Z");
      const later = new Date("2026-11-20T10:05:00.456Z");
      const session: AttributionUpsert = {
        shop: GOOD.shop,
        sessionKey: "sess-1",
        consent: "granted",
        seenAt,
        landingUrl: "https://shop.example/?ttclid=first",
        ttclid: "first-click",
        ttp: null,
        ip: "203.0.113.9",
        userAgent: "UA-1",
        cartToken: null,
      };
      const d1 = await delivery(GOOD);
      const d2 = await delivery(GOOD);
      const skipped = await delivery(GOOD, {
        skippedReason: "Consent declined.",
      });
      // Submitted together: they are written by one transaction.
      const outcomes = await Promise.all([
        writer.submit({
          receipt: { id: "wh-1", shop: GOOD.shop, topic: "orders/create" },
          deliveries: [d1],
        }),
        writer.submit({
          receipt: { id: "wh-1", shop: GOOD.shop, topic: "orders/create" },
          deliveries: [d1],
        }),
        writer.submit({ session, deliveries: [d2, d2, skipped] }),
        writer.submit({
          session: {
            ...session,
            seenAt: later,
            ttclid: "second-click",
            ttp: "ttp-cookie",
            landingUrl: null,
          },
          deliveries: [],
        }),
      ]);
      expect(outcomes[0]).toMatchObject({
        duplicateReceipt: false,
        deliveries: [{ created: true }],
      });
      expect(outcomes[1]).toMatchObject({
        duplicateReceipt: true,
        deliveries: [],
      });
      expect(outcomes[2].deliveries.map((d) => d.created)).toEqual([
        true,
        false,
        true,
      ]);
      expect(outcomes[2].deliveries[0].deliveryId).toBe(
        outcomes[2].deliveries[1].deliveryId,
      );

      // A later request: the receipt and the event already exist.
      const again = await writer.submit({
        receipt: { id: "wh-1", shop: GOOD.shop, topic: "orders/create" },
        deliveries: [d1],
      });
      expect(again.duplicateReceipt).toBe(true);
      const d1Again = await writer.submit({ deliveries: [d1] });
      expect(d1Again.deliveries).toEqual([
        { deliveryId: outcomes[0].deliveries[0].deliveryId, created: false },
      ]);

      expect(await prisma.webhookReceipt.count()).toBe(1);
      const rows = await prisma.delivery.findMany({
        orderBy: { eventId: "asc" },
        include: { outbox: true },
      });
      expect(rows.map((r) => [r.eventId, r.status, r.outbox !== null])).toEqual(
        [
          [d1.event.event_id, "pending", true],
          [d2.event.event_id, "pending", true],
          [skipped.event.event_id, "skipped", false],
        ],
      );
      expect(rows[0].eventTime.getTime()).toBe(d1.event.event_time * 1000);
      expect(rows[0].matchKeys).toBe("ttclid,ip_ua");
      expect(JSON.parse(rows[0].payload)).toEqual(d1.event);

      const stored = await prisma.attributionSession.findUniqueOrThrow({
        where: { shop_sessionKey: { shop: GOOD.shop, sessionKey: "sess-1" } },
      });
      expect(stored).toMatchObject({
        ttclid: "second-click",
        ttp: "ttp-cookie",
        ip: "203.0.113.9",
        landingUrl: "https://shop.example/?ttclid=first",
        consent: "granted",
      });
      expect(stored.lastSeenAt.toISOString()).toBe(later.toISOString());
      expect(stored.ttclidLastSeenAt?.toISOString()).toBe(later.toISOString());

      // A later request for the same session refreshes it in place (ON CONFLICT … DO UPDATE).
      const refreshedAt = new Date(later.getTime() + 1000);
      await writer.submit({
        session: {
          ...session,
          seenAt: refreshedAt,
          ttclid: null,
          ttp: null,
        },
        deliveries: [],
      });
      const refreshed = await prisma.attributionSession.findMany();
      expect(refreshed).toHaveLength(1);
      expect(refreshed[0]).toMatchObject({
        ttclid: "second-click",
        consent: "granted",
        ttp: "ttp-cookie",
      });
      expect(refreshed[0].firstSeenAt.getTime()).toBe(
        stored.firstSeenAt.getTime(),
      );
      expect(refreshed[0].lastSeenAt.getTime()).toBe(refreshedAt.getTime());
      expect(refreshed[0].ttclidLastSeenAt?.getTime()).toBe(later.getTime());

      // A withdrawn consent forgets the click data through the same statement.
      await writer.submit({
        session: {
          ...session,
          seenAt: new Date(refreshedAt.getTime() + 1000),
          consent: "denied",
          landingUrl: null,
          ttclid: null,
          ttp: null,
          ip: null,
          userAgent: null,
        },
        deliveries: [],
      });
      const forgotten = await prisma.attributionSession.findMany();
      expect(forgotten).toHaveLength(1);
      expect(forgotten[0]).toMatchObject({
        consent: "denied",
        ttclid: null,
        ttp: null,
        ip: null,
        userAgent: null,
        landingUrl: null,
        ttclidFirstSeenAt: null,
        ttclidLastSeenAt: null,
      });
    });

    it("worker: one claim of 600 rows, one settle, every delivery delivered with its attempt", async () => {
      const ids = await queue(GOOD, 600);
      const worker = await makeWorker("pg-big", 1000);
      expect(await worker.runOnce()).toBe(600);
      expect(tiktok.accepted).toHaveLength(600);
      const byStatus = await prisma.delivery.groupBy({
        by: ["status"],
        _count: true,
      });
      expect(byStatus.map((g) => [g.status, g._count])).toEqual([
        ["delivered", 600],
      ]);
      expect(await prisma.outboxEntry.count()).toBe(0);
      const attempts = await prisma.deliveryAttempt.findMany();
      expect(attempts).toHaveLength(600);
      expect(new Set(attempts.map((a) => a.deliveryId))).toEqual(new Set(ids));
      expect(
        attempts.every(
          (a) =>
            a.outcome === "accepted" &&
            a.httpStatus === 200 &&
            a.tiktokCode === 0,
        ),
      ).toBe(true);
      expect(new Set(attempts.map((a) => a.id)).size).toBe(600);
      const sample = await prisma.delivery.findUniqueOrThrow({
        where: { id: ids[0] },
      });
      expect(sample.attemptCount).toBe(1);
      expect(sample.lastError).toBeNull();
      expect(sample.deliveredAt).not.toBeNull();
      expect(Math.abs(sample.deliveredAt!.getTime() - Date.now())).toBeLessThan(
        5 * 60_000,
      );
    });

    it("worker: concurrent workers never claim the same row (READ COMMITTED)", async () => {
      const ids = await queue(GOOD, 150);
      // Like several worker processes: each loops on its own, all at the same time.
      const workers = await Promise.all(
        ["pg-a", "pg-b", "pg-c", "pg-d", "pg-e"].map((id) =>
          makeWorker(id, 10),
        ),
      );
      const claims = await Promise.all(
        workers.map(async (w) => {
          let total = 0;
          for (let n = await w.runOnce(); n > 0; n = await w.runOnce())
            total += n;
          return total;
        }),
      );
      expect(claims.reduce((a, b) => a + b, 0)).toBe(150);
      expect(claims.filter((n) => n > 0).length).toBeGreaterThan(1);
      expect(tiktok.accepted).toHaveLength(150);
      expect(tiktok.duplicatesIgnored).toBe(0);
      const attempts = await prisma.deliveryAttempt.groupBy({
        by: ["deliveryId"],
        _count: true,
      });
      expect(new Set(attempts.map((g) => g.deliveryId))).toEqual(new Set(ids));
      expect(attempts.every((g) => g._count === 1)).toBe(true);
    });

    it("claim: rows another worker holds locked are skipped, not waited on (FOR UPDATE SKIP LOCKED)", async () => {
      const ids = await queue(GOOD, 10);
      const { claim } = await import("~/delivery/outbox/claim.server");
      // Another worker's claim in flight: its transaction holds row locks on the first 5 due rows.
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      try {
        await other.query("BEGIN");
        const locked = await other.query<{ id: string }>(
          `SELECT "id" FROM "OutboxEntry" ORDER BY "nextAttemptAt", "id" LIMIT 5 FOR UPDATE`,
        );
        expect(locked.rows).toHaveLength(5);
        const waitedOn = new Promise<"blocked">((resolve) =>
          setTimeout(() => resolve("blocked"), 5_000).unref(),
        );
        const mine = await Promise.race([
          claim(prisma, {
            owner: "pg-skip",
            now: new Date(),
            leaseMs: 60_000,
            limit: 5,
          }),
          waitedOn,
        ]);
        expect(mine).not.toBe("blocked");
        const claimedIds = (mine as { id: string }[]).map((e) => e.id);
        expect(claimedIds).toHaveLength(5);
        const lockedIds = new Set(locked.rows.map((r) => r.id));
        expect(claimedIds.filter((id) => lockedIds.has(id))).toEqual([]);
      } finally {
        await other.query("ROLLBACK");
        await other.end();
      }
      // Once the other transaction is gone its rows are claimable again: all 10 are accounted for.
      const rest = await claim(prisma, {
        owner: "pg-skip-2",
        now: new Date(),
        leaseMs: 60_000,
        limit: 10,
      });
      expect(rest).toHaveLength(5);
      expect(
        await prisma.outboxEntry.count({
          where: { leaseOwner: { not: null } },
        }),
      ).toBe(ids.length);
    });

    it("worker: a rejected token fails; a retryable failure is rescheduled with its attempt recorded, then delivered", async () => {
      const worker = await makeWorker("pg-retry");
      const [bad] = await queue(BAD, 1);
      expect(await worker.runOnce()).toBe(1);
      const failed = await prisma.delivery.findUniqueOrThrow({
        where: { id: bad },
        include: { outbox: true, attempts: true },
      });
      expect(failed.status).toBe("failed");
      expect(failed.outbox).toBeNull();
      expect(failed.attempts.map((a) => a.outcome)).toEqual(["permanent"]);

      const [good] = await queue(GOOD, 1);
      tiktok.setBehaviour({ forced: { kind: "http500" } });
      const before = Date.now();
      expect(await worker.runOnce()).toBe(1);
      const pending = await prisma.delivery.findUniqueOrThrow({
        where: { id: good },
        include: { outbox: true, attempts: true },
      });
      expect(pending.status).toBe("pending");
      expect(pending.lastError).toBeTruthy();
      expect(pending.attemptCount).toBeGreaterThanOrEqual(1);
      expect(pending.attempts.length).toBe(pending.attemptCount);
      // httpStatus 500 with a null TikTok code: NULL parameters in the INSERT … SELECT.
      expect(
        pending.attempts.every(
          (a) => a.httpStatus === 500 && a.outcome === "retryable",
        ),
      ).toBe(true);
      expect(pending.outbox).toMatchObject({
        leaseOwner: null,
        leaseExpiresAt: null,
        attempts: pending.attemptCount,
      });
      expect(pending.outbox!.nextAttemptAt.getTime()).toBeGreaterThan(before);
      expect(await worker.runOnce()).toBe(0); // not due yet

      tiktok.setBehaviour({ forced: null });
      await prisma.outboxEntry.updateMany({
        data: { nextAttemptAt: new Date(Date.now() - 1000) },
      });
      expect(await worker.runOnce()).toBe(1);
      const delivered = await prisma.delivery.findUniqueOrThrow({
        where: { id: good },
        include: { outbox: true, attempts: true },
      });
      expect(delivered.status).toBe("delivered");
      expect(delivered.lastError).toBeNull();
      expect(delivered.attemptCount).toBe(pending.attemptCount + 1);
      expect(
        delivered.attempts.filter((a) => a.outcome === "accepted"),
      ).toHaveLength(1);
      expect(delivered.outbox).toBeNull();
      expect(tiktok.accepted.map((e) => e.event_id)).toEqual([
        delivered.eventId,
      ]);
    });

    it("order attribution lookup: the named session first, else the cart token's latest, only in the shop", async () => {
      await checkAttributionLookup(GOOD.shop, BAD.shop, (session) =>
        writer.submit({ session, deliveries: [] }),
      );
    });

    it("delivery log: list with paging and search, detail, summary and resend", async () => {
      const {
        listDeliveries,
        getDeliveryDetail,
        loadDeliverySummary,
        resendDelivery,
      } = await import("~/delivery-log/delivery-log.server");
      const ids = await queue(GOOD, 55);
      await (await makeWorker("pg-log")).runOnce();

      const first = await listDeliveries(GOOD.shop, new URLSearchParams(), {
        prisma,
      });
      expect(first.rows).toHaveLength(50);
      expect(first.page.hasNext).toBe(true);
      const second = await listDeliveries(
        GOOD.shop,
        new URLSearchParams({ after: first.page.nextCursor! }),
        { prisma },
      );
      expect(second.rows).toHaveLength(5);
      expect(new Set([...first.rows, ...second.rows].map((r) => r.id))).toEqual(
        new Set(ids),
      );

      const target = await prisma.delivery.findUniqueOrThrow({
        where: { id: ids[7] },
      });
      const search = await listDeliveries(
        GOOD.shop,
        new URLSearchParams({ q: target.orderName! }),
        { prisma },
      );
      expect(search.rows.map((r) => r.id)).toEqual([target.id]);
      expect(
        await listDeliveries(BAD.shop, new URLSearchParams(), { prisma }),
      ).toMatchObject({ rows: [], empty: "no-deliveries" });

      const detail = await getDeliveryDetail(GOOD.shop, target.id, { prisma });
      expect(detail).toMatchObject({
        id: target.id,
        status: "delivered",
        attemptCount: 1,
        attemptsOmitted: 0,
      });
      expect(detail!.attempts).toHaveLength(1);
      expect(
        await getDeliveryDetail(BAD.shop, target.id, { prisma }),
      ).toBeNull();

      const summary = await loadDeliverySummary(GOOD.shop, { prisma });
      expect(summary).toMatchObject({
        ordersSeen: 55,
        sent: 55,
        failed: 0,
        pending: 0,
      });

      expect(
        await resendDelivery(GOOD.shop, target.id, { prisma }),
      ).toMatchObject({ ok: true, status: 200 });
      expect(
        await resendDelivery(GOOD.shop, target.id, { prisma }),
      ).toMatchObject({ ok: false, status: 409 });
      expect(await prisma.outboxEntry.count()).toBe(1);
      expect(await (await makeWorker("pg-resend")).runOnce()).toBe(1);
      expect(
        (await prisma.delivery.findUniqueOrThrow({ where: { id: target.id } }))
          .status,
      ).toBe("delivered");
    });

    it("delivery log per pixel: the pixel filter, the codes in the log, an order at every pixel", async () => {
      const { listDeliveries, getDeliveryDetail, loggedPixelCodes } =
        await import("~/delivery-log/delivery-log.server");
      const SECOND = "CPGGOODPIXEL0000002";
      // An order at both pixels, through the ingest writer; the second pixel's is skipped, so
      // nothing is left in the outbox for the tests after this one.
      const first = await delivery(GOOD);
      const second = {
        ...first,
        pixelCode: SECOND,
        skippedReason: "test: a pixel without a token",
      };
      const written = await writer.submit({ deliveries: [first, second] });
      const [firstId, secondId] = written.deliveries.map((d) => d.deliveryId);
      await writer.submit({
        deliveries: [
          {
            ...(await delivery(BAD)),
            pixelCode: SECOND,
            skippedReason: "test",
          },
        ],
      });

      expect(await loggedPixelCodes(GOOD.shop, prisma)).toEqual(
        [GOOD.pixel, SECOND].sort(),
      );
      const atSecond = await listDeliveries(
        GOOD.shop,
        new URLSearchParams({ pixel: SECOND, source: "all" }),
        { prisma },
      );
      expect(atSecond.rows.map((r) => [r.id, r.pixel])).toEqual([
        [secondId, `${SECOND} (removed)`],
      ]);
      expect(atSecond.pixels.map((p) => p.code)).toEqual([GOOD.pixel, SECOND]);
      const failedAtSecond = await listDeliveries(
        GOOD.shop,
        new URLSearchParams({ pixel: SECOND, status: "skipped" }),
        { prisma },
      );
      expect(failedAtSecond.rows.map((r) => r.id)).toEqual([secondId]);

      const detail = await getDeliveryDetail(GOOD.shop, firstId, { prisma });
      expect(detail!.orderPixels!.map((p) => [p.id, p.pixelCode])).toEqual([
        [firstId, GOOD.pixel],
        [secondId, SECOND],
      ]);
    });

    it("reconciliation: reads orders from the Admin API stand-in, backfills the missing ones once", async () => {
      const { startOrdersStandin } =
        await import("../../dev/shopify-orders-standin.server");
      const { graphqlOrder } = await import("../fixtures/graphql-orders");
      const { reconcileShop } = await import("~/reconciliation/run.server");
      const shopify = await startOrdersStandin({
        tokens: { "shpat-pg": GOOD.shop },
        restoreRate: 1_000_000,
      });
      try {
        await prisma.session.upsert({
          where: { id: `offline_${GOOD.shop}` },
          create: {
            id: `offline_${GOOD.shop}`,
            shop: GOOD.shop,
            state: "installed",
            isOnline: false,
            accessToken: "shpat-pg",
          },
          update: { accessToken: "shpat-pg" },
        });
        await prisma.shopSettings.update({
          where: { shop: GOOD.shop },
          data: { createdAt: new Date(Date.now() - 30 * 86_400_000) },
        });
        await prisma.pixel.updateMany({
          where: { shop: GOOD.shop },
          data: { createdAt: new Date(Date.now() - 30 * 86_400_000) },
        });
        shopify.setOrders(
          Array.from({ length: 30 }, (_, i) =>
            graphqlOrder(
              7000 + i,
              new Date(Date.now() - 86_400_000 + i * 1000),
            ),
          ),
        );
        const first = await reconcileShop(GOOD.shop, {
          trigger: "manual",
          adminBaseUrl: shopify.url,
        });
        expect(first).toMatchObject({
          status: "completed",
          ordersSeen: 30,
          backfilled: 30,
        });
        const second = await reconcileShop(GOOD.shop, {
          trigger: "manual",
          adminBaseUrl: shopify.url,
        });
        expect(second).toMatchObject({ status: "completed", backfilled: 0 });
        const latest = await prisma.reconciliationOrder.groupBy({
          by: ["status"],
          where: { shop: GOOD.shop, runId: second.runId! },
          _count: true,
        });
        expect(latest).toEqual([{ status: "pending", _count: 30 }]);
        expect(
          await prisma.delivery.count({ where: { shop: GOOD.shop } }),
        ).toBe(30);
        expect(await (await makeWorker("pg-reconcile")).runOnce()).toBe(30);
        expect(tiktok.accepted).toHaveLength(30);
      } finally {
        await shopify.close();
      }
    });

    it("storefront fallback: queued once under Shopify's id, dropped when the embed reported the same action (timestamps bound in UTC)", async () => {
      const { ingestFallback } = await import("~/storefront/fallback.server");
      const { buildEvent } = await import("~/tiktok/event-builder");
      const now = new Date();
      const url = "https://pg-good.myshopify.com/products/shirt";
      const sessionKey = "sid_pg_fallback_0123456789";
      const view = (id: string) => ({
        body: {
          v: 1 as const,
          event: "product_viewed" as const,
          id,
          ts: now.toISOString(),
          url,
          consent: "granted" as const,
          sid: sessionKey,
          items: [{ id: "4440000000001", q: 1 }],
        },
        ip: "203.0.113.9",
        userAgent: "UA-1",
        now,
      });
      // No embed report yet: queued, and Shopify's re-fire collapses on its id.
      expect(await ingestFallback(GOOD.shop, view("sh-pg-1"))).toEqual({
        status: "stored",
        queued: 1,
      });
      expect(await ingestFallback(GOOD.shop, view("sh-pg-1"))).toEqual({
        status: "stored",
        queued: 0,
        dropped: "duplicate",
      });
      // The embed's report of the same view (its own random id): a later fallback is dropped.
      await writer.submit({
        deliveries: [
          {
            shop: GOOD.shop,
            source: "storefront",
            pixelCode: GOOD.pixel,
            sessionKey,
            event: buildEvent({
              eventName: "ViewContent",
              eventId: "0123456789abcdef0123456789abcdef",
              eventTime: now,
              properties: { contents: [{ contentId: "4440000000001" }] },
              page: { url },
            }),
          },
        ],
      });
      expect(await ingestFallback(GOOD.shop, view("sh-pg-2"))).toEqual({
        status: "stored",
        queued: 0,
        dropped: "embed_reported",
      });
      // Ten minutes on, the embed's report no longer matches.
      expect(
        await ingestFallback(GOOD.shop, {
          ...view("sh-pg-3"),
          now: new Date(now.getTime() + 11 * 60_000),
        }),
      ).toMatchObject({ queued: 1 });
    });
  });
}
