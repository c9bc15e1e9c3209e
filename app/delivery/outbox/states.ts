// The life of a delivery, defined once. Only the files next to this one write the Delivery,
// OutboxEntry and DeliveryAttempt tables (test/architecture/outbox-owner.test.ts checks it),
// one file per transition, and each write refuses (changes nothing) when its row is not in
// a state this table allows it to leave. Pure, so the delivery log and the UI import the
// status names from here too.

/** What a Delivery row's `status` may hold. */
export const DELIVERY_STATUSES = [
  "pending",
  "delivered",
  "failed",
  "skipped",
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The names as constants, so code writes `STATUS.failed` rather than a bare string. */
export const STATUS = {
  pending: "pending",
  delivered: "delivered",
  failed: "failed",
  skipped: "skipped",
} as const satisfies { [S in DeliveryStatus]: S };

/** Before enqueue there is no row; after purge there is none any more. */
export const NONE = "none";
export const DELETED = "deleted";
export type FromState = DeliveryStatus | typeof NONE;
export type ToState = DeliveryStatus | typeof DELETED;

/** Every state a transition may start from, `none` included. */
export const FROM_STATES: readonly FromState[] = [NONE, ...DELIVERY_STATUSES];

type Edge = readonly [from: FromState, to: ToState];

/**
 * The allowed transitions. An outbox row exists exactly while a delivery is pending; the
 * lease (claim/release) lives on that row and does not change the status.
 */
export const TRANSITIONS = {
  /** A new event: queued, or recorded as deliberately not sent (consent, order filter). */
  enqueue: [
    [NONE, STATUS.pending],
    [NONE, STATUS.skipped],
  ],
  /** A worker leases due outbox rows; lease only. */
  claim: [[STATUS.pending, STATUS.pending]],
  /** A worker extends its lease on rows it is about to send; lease only. */
  renew: [[STATUS.pending, STATUS.pending]],
  /** A stopping worker hands back its leases; lease only. */
  release: [[STATUS.pending, STATUS.pending]],
  /** TikTok accepted the event. */
  deliver: [[STATUS.pending, STATUS.delivered]],
  /** Permanent error, retries exhausted, or the shop cannot send at all. */
  fail: [[STATUS.pending, STATUS.failed]],
  /** Retryable error: try again later. */
  reschedule: [[STATUS.pending, STATUS.pending]],
  /** The app was uninstalled: what is still owed is not sent. */
  skip: [[STATUS.pending, STATUS.skipped]],
  /**
   * A Purchase enqueued with a hold (no browser context yet) is made due now, with what the
   * checkout pixel's late relay added; refused once a worker has claimed or tried it.
   */
  releaseHold: [[STATUS.pending, STATUS.pending]],
  /** The merchant's "Resend" (same event id, so TikTok deduplicates). Skipped events never are. */
  requeue: [
    [STATUS.failed, STATUS.pending],
    [STATUS.delivered, STATUS.pending],
  ],
  /** Compliance redaction, shop purge and log retention. */
  purge: DELIVERY_STATUSES.map((s) => [s, DELETED] as const),
} as const satisfies Record<string, readonly Edge[]>;

export type Transition = keyof typeof TRANSITIONS;
export const TRANSITION_NAMES = Object.keys(TRANSITIONS) as Transition[];

/** Whether `transition` may move a row from `from` (to `to`, when given). */
export function canTransition(
  transition: Transition,
  from: FromState,
  to?: ToState,
): boolean {
  const edges: readonly Edge[] = TRANSITIONS[transition];
  return edges.some(([f, t]) => f === from && (to === undefined || t === to));
}

/** The states `transition` may start from, for SQL guards (`WHERE "status" IN (…)`). */
export function sourceStatuses(transition: Transition): DeliveryStatus[] {
  const edges: readonly Edge[] = TRANSITIONS[transition];
  return [...new Set(edges.map(([f]) => f))].filter(
    (f): f is DeliveryStatus => f !== NONE,
  );
}

export function isDeliveryStatus(value: string): value is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(value);
}
