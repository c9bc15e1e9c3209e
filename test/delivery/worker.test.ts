import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import { configureShop } from "../support/shops";

const GOOD = {
  shop: "good.myshopify.com",
  pixel: "CGOODPIXEL000000001",
  token: "good-token",
};
const BAD = {
  shop: "bad.myshopify.com",
  pixel: "CBADPIXEL0000000001",
  token: "revoked-token",
};

const SECOND_PIXEL = "CGOODPIXEL000000002";

let app: TestApp;
let tiktok: TikTokStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({
    accessTokens: { [GOOD.token]: [GOOD.pixel, SECOND_PIXEL] },
  });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  for (const s of [GOOD, BAD]) {
    await configureShop(s.shop, {
      pixelCode: s.pixel,
      accessToken: s.token,
      consentPolicy: "send",
    });
  }
  // GOOD's second pixel, on the same token.
  const { createPixel } = await import("~/pixels/pixels.server");
  const { DEFAULT_SETTINGS } = await import("~/settings/settings-form");
  const { purchaseTrigger: _trigger, ...pixelDefaults } = DEFAULT_SETTINGS;
  await createPixel(GOOD.shop, {
    ...pixelDefaults,
    name: "Second",
    pixelCode: SECOND_PIXEL,
    accessToken: GOOD.token,
  });
});
afterAll(async () => {
  await app.close();
  await tiktok.close();
});
beforeEach(async () => {
  await app.prisma.delivery.deleteMany({});
  tiktok.reset();
});

let n = 0;
async function queue(shop: typeof GOOD, count: number) {
  const { ingestWriter } = await import("~/delivery/runtime.server");
  const { buildEvent } = await import("~/tiktok/event-builder");
  for (let i = 0; i < count; i++) {
    n += 1;
    await ingestWriter().submit({
      deliveries: [
        {
          shop: shop.shop,
          source: "order",
          pixelCode: shop.pixel,
          orderName: `#${n}`,
          event: buildEvent({
            eventName: "Purchase",
            eventId: `${9_000 + n}_Purchase`,
            eventTime: new Date(),
            user: { ip: "203.0.113.1", userAgent: "UA" },
            properties: { currency: "USD", value: 1 },
          }),
        },
      ],
    });
  }
}

async function worker(id: string, leaseMs = 60_000) {
  const { DeliveryWorker } = await import("~/delivery/worker.server");
  const { createTikTokClient } = await import("~/tiktok/client.server");
  return new DeliveryWorker({
    prisma: app.prisma,
    client: createTikTokClient({ baseUrl: tiktok.url }),
    workerId: id,
    leaseMs,
  });
}

describe("delivery worker", () => {
  it("keeps delivering other shops when one shop's token is rejected", async () => {
    await queue(BAD, 3);
    await queue(GOOD, 3);
    await (await worker("w1")).runOnce();
    const byShop = await app.prisma.delivery.groupBy({
      by: ["shop", "status"],
      _count: true,
    });
    expect(byShop.map((g) => [g.shop, g.status, g._count]).sort()).toEqual([
      [BAD.shop, "failed", 3],
      [GOOD.shop, "delivered", 3],
    ]);
    expect(tiktok.accepted).toHaveLength(3);
    expect(await app.prisma.outboxEntry.count()).toBe(0);
  });

  it("two workers never claim the same row", async () => {
    await queue(GOOD, 40);
    const [a, b] = [await worker("wa"), await worker("wb")];
    await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    expect(tiktok.accepted).toHaveLength(40);
    expect(tiktok.duplicatesIgnored).toBe(0);
    const attempts = await app.prisma.deliveryAttempt.groupBy({
      by: ["deliveryId"],
      _count: true,
    });
    expect(attempts.every((g) => g._count === 1)).toBe(true);
  });

  it("a worker renews its lease before each pixel's send, so a long cycle is not claimed twice", async () => {
    const { ingestWriter } = await import("~/delivery/runtime.server");
    const { buildEvent } = await import("~/tiktok/event-builder");
    const deliveries = [GOOD.pixel, GOOD.pixel, SECOND_PIXEL, SECOND_PIXEL].map(
      (pixelCode, i) => ({
        shop: GOOD.shop,
        source: "order" as const,
        pixelCode,
        event: buildEvent({
          eventName: "Purchase",
          eventId: `${8_800 + i}_Purchase`,
          eventTime: new Date(),
          user: { ip: "203.0.113.1", userAgent: "UA" },
          properties: { currency: "USD", value: 1 },
        }),
      }),
    );
    await ingestWriter().submit({ deliveries });
    // Each pixel's request takes 1 s; the lease is 1.5 s: without renewal, the second pixel's
    // rows would be free for another worker while the first worker is still going to send them.
    tiktok.setBehaviour({ latencyMs: 1_000 });
    const slow = await worker("slow-cycle", 1_500);
    const cycle = slow.runOnce();
    await new Promise((r) => setTimeout(r, 1_800));
    const other = await worker("other", 60_000);
    expect(await other.runOnce()).toBe(0);
    expect(await cycle).toBe(4);
    expect(tiktok.accepted).toHaveLength(4);
    expect(tiktok.duplicatesIgnored).toBe(0);
    expect(
      await app.prisma.delivery.count({ where: { status: "delivered" } }),
    ).toBe(4);
  });

  it("a crashed worker's rows are picked up once its lease expires", async () => {
    await queue(GOOD, 5);
    // Simulate a worker that claimed the rows and died.
    await app.prisma.outboxEntry.updateMany({
      data: {
        leaseOwner: "dead-worker",
        leaseExpiresAt: new Date(Date.now() + 60_000),
      },
    });
    const live = await worker("live");
    expect(await live.runOnce()).toBe(0);
    await app.prisma.outboxEntry.updateMany({
      data: { leaseExpiresAt: new Date(Date.now() - 1) },
    });
    expect(await live.runOnce()).toBe(5);
    expect(tiktok.accepted).toHaveLength(5);
  });

  it("stop() releases rows still leased to the worker", async () => {
    await queue(GOOD, 2);
    const w = await worker("stopping");
    await app.prisma.outboxEntry.updateMany({
      data: {
        leaseOwner: "stopping",
        leaseExpiresAt: new Date(Date.now() + 60_000),
      },
    });
    await w.stop();
    const rows = await app.prisma.outboxEntry.findMany();
    expect(rows).toHaveLength(2);
    expect(
      rows.every((r) => r.leaseOwner === null && r.leaseExpiresAt === null),
    ).toBe(true);
  });

  it("a started worker loop delivers work queued while it runs", async () => {
    const w = await worker("looping");
    w.start();
    await queue(GOOD, 1);
    w.notify();
    const started = Date.now();
    while (tiktok.accepted.length === 0 && Date.now() - started < 10_000)
      await new Promise((r) => setTimeout(r, 10));
    await w.stop();
    expect(tiktok.accepted).toHaveLength(1);
  });
});
