import { describe, expect, it } from "vitest";
import {
  canTransition,
  DELETED,
  DELIVERY_STATUSES,
  FROM_STATES,
  isDeliveryStatus,
  NONE,
  sourceStatuses,
  STATUS,
  TRANSITION_NAMES,
  TRANSITIONS,
  type FromState,
  type ToState,
  type Transition,
} from "./states";

describe("delivery states", () => {
  it("names the four statuses once, in the order the UI lists them", () => {
    expect(DELIVERY_STATUSES).toEqual([
      "pending",
      "delivered",
      "failed",
      "skipped",
    ]);
    expect(Object.values(STATUS)).toEqual([...DELIVERY_STATUSES]);
    expect(FROM_STATES).toEqual([NONE, ...DELIVERY_STATUSES]);
    expect(DELIVERY_STATUSES.every(isDeliveryStatus)).toBe(true);
    expect(isDeliveryStatus("sent")).toBe(false);
    expect(isDeliveryStatus(NONE)).toBe(false);
  });

  // The whole table, spelled out: changing TRANSITIONS without meaning to fails here.
  const allowed: Record<Transition, [FromState, string][]> = {
    enqueue: [
      ["none", "pending"],
      ["none", "skipped"],
    ],
    claim: [["pending", "pending"]],
    renew: [["pending", "pending"]],
    release: [["pending", "pending"]],
    deliver: [["pending", "delivered"]],
    fail: [["pending", "failed"]],
    reschedule: [["pending", "pending"]],
    skip: [["pending", "skipped"]],
    releaseHold: [["pending", "pending"]],
    requeue: [
      ["failed", "pending"],
      ["delivered", "pending"],
    ],
    purge: [
      ["pending", "deleted"],
      ["delivered", "deleted"],
      ["failed", "deleted"],
      ["skipped", "deleted"],
    ],
  };

  it("allows exactly the listed edges", () => {
    expect(TRANSITION_NAMES.sort()).toEqual(Object.keys(allowed).sort());
    for (const t of TRANSITION_NAMES) {
      expect(TRANSITIONS[t].map(([f, to]) => [f, to])).toEqual(allowed[t]);
    }
  });

  it.each(
    TRANSITION_NAMES.flatMap((t) =>
      FROM_STATES.map((from) => [t, from] as const),
    ),
  )("canTransition(%s, from %s) matches the table", (t, from) => {
    const expected = allowed[t].some(([f]) => f === from);
    expect(canTransition(t, from)).toBe(expected);
    for (const to of [...DELIVERY_STATUSES, DELETED] as ToState[]) {
      expect(canTransition(t, from, to)).toBe(
        allowed[t].some(([f, t2]) => f === from && t2 === to),
      );
    }
  });

  it("nothing leaves skipped except purge: a skipped event is never sent or resent", () => {
    expect(TRANSITION_NAMES.filter((t) => canTransition(t, "skipped"))).toEqual(
      ["purge"],
    );
  });

  it("only enqueue starts from no row, and nothing but purge deletes", () => {
    expect(TRANSITION_NAMES.filter((t) => canTransition(t, NONE))).toEqual([
      "enqueue",
    ]);
    expect(
      TRANSITION_NAMES.filter((t) =>
        FROM_STATES.some((f) => canTransition(t, f, DELETED)),
      ),
    ).toEqual(["purge"]);
  });

  it("sourceStatuses gives the SQL guard of a transition", () => {
    expect(sourceStatuses("requeue")).toEqual(["failed", "delivered"]);
    expect(sourceStatuses("deliver")).toEqual(["pending"]);
    expect(sourceStatuses("enqueue")).toEqual([]);
    expect(sourceStatuses("purge")).toEqual([...DELIVERY_STATUSES]);
  });
});
