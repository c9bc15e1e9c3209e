import { randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "@prisma/client";
import type { TikTokEvent } from "~/tiktok/payload";
import type { AttemptRecord, TikTokClient, SendEventResult } from "~/tiktok/client.server";
import { describeOutcome } from "~/tiktok/outcome";
import { nextRetry, type RetryPolicyOptions } from "~/tiktok/retry-policy";
import { readAccessToken, UnreadableTokenError } from "~/settings/settings.server";
import { chunks, IN_LIST_CHUNK } from "~/db/chunks";
import { idList, newIdSql } from "~/db/sql.server";

export interface DeliveryWorkerOptions {
  prisma: PrismaClient;
  client: TikTokClient;
  /** Rows claimed per cycle. */
  batchSize?: number;
  /** How long a claim is ours; a crashed worker's rows are picked up after this. */
  leaseMs?: number;
  /** Poll interval when the queue is empty (new work also wakes the worker directly). */
  idleMs?: number;
  workerId?: string;
  retryPolicy?: RetryPolicyOptions;
  now?: () => Date;
  log?: (message: string) => void;
}

type ClaimedEntry = {
  id: string;
  shop: string;
  attempts: number;
  firstAttemptAt: Date | null;
  delivery: { id: string; pixelCode: string; payload: string; eventTime: Date };
};

/**
 * Drains the outbox: claims due rows with a lease, sends them per shop through the TikTok
 * client (which batches per pixel and isolates bad events), records every attempt, and
 * reschedules retryable failures with the retry policy.
 */
export class DeliveryWorker {
  readonly id: string;
  private readonly prisma: PrismaClient;
  private readonly client: TikTokClient;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly idleMs: number;
  private readonly now: () => Date;
  private readonly retryPolicy: RetryPolicyOptions;
  private readonly log: (message: string) => void;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(options: DeliveryWorkerOptions) {
    this.prisma = options.prisma;
    this.client = options.client;
    this.batchSize = options.batchSize ?? 500;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.idleMs = options.idleMs ?? 1_000;
    this.id = options.workerId ?? `worker-${randomUUID()}`;
    this.now = options.now ?? (() => new Date());
    this.retryPolicy = options.retryPolicy ?? {};
    this.log = options.log ?? ((m) => console.info(`[delivery] ${m}`));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Wakes an idle worker now (called after new work is committed in this process). */
  notify(): void {
    this.wakeUp?.();
  }

  /** Finishes the cycle in flight, then releases any rows still leased to this worker. */
  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loop;
    this.loop = null;
    await this.prisma.outboxEntry.updateMany({
      where: { leaseOwner: this.id },
      data: { leaseOwner: null, leaseExpiresAt: null },
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let processed = 0;
      try {
        processed = await this.runOnce();
      } catch (error) {
        this.log(`cycle failed: ${(error as Error).message}`);
      }
      if (!this.running) break;
      if (processed < this.batchSize) await this.sleep(this.idleMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = () => {
        if (this.timer) clearTimeout(this.timer);
        this.wakeUp = null;
        resolve();
      };
      this.timer = setTimeout(() => this.wakeUp?.(), ms);
    });
  }

  /** One cycle: claim due rows and deliver them. Returns how many rows were claimed. */
  async runOnce(): Promise<number> {
    const claimed = await this.claim();
    if (claimed.length === 0) return 0;
    const byShop = new Map<string, ClaimedEntry[]>();
    for (const entry of claimed) {
      byShop.set(entry.shop, [...(byShop.get(entry.shop) ?? []), entry]);
    }
    // One shop's bad token or outage must not hold up the others: each shop is settled on its own.
    await Promise.all([...byShop].map(([shop, entries]) => this.deliverShop(shop, entries)));
    return claimed.length;
  }

  private async claim(): Promise<ClaimedEntry[]> {
    const now = this.now();
    const leaseExpiresAt = new Date(now.getTime() + this.leaseMs);
    // One conditional UPDATE is the claim: rows another worker leased in between no longer
    // match the outer condition. Raw SQL (portable quoting, Prisma placeholders) because
    // the equivalent Prisma calls need id lists of the batch size, which cost several times more.
    const claimed = await this.prisma.$queryRaw<{ id: string }[]>`
      UPDATE "OutboxEntry" SET "leaseOwner" = ${this.id}, "leaseExpiresAt" = ${leaseExpiresAt}
      WHERE "id" IN (
        SELECT "id" FROM "OutboxEntry"
        WHERE "nextAttemptAt" <= ${now} AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < ${now})
        ORDER BY "nextAttemptAt" LIMIT ${this.batchSize}
      ) AND ("leaseExpiresAt" IS NULL OR "leaseExpiresAt" < ${now})
      RETURNING "id"`;
    if (claimed.length === 0) return [];
    const rows = await this.prisma.$queryRaw<
      { id: string; shop: string; attempts: number; firstAttemptAt: Date | string | null; deliveryId: string; pixelCode: string; payload: string; eventTime: Date | string }[]
    >`
      SELECT o."id", o."shop", o."attempts", o."firstAttemptAt", d."id" AS "deliveryId", d."pixelCode", d."payload", d."eventTime"
      FROM "OutboxEntry" o JOIN "Delivery" d ON d."id" = o."deliveryId"
      WHERE o."id" IN ${idList(claimed.map((r) => r.id))} AND o."leaseOwner" = ${this.id}`;
    return rows.map((r) => ({
      id: r.id,
      shop: r.shop,
      attempts: Number(r.attempts),
      firstAttemptAt: r.firstAttemptAt === null ? null : new Date(r.firstAttemptAt),
      delivery: { id: r.deliveryId, pixelCode: r.pixelCode, payload: r.payload, eventTime: new Date(r.eventTime) },
    }));
  }

  private async deliverShop(shop: string, entries: ClaimedEntry[]): Promise<void> {
    const settings = await this.prisma.shopSettings.findUnique({ where: { shop } });
    let accessToken: string | null = null;
    let problem: string | null = null;
    if (!settings || settings.uninstalledAt) problem = "Not sent: the app is not installed for this shop.";
    else {
      try {
        accessToken = readAccessToken(settings);
        if (!accessToken) problem = "Not sent: no access token is saved in Settings.";
      } catch (error) {
        if (!(error instanceof UnreadableTokenError)) throw error;
        problem = error.message;
      }
    }
    if (problem || !accessToken || !settings) {
      await this.failAll(entries, problem ?? "Not sent.");
      return;
    }

    const byPixel = new Map<string, ClaimedEntry[]>();
    for (const entry of entries) {
      const list = byPixel.get(entry.delivery.pixelCode) ?? [];
      list.push(entry);
      byPixel.set(entry.delivery.pixelCode, list);
    }
    for (const [pixelCode, group] of byPixel) {
      const results = await this.client.sendEvents({
        pixelCode,
        accessToken,
        testEventCode: settings.testEventCode,
        events: group.map((e) => ({ key: e.id, event: JSON.parse(e.delivery.payload) as TikTokEvent })),
      });
      const byKey = new Map(results.map((r) => [r.key, r]));
      await this.settle(group, byKey);
    }
  }

  private async failAll(entries: ClaimedEntry[], reason: string): Promise<void> {
    const now = this.now();
    await this.prisma.$transaction(
      chunks(entries, IN_LIST_CHUNK).flatMap((part) => [
        this.prisma.delivery.updateMany({
          where: { id: { in: part.map((e) => e.delivery.id) } },
          data: { status: "failed", lastError: reason, updatedAt: now },
        }),
        this.prisma.outboxEntry.deleteMany({ where: { id: { in: part.map((e) => e.id) } } }),
      ]),
    );
    this.log(`${entries.length} event(s) failed for ${entries[0]?.shop}: ${reason}`);
  }

  private async settle(entries: ClaimedEntry[], results: Map<string, SendEventResult>): Promise<void> {
    const now = this.now();
    const writes: Prisma.PrismaPromise<unknown>[] = [];
    // Events sent in the same request share one attempt record: each distinct attempt is
    // written with one INSERT … SELECT over the ids of the deliveries it covered.
    const attemptGroups = new Map<string, { attempt: AttemptRecord; deliveryIds: string[] }>();
    // Accepted deliveries that share the same attempts (one batch) are settled together.
    const accepted = new Map<string, { tries: number; lastAttemptAt: Date; deliveryIds: string[]; outboxIds: string[] }>();
    for (const entry of entries) {
      const result = results.get(entry.id);
      if (!result) continue; // not answered: the lease expires and it is retried
      const { outcome, attempts } = result;
      const deliveryId = entry.delivery.id;
      const tries = Math.max(attempts.length, 1);
      const firstAttemptAt = entry.firstAttemptAt ?? attempts[0]?.startedAt ?? now;
      const attemptCount = entry.attempts + tries;
      const lastAttemptAt = attempts.at(-1)?.startedAt ?? now;
      for (const a of attempts) {
        const key = [a.startedAt.getTime(), a.durationMs, a.httpStatus, a.code, a.requestId, a.outcome, a.batchSize, a.message].join("|");
        const group = attemptGroups.get(key) ?? { attempt: a, deliveryIds: [] };
        group.deliveryIds.push(deliveryId);
        attemptGroups.set(key, group);
      }
      if (outcome.kind === "accepted") {
        const key = `${tries}:${lastAttemptAt.getTime()}`;
        const group = accepted.get(key) ?? { tries, lastAttemptAt, deliveryIds: [], outboxIds: [] };
        group.deliveryIds.push(deliveryId);
        group.outboxIds.push(entry.id);
        accepted.set(key, group);
        continue;
      }
      const common = { attemptCount: { increment: tries }, lastAttemptAt };
      const next =
        outcome.kind === "retryable"
          ? nextRetry({
              ...this.retryPolicy,
              attempt: attemptCount,
              firstAttemptAt,
              eventTime: entry.delivery.eventTime,
              now,
              retryAfterMs: outcome.retryAfterMs,
            })
          : null;
      if (next && "retryAt" in next) {
        writes.push(
          this.prisma.delivery.update({
            where: { id: deliveryId },
            data: { ...common, status: "pending", lastError: describeOutcome(outcome) },
          }),
          this.prisma.outboxEntry.update({
            where: { id: entry.id },
            data: {
              attempts: attemptCount,
              firstAttemptAt,
              nextAttemptAt: next.retryAt,
              leaseOwner: null,
              leaseExpiresAt: null,
            },
          }),
        );
      } else {
        const reason = next && "giveUp" in next ? `${describeOutcome(outcome)} ${next.giveUp}` : describeOutcome(outcome);
        writes.push(
          this.prisma.delivery.update({
            where: { id: deliveryId },
            data: { ...common, status: "failed", lastError: reason },
          }),
          this.prisma.outboxEntry.delete({ where: { id: entry.id } }),
        );
      }
    }
    for (const group of accepted.values()) {
      writes.push(
        this.prisma.$executeRaw`
          UPDATE "Delivery" SET "status" = 'delivered', "deliveredAt" = ${now}, "updatedAt" = ${now},
            "lastError" = NULL, "lastAttemptAt" = ${group.lastAttemptAt},
            "attemptCount" = "attemptCount" + ${group.tries}
          WHERE "id" IN ${idList(group.deliveryIds)}`,
        this.prisma.$executeRaw`DELETE FROM "OutboxEntry" WHERE "id" IN ${idList(group.outboxIds)}`,
      );
    }
    for (const { attempt: a, deliveryIds } of attemptGroups.values()) {
      writes.push(this.prisma.$executeRaw`
        INSERT INTO "DeliveryAttempt"
          ("id", "deliveryId", "startedAt", "durationMs", "httpStatus", "tiktokCode", "message", "requestId", "outcome", "batchSize")
        SELECT ${newIdSql()}, ids.value, ${a.startedAt}, ${Math.round(a.durationMs)}, ${a.httpStatus}, ${a.code},
          ${a.message.slice(0, 1000)}, ${a.requestId}, ${a.outcome}, ${a.batchSize}
        FROM ${idList(deliveryIds)} AS ids`);
    }
    await this.prisma.$transaction(writes);
  }
}

