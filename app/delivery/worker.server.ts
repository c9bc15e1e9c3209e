import { randomUUID } from "node:crypto";
import type { PrismaClient } from "@prisma/client";
import type { TikTokEvent } from "~/tiktok/payload";
import type { TikTokClient, SendEventResult } from "~/tiktok/client.server";
import { describeOutcome } from "~/tiktok/outcome";
import { nextRetry, type RetryPolicyOptions } from "~/tiktok/retry-policy";
import { readAccessToken, UnreadableTokenError } from "~/settings/settings.server";

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
    const free = {
      nextAttemptAt: { lte: now },
      OR: [{ leaseExpiresAt: null }, { leaseExpiresAt: { lt: now } }],
    };
    const due = await this.prisma.outboxEntry.findMany({
      where: free,
      select: { id: true },
      orderBy: { nextAttemptAt: "asc" },
      take: this.batchSize,
    });
    if (due.length === 0) return [];
    // The conditional update is the claim: a row another worker took in between no longer matches.
    await this.prisma.outboxEntry.updateMany({
      where: { id: { in: due.map((d) => d.id) }, ...free },
      data: { leaseOwner: this.id, leaseExpiresAt: new Date(now.getTime() + this.leaseMs) },
    });
    return this.prisma.outboxEntry.findMany({
      where: { id: { in: due.map((d) => d.id) }, leaseOwner: this.id },
      select: {
        id: true,
        shop: true,
        attempts: true,
        firstAttemptAt: true,
        delivery: { select: { id: true, pixelCode: true, payload: true, eventTime: true } },
      },
    });
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
    await this.prisma.$transaction([
      this.prisma.delivery.updateMany({
        where: { id: { in: entries.map((e) => e.delivery.id) } },
        data: { status: "failed", lastError: reason, updatedAt: now },
      }),
      this.prisma.outboxEntry.deleteMany({ where: { id: { in: entries.map((e) => e.id) } } }),
    ]);
    this.log(`${entries.length} event(s) failed for ${entries[0]?.shop}: ${reason}`);
  }

  private async settle(entries: ClaimedEntry[], results: Map<string, SendEventResult>): Promise<void> {
    const now = this.now();
    const writes = [];
    for (const entry of entries) {
      const result = results.get(entry.id);
      if (!result) continue; // not answered: the lease expires and it is retried
      const { outcome, attempts } = result;
      const deliveryId = entry.delivery.id;
      const firstAttemptAt = entry.firstAttemptAt ?? attempts[0]?.startedAt ?? now;
      const attemptCount = entry.attempts + Math.max(attempts.length, 1);
      if (attempts.length > 0) {
        writes.push(
          this.prisma.deliveryAttempt.createMany({
            data: attempts.map((a) => ({
              deliveryId,
              startedAt: a.startedAt,
              durationMs: Math.round(a.durationMs),
              httpStatus: a.httpStatus,
              tiktokCode: a.code,
              message: a.message.slice(0, 1000),
              requestId: a.requestId,
              outcome: a.outcome,
              batchSize: a.batchSize,
            })),
          }),
        );
      }
      const lastAttemptAt = attempts.at(-1)?.startedAt ?? now;
      const common = { attemptCount: { increment: Math.max(attempts.length, 1) }, lastAttemptAt };
      if (outcome.kind === "accepted") {
        writes.push(
          this.prisma.delivery.update({
            where: { id: deliveryId },
            data: { ...common, status: "delivered", deliveredAt: now, lastError: null },
          }),
          this.prisma.outboxEntry.delete({ where: { id: entry.id } }),
        );
        continue;
      }
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
    await this.prisma.$transaction(writes);
  }
}
