import { randomUUID } from "node:crypto";
import type { Prisma, PrismaClient } from "@prisma/client";
import { deliveryRow, type NewDelivery } from "./outbox.server";
import { chunks, IN_LIST_CHUNK } from "~/db/chunks";
import { upsertAttributionSessionsSql, type AttributionUpsert } from "~/db/sql.server";

export interface IngestRequest {
  /** Webhook id already seen → the whole request is a duplicate and nothing is written. */
  receipt?: { id: string; shop: string; topic: string };
  session?: AttributionUpsert;
  deliveries: NewDelivery[];
}

export interface IngestOutcome {
  duplicateReceipt: boolean;
  /** Per requested delivery, in order: its id and whether this request created it. */
  deliveries: { deliveryId: string; created: boolean }[];
}

type Job = { request: IngestRequest; resolve: (o: IngestOutcome) => void; reject: (e: unknown) => void };

const MAX_BATCH = 200;

/**
 * Group commit for the ingest hot paths (order webhooks, app proxy). Requests that arrive
 * while a transaction is running are written together in the next one, with a handful of
 * set-based statements per batch instead of several per request. Nobody waits for a
 * timer: an idle writer commits a lone request at once. Each caller's promise resolves only
 * after its rows are committed, so a 200/204 still means "durably queued".
 */
export class IngestWriter {
  private queue: Job[] = [];
  private flushing = false;

  private readonly prisma: PrismaClient;

  constructor(prisma: PrismaClient) {
    this.prisma = prisma;
  }

  submit(request: IngestRequest): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      try {
        const outcomes = await this.write(batch.map((j) => j.request));
        batch.forEach((job, i) => job.resolve(outcomes[i]));
      } catch (error) {
        if (batch.length === 1) {
          batch[0].reject(error);
          continue;
        }
        // Isolate the request that failed (e.g. a unique race with another process).
        for (const job of batch) {
          try {
            job.resolve((await this.write([job.request]))[0]);
          } catch (single) {
            job.reject(single);
          }
        }
      }
    }
    this.flushing = false;
  }

  private write(requests: IngestRequest[]): Promise<IngestOutcome[]> {
    return this.prisma.$transaction(async (tx) => {
      const outcomes: IngestOutcome[] = requests.map(() => ({ duplicateReceipt: false, deliveries: [] }));

      const receiptIds = requests.flatMap((r) => (r.receipt ? [r.receipt.id] : []));
      if (receiptIds.length > 0) {
        const seen = new Set<string>();
        for (const ids of chunks(receiptIds, IN_LIST_CHUNK)) {
          const rows = await tx.webhookReceipt.findMany({ where: { id: { in: ids } }, select: { id: true } });
          for (const row of rows) seen.add(row.id);
        }
        const fresh: Prisma.WebhookReceiptCreateManyInput[] = [];
        requests.forEach((r, i) => {
          if (!r.receipt) return;
          if (seen.has(r.receipt.id)) outcomes[i].duplicateReceipt = true;
          else {
            seen.add(r.receipt.id);
            fresh.push(r.receipt);
          }
        });
        for (const rows of chunks(fresh, 200)) await tx.webhookReceipt.createMany({ data: rows });
      }

      // One statement for all sessions of the batch; the latest request per session wins
      // (PostgreSQL refuses to update one row twice in a statement).
      const sessions = new Map<string, AttributionUpsert>();
      requests.forEach((r, i) => {
        if (!r.session || outcomes[i].duplicateReceipt) return;
        const k = `${r.session.shop}\u0000${r.session.sessionKey}`;
        const previous = sessions.get(k);
        sessions.set(k, previous ? mergeSession(previous, r.session) : r.session);
      });
      for (const part of chunks([...sessions.values()], 500)) {
        await tx.$executeRaw`${upsertAttributionSessionsSql(part)}`;
      }

      const key = (d: { shop: string; eventName: string; eventId: string }) => `${d.shop}\u0000${d.eventName}\u0000${d.eventId}`;
      const wanted = requests.flatMap((r, i) =>
        outcomes[i].duplicateReceipt ? [] : r.deliveries.map((d) => ({ shop: d.shop, eventName: d.event.event, eventId: d.event.event_id })),
      );
      const existing = new Map<string, string>();
      // Three parameters per key: 300 keys stay under SQLite's 999 bound parameters.
      for (const part of chunks(wanted, 300)) {
        const rows = await tx.delivery.findMany({ where: { OR: part }, select: { id: true, shop: true, eventName: true, eventId: true } });
        for (const row of rows) existing.set(key(row), row.id);
      }
      const newDeliveries: Prisma.DeliveryCreateManyInput[] = [];
      const newOutbox: Prisma.OutboxEntryCreateManyInput[] = [];
      requests.forEach((r, i) => {
        if (outcomes[i].duplicateReceipt) return;
        for (const d of r.deliveries) {
          const k = key({ shop: d.shop, eventName: d.event.event, eventId: d.event.event_id });
          const found = existing.get(k);
          if (found) {
            outcomes[i].deliveries.push({ deliveryId: found, created: false });
            continue;
          }
          const id = randomUUID();
          existing.set(k, id);
          newDeliveries.push(deliveryRow(d, id));
          if (d.skippedReason === undefined) newOutbox.push({ id: randomUUID(), deliveryId: id, shop: d.shop });
          outcomes[i].deliveries.push({ deliveryId: id, created: true });
        }
      });
      for (const rows of chunks(newDeliveries, 50)) await tx.delivery.createMany({ data: rows });
      for (const rows of chunks(newOutbox, 300)) await tx.outboxEntry.createMany({ data: rows });
      return outcomes;
    });
  }
}

/** Two updates of one session in a batch: later values win, missing ones keep the earlier. */
function mergeSession(a: AttributionUpsert, b: AttributionUpsert): AttributionUpsert {
  return {
    ...b,
    landingUrl: a.landingUrl ?? b.landingUrl,
    ttclid: b.ttclid ?? a.ttclid,
    ttp: b.ttp ?? a.ttp,
    ip: b.ip ?? a.ip,
    userAgent: b.userAgent ?? a.userAgent,
    cartToken: b.cartToken ?? a.cartToken,
  };
}
