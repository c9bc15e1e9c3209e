import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import {
  applyRetention,
  retentionPolicyFromEnv,
} from "~/retention/retention.server";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(() => app.close());

const DAY = 86_400_000;

describe("retention", () => {
  it("reads the policy from the environment with safe defaults, refusing a bad value by name", () => {
    expect(retentionPolicyFromEnv({})).toEqual({
      attributionDays: 60,
      deliveryLogDays: 90,
      webhookReceiptDays: 7,
    });
    expect(
      retentionPolicyFromEnv({ ATTRIBUTION_RETENTION_DAYS: "30" }),
    ).toMatchObject({
      attributionDays: 30,
      deliveryLogDays: 90,
    });
    // A typo used to fall back to the default silently; now it stops the process at start.
    expect(() =>
      retentionPolicyFromEnv({
        ATTRIBUTION_RETENTION_DAYS: "30",
        DELIVERY_LOG_RETENTION_DAYS: "nope",
      }),
    ).toThrow(/DELIVERY_LOG_RETENTION_DAYS must be a whole number of days/);
  });

  it("deletes old sessions, old finished log entries and old receipts, keeping recent and pending ones", async () => {
    const now = new Date("2026-11-21T12:00:00Z");
    const old = new Date(now.getTime() - 61 * DAY);
    const recent = new Date(now.getTime() - 59 * DAY);
    await app.prisma.attributionSession.createMany({
      data: [
        { shop: "a.myshopify.com", sessionKey: "old", lastSeenAt: old },
        { shop: "a.myshopify.com", sessionKey: "recent", lastSeenAt: recent },
      ],
    });
    const base = {
      shop: "a.myshopify.com",
      source: "order",
      eventName: "Purchase",
      pixelCode: "P",
      payload: "{}",
      eventTime: now,
    };
    await app.prisma.delivery.createMany({
      data: [
        {
          ...base,
          eventId: "old-delivered",
          status: "delivered",
          createdAt: new Date(now.getTime() - 91 * DAY),
        },
        {
          ...base,
          eventId: "old-pending",
          status: "pending",
          createdAt: new Date(now.getTime() - 91 * DAY),
        },
        {
          ...base,
          eventId: "recent",
          status: "failed",
          createdAt: new Date(now.getTime() - 89 * DAY),
        },
      ],
    });
    await app.prisma.webhookReceipt.createMany({
      data: [
        {
          id: "old",
          shop: "a.myshopify.com",
          topic: "ORDERS_CREATE",
          receivedAt: new Date(now.getTime() - 8 * DAY),
        },
        {
          id: "new",
          shop: "a.myshopify.com",
          topic: "ORDERS_CREATE",
          receivedAt: new Date(now.getTime() - 1 * DAY),
        },
      ],
    });
    const removed = await applyRetention(
      app.prisma,
      retentionPolicyFromEnv({}),
      now,
    );
    expect(removed).toEqual({
      attributionSessions: 1,
      deliveries: 1,
      webhookReceipts: 1,
    });
    expect(
      (await app.prisma.attributionSession.findMany()).map((s) => s.sessionKey),
    ).toEqual(["recent"]);
    expect(
      (await app.prisma.delivery.findMany()).map((d) => d.eventId).sort(),
    ).toEqual(["old-pending", "recent"]);
    expect(
      (await app.prisma.webhookReceipt.findMany()).map((r) => r.id),
    ).toEqual(["new"]);
  });
});
