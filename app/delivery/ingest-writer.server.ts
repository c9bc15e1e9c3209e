import type { PrismaClient } from "@prisma/client";
import { enqueue, type NewDelivery } from "./outbox/enqueue.server";
import { runRawTransaction } from "~/db/adapter-sql.server";
import { chunks } from "~/db/chunks";
import {
  jsonRowsSql,
  upsertAttributionSessionsSql,
  type AttributionUpsert,
} from "~/db/sql.server";
import {
  checkoutKey,
  readCheckoutContexts,
  upsertCheckoutContextsSql,
  type CheckoutContextWrite,
  type CheckoutStep,
} from "~/checkout/context-batch.server";

export interface IngestRequest {
  /** Webhook id already seen → the whole request is a duplicate and nothing is written. */
  receipt?: { id: string; shop: string; topic: string };
  session?: AttributionUpsert;
  /** A relayed checkout step: its context merged and written, its deliveries queued after `deliveries`. */
  checkout?: CheckoutStep;
  deliveries: NewDelivery[];
}

export interface IngestOutcome {
  duplicateReceipt: boolean;
  /** Per requested delivery, in order: its id and whether this request created it. */
  deliveries: { deliveryId: string; created: boolean }[];
}

type Job = {
  request: IngestRequest;
  resolve: (o: IngestOutcome) => void;
  reject: (e: unknown) => void;
};

const MAX_BATCH = 200;

/**
 * Group commit for the ingest hot paths (order webhooks, app proxy, checkout relay). Requests that arrive
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
    // On the driver adapter, without Prisma's engine: every statement here is raw SQL, and the
    // engine's work per statement cost more than the statement (app/db/adapter-sql.server.ts).
    return runRawTransaction(this.prisma, async (tx) => {
      const now = new Date();
      const at = now.toISOString();
      const outcomes: IngestOutcome[] = requests.map(() => ({
        duplicateReceipt: false,
        deliveries: [],
      }));

      // 1. Webhook receipts: INSERT … ON CONFLICT DO NOTHING RETURNING tells which are new.
      const receipts = new Map<string, number>(); // receipt id → first request carrying it
      requests.forEach((r, i) => {
        if (!r.receipt) return;
        if (receipts.has(r.receipt.id)) outcomes[i].duplicateReceipt = true;
        else receipts.set(r.receipt.id, i);
      });
      if (receipts.size > 0) {
        const rows = [...receipts.keys()].map((id) => ({
          ...requests[receipts.get(id)!].receipt!,
          at,
        }));
        const source = jsonRowsSql(rows, [
          ["id", "text"],
          ["shop", "text"],
          ["topic", "text"],
          ["at", "timestamp(3)"],
        ]);
        const inserted = await tx.$queryRaw<{ id: string }[]>`
          INSERT INTO "WebhookReceipt" ("id", "shop", "topic", "receivedAt")
          SELECT r."id", r."shop", r."topic", r."at" FROM ${source} AS r WHERE true
          ON CONFLICT ("id") DO NOTHING RETURNING "id"`;
        const fresh = new Set(inserted.map((row) => row.id));
        for (const [id, i] of receipts)
          if (!fresh.has(id)) outcomes[i].duplicateReceipt = true;
      }

      // 2. Storefront sessions: one upsert; the latest request per session wins
      //    (PostgreSQL refuses to update one row twice in a statement).
      const sessions = new Map<string, AttributionUpsert>();
      requests.forEach((r, i) => {
        if (!r.session || outcomes[i].duplicateReceipt) return;
        const k = `${r.session.shop}\u0000${r.session.sessionKey}`;
        const previous = sessions.get(k);
        sessions.set(
          k,
          previous ? mergeSession(previous, r.session) : r.session,
        );
      });
      for (const part of chunks([...sessions.values()], 500)) {
        await tx.$executeRaw`${upsertAttributionSessionsSql(part)}`;
      }

      // 3. Checkout relays: the batch's stored contexts in one read, each step merged in arrival
      //    order (a later step of the same checkout builds on the earlier one), one upsert.
      const stepDeliveries = new Map<number, NewDelivery[]>();
      const steps = requests.flatMap((r, i) =>
        r.checkout && !outcomes[i].duplicateReceipt
          ? [{ step: r.checkout, i }]
          : [],
      );
      if (steps.length > 0) {
        const stored = await readCheckoutContexts(
          tx,
          steps.map((s) => s.step),
        );
        const merged = new Map<string, CheckoutContextWrite>();
        for (const { step, i } of steps) {
          const k = checkoutKey(step.shop, step.checkoutToken);
          const { context, deliveries } = step.merge(
            merged.get(k)?.context ?? stored.get(k) ?? null,
          );
          merged.set(k, {
            shop: step.shop,
            checkoutToken: step.checkoutToken,
            context,
            seenAt: step.now,
          });
          stepDeliveries.set(i, deliveries);
        }
        await tx.$executeRaw`${upsertCheckoutContextsSql([...merged.values()])}`;
      }

      // 4. Deliveries and their outbox rows, through the outbox (the only writer of those tables).
      //    Only the first request of the batch carrying a delivery "created" it.
      const fresh = requests.flatMap((r, i) =>
        outcomes[i].duplicateReceipt
          ? []
          : [...r.deliveries, ...(stepDeliveries.get(i) ?? [])].map((d) => ({
              d,
              i,
            })),
      );
      const enqueued = await enqueue(
        tx,
        fresh.map((f) => f.d),
        now,
      );
      enqueued.forEach((e, j) => outcomes[fresh[j].i].deliveries.push(e));
      return outcomes;
    });
  }
}

/** Two updates of one session in a batch: later values win, missing ones keep the earlier. */
function mergeSession(
  a: AttributionUpsert,
  b: AttributionUpsert,
): AttributionUpsert {
  if (b.consent === "denied") return b; // a withdrawal forgets what came before it
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
