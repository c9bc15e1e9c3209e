import { randomUUID } from "node:crypto";
import type { Pixel, PrismaClient } from "@prisma/client";
import type { TikTokEvent } from "~/tiktok/wire-types";
import type { TikTokClient, SendEventResult } from "~/tiktok/client.server";
import { readPixelToken, UnreadableTokenError } from "~/pixels/pixels.server";
import { claim } from "./outbox/claim.server";
import { release } from "./outbox/release.server";
import { renew } from "./outbox/renew.server";
import type { RetryPolicyOptions } from "./outbox/retry-policy";
import {
  planFailAll,
  planSettlement,
  type SettlePlan,
} from "./outbox/settle-plan";
import { settle } from "./outbox/settle.server";
import type { ClaimedEntry } from "./outbox/types";
import { recordSettlement } from "./settlement-metrics.server";
import {
  errorSummary,
  logger as processLogger,
  type Logger,
} from "~/observability/logger.server";

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
  /** Default: the process logger. Lines carry the worker id; see logSettlement for what else. */
  logger?: Logger;
}

/**
 * Drains the outbox: claims due rows with a lease, sends them per shop through the TikTok
 * client (which batches per pixel and isolates bad events), records every attempt, and
 * reschedules retryable failures with the retry policy. Every write goes through ./outbox/.
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
  private readonly log: Logger;
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
    this.log = (options.logger ?? processLogger()).child({
      component: "delivery",
      workerId: this.id,
    });
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
    await release(this.prisma, this.id);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let processed = 0;
      try {
        processed = await this.runOnce();
      } catch (error) {
        this.log.error(
          { error: errorSummary(error) },
          "delivery cycle failed (retried)",
        );
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
    const claimed = await claim(this.prisma, {
      owner: this.id,
      now: this.now(),
      leaseMs: this.leaseMs,
      limit: this.batchSize,
    });
    if (claimed.length === 0) return 0;
    const byShop = new Map<string, ClaimedEntry[]>();
    for (const entry of claimed) {
      byShop.set(entry.shop, [...(byShop.get(entry.shop) ?? []), entry]);
    }
    // One shop's bad token or outage must not hold up the others: each shop is settled on its own.
    // allSettled: a cycle ends only when every shop's sends are over, so stop() never releases
    // a lease whose request is still in flight.
    const results = await Promise.allSettled(
      [...byShop].map(([shop, entries]) => this.deliverShop(shop, entries)),
    );
    const failed = results.filter(
      (r): r is PromiseRejectedResult => r.status === "rejected",
    );
    if (failed.length > 0) throw failed[0].reason;
    return claimed.length;
  }

  private async deliverShop(
    shop: string,
    entries: ClaimedEntry[],
  ): Promise<void> {
    const settings = await this.prisma.shopSettings.findUnique({
      where: { shop },
      include: { pixels: true },
    });
    if (!settings || settings.uninstalledAt) {
      await this.failAll(
        entries,
        "Not sent: the app is not installed for this shop.",
      );
      return;
    }
    const byPixel = new Map<string, ClaimedEntry[]>();
    for (const entry of entries) {
      const list = byPixel.get(entry.delivery.pixelCode) ?? [];
      list.push(entry);
      byPixel.set(entry.delivery.pixelCode, list);
    }
    // Each pixel is sent on its own and at once: one pixel's revoked token or slow answer
    // never holds up another's deliveries. allSettled, as for shops.
    const results = await Promise.allSettled(
      [...byPixel].map(([pixelCode, claimed]) =>
        this.deliverPixel(
          shop,
          settings.pixels.find((p) => p.pixelCode === pixelCode) ?? null,
          pixelCode,
          claimed,
        ),
      ),
    );
    const failed = results.find(
      (r): r is PromiseRejectedResult => r.status === "rejected",
    );
    if (failed) throw failed.reason;
  }

  private async deliverPixel(
    shop: string,
    pixel: Pixel | null,
    pixelCode: string,
    claimed: ClaimedEntry[],
  ): Promise<void> {
    let accessToken: string | null = null;
    let problem: string | null = null;
    if (!pixel) problem = "Not sent: this pixel was removed from Settings.";
    else if (!pixel.enabled) problem = "Not sent: this pixel is turned off.";
    else {
      try {
        accessToken = readPixelToken(pixel);
        if (!accessToken)
          problem = "Not sent: no access token is saved for this pixel.";
      } catch (error) {
        if (!(error instanceof UnreadableTokenError)) throw error;
        problem = error.message;
      }
    }
    if (problem || !accessToken || !pixel) {
      await this.failAll(claimed, problem ?? "Not sent.");
      return;
    }
    // Other pixels' or shops' sends may have taken a while: extend the lease before sending, and
    // send only what is still ours (a row whose lease lapsed belongs to another worker now).
    const held = await renew(
      this.prisma,
      this.id,
      claimed.map((e) => e.id),
      new Date(this.now().getTime() + this.leaseMs),
    );
    const group = claimed.filter((e) => held.has(e.id));
    if (group.length === 0) return;
    const events = group.map((e) => ({
      key: e.id,
      event: JSON.parse(e.delivery.payload) as TikTokEvent,
    }));
    const results = await this.client.sendEvents({
      pixelCode,
      accessToken,
      testEventCode: pixel.testEventCode,
      events,
    });
    const byKey = new Map(results.map((r) => [r.key, r]));
    const eventIds = new Map(events.map((e) => [e.key, e.event.event_id]));
    await this.settle(shop, pixelCode, group, byKey, eventIds);
  }

  private async failAll(
    entries: ClaimedEntry[],
    reason: string,
  ): Promise<void> {
    const plan = planFailAll(entries, reason);
    await settle(this.prisma, this.id, plan, this.now());
    recordSettlement(plan);
    const shop = entries[0]?.shop;
    for (const entry of entries)
      this.log.warn(
        {
          shop,
          deliveryId: entry.delivery.id,
          eventId: eventIdOf(entry.delivery.payload),
          outcome: "failed",
          code: null,
          detail: reason,
        },
        "delivery failed without a request",
      );
  }

  private async settle(
    shop: string,
    pixelCode: string,
    entries: ClaimedEntry[],
    results: Map<string, SendEventResult>,
    eventIds: ReadonlyMap<string, string>,
  ): Promise<void> {
    const now = this.now();
    const plan = planSettlement({
      entries,
      results,
      policy: this.retryPolicy,
      now,
    });
    await settle(this.prisma, this.id, plan, now);
    recordSettlement(plan, results);
    this.logSettlement(shop, pixelCode, plan, results, eventIds);
  }

  /**
   * One line per TikTok request (code, HTTP status, TikTok's request id, duration) and one per
   * settled delivery (delivery id, event id, outcome, code). Never the payload: it holds the
   * shopper's IP and hashed identifiers. TikTok's free-text message stays in the delivery log.
   */
  private logSettlement(
    shop: string,
    pixelCode: string,
    plan: SettlePlan,
    results: ReadonlyMap<string, SendEventResult>,
    eventIds: ReadonlyMap<string, string>,
  ): void {
    for (const { attempt } of plan.attempts)
      this.log[attempt.outcome === "accepted" ? "info" : "warn"](
        {
          shop,
          pixelCode,
          outcome: attempt.outcome,
          code: attempt.code,
          httpStatus: attempt.httpStatus,
          tiktokRequestId: attempt.requestId,
          events: attempt.batchSize,
          durationMs: attempt.durationMs,
        },
        "tiktok request",
      );
    for (const decision of plan.decisions) {
      const outcome = results.get(decision.outboxId)?.outcome;
      const fields = {
        shop,
        deliveryId: decision.deliveryId,
        eventId: eventIds.get(decision.outboxId),
        code: outcome?.code ?? null,
        reason: outcome?.reason,
      };
      switch (decision.kind) {
        case "delivered":
          this.log.info(
            { ...fields, outcome: "delivered", tries: decision.tries },
            "delivery settled",
          );
          break;
        case "reschedule":
          this.log.info(
            {
              ...fields,
              outcome: "rescheduled",
              attempts: decision.attempts,
              retryAt: decision.retryAt.toISOString(),
            },
            "delivery settled",
          );
          break;
        case "failed":
          this.log.warn(
            { ...fields, outcome: "failed", tries: decision.tries },
            "delivery settled",
          );
          break;
        case "untouched":
          this.log.info(
            { ...fields, outcome: "untouched" },
            "delivery left for another try (no answer recorded)",
          );
          break;
      }
    }
  }
}

/** The event id inside a stored payload, for a log line (undefined if it cannot be read). */
function eventIdOf(payload: string): string | undefined {
  try {
    const id = (JSON.parse(payload) as Partial<TikTokEvent>).event_id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
