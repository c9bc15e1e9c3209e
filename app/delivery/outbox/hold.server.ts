// releaseHold: pending → pending. A Purchase that found no browser context was enqueued with a
// hold (its outbox row due later, enqueue's holdUntil); the checkout pixel's relay then brings
// the keys, and this makes the row due now with the event rebuilt from them. It refuses (false,
// nothing changed) once the row is no longer held: due already, claimed by a worker, or tried,
// because from then on what TikTok received must not differ from what the log shows.
import type { Prisma } from "@prisma/client";
import type { TikTokEvent } from "~/tiktok/wire-types";
import { matchKeysOf } from "~/tiktok/match-keys";
import {
  applySummaryDeltas,
  SUMMARY_SELECT,
  SummaryDeltas,
} from "./day-summary.server";
import { sourceStatuses, STATUS } from "./states";

export interface HeldUpdate {
  event: TikTokEvent;
  keySources: string | null;
}

/** Run inside the caller's transaction. */
export async function releaseHold(
  tx: Prisma.TransactionClient,
  shop: string,
  deliveryId: string,
  update: HeldUpdate,
  now: Date,
): Promise<boolean> {
  const held = {
    attempts: 0,
    leaseOwner: null,
    nextAttemptAt: { gt: now },
  } as const;
  const guard = {
    id: deliveryId,
    shop,
    status: { in: sourceStatuses("releaseHold") },
    eventId: update.event.event_id, // the event keeps its id
    outbox: { is: held },
  };
  // The match keys change, so the day summary moves the row from its old keys to the new.
  // The UPDATE is also guarded by the keys read here: a concurrent release refuses this one.
  const current = await tx.delivery.findFirst({
    where: guard,
    select: SUMMARY_SELECT,
  });
  if (!current) return false;
  const matchKeys = matchKeysOf(update.event).join(",");
  const moved = await tx.delivery.updateMany({
    where: { ...guard, matchKeys: current.matchKeys },
    data: {
      payload: JSON.stringify(update.event),
      matchKeys,
      keySources: update.keySources,
    },
  });
  if (moved.count === 0) return false;
  await applySummaryDeltas(
    tx,
    new SummaryDeltas()
      .add(current, STATUS.pending, -1)
      .add({ ...current, matchKeys }, STATUS.pending, 1),
  );
  await tx.outboxEntry.updateMany({
    where: { deliveryId, ...held },
    data: { nextAttemptAt: now },
  });
  return true;
}
