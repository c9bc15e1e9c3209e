// enqueue: none → pending (with its outbox row) or none → skipped (no outbox row).
import { randomUUID } from "node:crypto";
import type { TikTokEvent } from "~/tiktok/wire-types";
import { matchKeysOf } from "~/tiktok/match-keys";
import { chunks } from "~/db/chunks";
import type { RawSql } from "~/db/adapter-sql.server";
import { jsonRowsSql, newIdSql } from "~/db/sql.server";
import { applySummaryDeltas, SummaryDeltas } from "./day-summary.server";
import { STATUS } from "./states";

export type DeliverySource = "order" | "storefront" | "test";

export interface NewDelivery {
  shop: string;
  source: DeliverySource;
  pixelCode: string;
  event: TikTokEvent;
  orderId?: string | null;
  orderName?: string | null;
  customerId?: string | null;
  sessionKey?: string | null;
  /** Set to record a delivery that is deliberately not sent (consent, order filter). */
  skippedReason?: string;
  /** Not due before this time (a Purchase waiting for the checkout pixel); due now when unset. */
  holdUntil?: Date | null;
  /** Where each match key came from, as JSON ({"ttclid":"checkout_pixel",…}), for the delivery log. */
  keySources?: string | null;
  /** How the shopper reached the order (Purchases only; app/orders/journey.ts). */
  journey?: string | null;
}

/** The Delivery row for a new event; skipped deliveries get no outbox row. */
export function deliveryRow(input: NewDelivery, id: string) {
  const { event } = input;
  const skipped = input.skippedReason !== undefined;
  return {
    id,
    shop: input.shop,
    eventName: event.event,
    eventId: event.event_id,
    source: input.source,
    pixelCode: input.pixelCode,
    orderId: input.orderId ?? null,
    orderName: input.orderName ?? null,
    customerId: input.customerId ?? null,
    sessionKey: input.sessionKey ?? null,
    status: skipped ? STATUS.skipped : STATUS.pending,
    lastError: input.skippedReason ?? null,
    payload: JSON.stringify(event),
    matchKeys: matchKeysOf(event).join(","),
    keySources: input.keySources ?? null,
    journey: input.journey ?? null,
    eventTime: new Date(event.event_time * 1000),
  };
}

export interface Enqueued {
  deliveryId: string;
  /** True for the one input, the first of its (shop, pixel, event, event_id), that created the row. */
  created: boolean;
}

const DELIVERY_COLUMNS: [string, "text" | "integer" | "timestamp(3)"][] = [
  ["id", "text"],
  ["shop", "text"],
  ["source", "text"],
  ["eventName", "text"],
  ["eventId", "text"],
  ["pixelCode", "text"],
  ["orderId", "text"],
  ["orderName", "text"],
  ["customerId", "text"],
  ["sessionKey", "text"],
  ["status", "text"],
  ["lastError", "text"],
  ["payload", "text"],
  ["matchKeys", "text"],
  ["keySources", "text"],
  ["journey", "text"],
  ["eventTime", "timestamp(3)"],
  ["at", "timestamp(3)"],
];

/**
 * Records many deliveries with a handful of set-based statements; run it inside the caller's
 * transaction. The unique (shop, pixel, event, event_id) is the guard: an event that already has a
 * row (whatever its state) is refused and left as it is, and its existing id is returned.
 */
export async function enqueue(
  tx: RawSql,
  deliveries: readonly NewDelivery[],
  now: Date,
): Promise<Enqueued[]> {
  const at = now.toISOString();
  const key = (
    shop: string,
    pixelCode: string,
    eventName: string,
    eventId: string,
  ) => `${shop}\u0000${pixelCode}\u0000${eventName}\u0000${eventId}`;
  const planned = new Map<
    string,
    { row: ReturnType<typeof deliveryRow>; queue: boolean; due: string }
  >();
  for (const d of deliveries) {
    const k = key(d.shop, d.pixelCode, d.event.event, d.event.event_id);
    if (!planned.has(k))
      planned.set(k, {
        row: deliveryRow(d, randomUUID()),
        queue: d.skippedReason === undefined,
        due: d.holdUntil && d.holdUntil > now ? d.holdUntil.toISOString() : at,
      });
  }

  const created = new Set<string>();
  for (const part of chunks([...planned.values()], 500)) {
    const source = jsonRowsSql(
      part.map(({ row }) => ({
        ...row,
        eventTime: row.eventTime.toISOString(),
        at,
      })),
      DELIVERY_COLUMNS,
    );
    const inserted = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO "Delivery" ("id", "shop", "source", "eventName", "eventId", "pixelCode", "orderId", "orderName",
        "customerId", "sessionKey", "status", "lastError", "payload", "matchKeys", "keySources", "journey",
        "eventTime", "attemptCount", "createdAt", "updatedAt")
      SELECT d."id", d."shop", d."source", d."eventName", d."eventId", d."pixelCode", d."orderId", d."orderName",
        d."customerId", d."sessionKey", d."status", d."lastError", d."payload", d."matchKeys", d."keySources",
        d."journey", d."eventTime", 0,
        d."at", d."at"
      FROM ${source} AS d WHERE true
      ON CONFLICT ("shop", "pixelCode", "eventName", "eventId") DO NOTHING RETURNING "id"`;
    for (const row of inserted) created.add(row.id);
  }
  // The rows this call created, counted in the day summary (createdAt is `now` for all of them).
  const counted = new SummaryDeltas();
  for (const { row } of planned.values())
    if (created.has(row.id))
      counted.add({ ...row, createdAt: now }, row.status, 1);
  await applySummaryDeltas(tx, counted);

  const queued = [...planned.values()].filter(
    (p) => p.queue && created.has(p.row.id),
  );
  for (const part of chunks(queued, 500)) {
    const source = jsonRowsSql(
      part.map(({ row, due }) => ({
        deliveryId: row.id,
        shop: row.shop,
        due,
        at,
      })),
      [
        ["deliveryId", "text"],
        ["shop", "text"],
        ["due", "timestamp(3)"],
        ["at", "timestamp(3)"],
      ],
    );
    await tx.$executeRaw`
      INSERT INTO "OutboxEntry" ("id", "deliveryId", "shop", "attempts", "nextAttemptAt", "createdAt")
      SELECT ${newIdSql()}, o."deliveryId", o."shop", 0, o."due", o."at" FROM ${source} AS o`;
  }

  // What already existed is looked up afterwards (the rare duplicate path).
  const existing = new Map<string, string>();
  const missing = [...planned.values()].filter((p) => !created.has(p.row.id));
  for (const part of chunks(missing, 300)) {
    const wanted = jsonRowsSql(
      part.map(({ row }) => ({
        shop: row.shop,
        pixelCode: row.pixelCode,
        eventName: row.eventName,
        eventId: row.eventId,
      })),
      [
        ["shop", "text"],
        ["pixelCode", "text"],
        ["eventName", "text"],
        ["eventId", "text"],
      ],
    );
    const rows = await tx.$queryRaw<
      {
        id: string;
        shop: string;
        pixelCode: string;
        eventName: string;
        eventId: string;
      }[]
    >`
      SELECT d."id", d."shop", d."pixelCode", d."eventName", d."eventId"
      FROM ${wanted} AS k CROSS JOIN "Delivery" AS d -- SQLite: the keys outside, the unique index inside
      WHERE d."shop" = k."shop" AND d."pixelCode" = k."pixelCode"
        AND d."eventName" = k."eventName" AND d."eventId" = k."eventId"`;
    for (const row of rows)
      existing.set(
        key(row.shop, row.pixelCode, row.eventName, row.eventId),
        row.id,
      );
  }

  const seen = new Set<string>();
  return deliveries.map((d) => {
    const k = key(d.shop, d.pixelCode, d.event.event, d.event.event_id);
    const p = planned.get(k)!;
    const isNew = created.has(p.row.id) && !seen.has(k);
    seen.add(k);
    return { deliveryId: existing.get(k) ?? p.row.id, created: isNew };
  });
}
