import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import { orderBody, simpleOrder } from "../fixtures/orders";
import { configureShop } from "../support/shops";

const SHOP = "outage.myshopify.com";
const PIXEL = "COUTAGEPIXEL0000001";
const TOKEN = "outage-token";
const POLICY = { baseMs: 60, minMs: 40, capMs: 300 };

let app: TestApp;
let tiktok: TikTokStandin;

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: TOKEN,
    consentPolicy: "send",
  });
});
afterAll(async () => {
  await app.close();
  await tiktok.close();
});

async function until(
  check: () => Promise<boolean>,
  what: string,
  limitMs = 20_000,
) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limitMs)
      throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("TikTok outage", () => {
  it("retries 500s, timeouts and 40100 with backoff, delivers everything after recovery, never retries 40002", async () => {
    const { DeliveryWorker } = await import("~/delivery/worker.server");
    const { createTikTokClient } = await import("~/tiktok/client.server");
    const client = createTikTokClient({ baseUrl: tiktok.url, timeoutMs: 250 });
    const worker = new DeliveryWorker({
      prisma: app.prisma,
      client,
      idleMs: 10,
      retryPolicy: POLICY,
    });

    const orders = Array.from({ length: 8 }, () => simpleOrder());
    // TikTok rejects a hashed-looking ttclid (40002): a permanent failure for that order only.
    const poisoned = simpleOrder({
      note_attributes: [{ name: "_tt_ttclid", value: "a".repeat(64) }],
    });
    for (const order of [...orders, poisoned]) {
      const res = await app.handle(
        app.webhookRequest("/webhooks/orders", {
          topic: "orders/create",
          shop: SHOP,
          body: orderBody(order),
        }),
      );
      expect(res.status).toBe(200);
    }

    tiktok.setBehaviour({ forced: { kind: "http500" } });
    worker.start();
    await until(async () => tiktok.requests.length >= 2, "two 500s");
    tiktok.setBehaviour({ forced: { kind: "timeout" } });
    await until(async () => tiktok.requests.length >= 4, "timeouts");
    tiktok.setBehaviour({ forced: { kind: "rateLimit" } });
    await until(async () => tiktok.requests.length >= 6, "rate limits");
    expect(tiktok.accepted).toHaveLength(0);
    tiktok.setBehaviour({ forced: null });

    await until(
      async () => (await app.prisma.outboxEntry.count()) === 0,
      "the outbox to drain",
    );
    await worker.stop();
    client.close();

    const deliveries = await app.prisma.delivery.findMany({
      include: { attempts: { orderBy: { startedAt: "asc" } } },
    });
    const good = deliveries.filter(
      (d) => d.orderId !== `gid://shopify/Order/${poisoned.id}`,
    );
    const bad = deliveries.find(
      (d) => d.orderId === `gid://shopify/Order/${poisoned.id}`,
    )!;
    expect(good.every((d) => d.status === "delivered")).toBe(true);
    expect(new Set(tiktok.accepted.map((e) => e.event_id))).toEqual(
      new Set(orders.map((o) => `${o.id}_Purchase`)),
    );

    expect(bad.status).toBe("failed");
    expect(bad.lastError).toMatch(/ttclid/);
    // 40002 is final: once the bad event was isolated (a batch of one) it was never tried again.
    const isolated = bad.attempts.filter(
      (a) => a.tiktokCode === 40002 && a.batchSize === 1,
    );
    expect(isolated).toHaveLength(1);
    expect(bad.attempts.at(-1)).toEqual(isolated[0]);
    expect(bad.attempts.at(-1)!.outcome).toBe("permanent");

    const all = good.flatMap((d) => d.attempts);
    expect(all.some((a) => a.httpStatus === 500)).toBe(true);
    expect(all.some((a) => a.tiktokCode === 40100)).toBe(true);
    expect(
      all.some(
        (a) => a.httpStatus === null && /within 250 ms/.test(a.message ?? ""),
      ),
    ).toBe(true);
    for (const d of good) {
      const outcomes = d.attempts.map((a) => a.outcome);
      expect(outcomes.at(-1)).toBe("accepted");
      // Before that: retryable failures, or the shared batch the poisoned event made TikTok reject.
      expect(
        d.attempts
          .slice(0, -1)
          .every(
            (a) =>
              a.outcome === "retryable" ||
              (a.tiktokCode === 40002 && a.batchSize > 1),
          ),
      ).toBe(true);
      expect(d.attempts.length).toBeGreaterThan(1);
      // Spaced by the policy: never sooner than minMs after the previous attempt ended.
      const retries = d.attempts.filter((a) => a.tiktokCode !== 40002);
      for (let i = 1; i < retries.length; i++) {
        const prev = retries[i - 1];
        if (prev.outcome !== "retryable") continue;
        const gap =
          retries[i].startedAt.getTime() -
          (prev.startedAt.getTime() + prev.durationMs);
        expect(gap).toBeGreaterThanOrEqual(POLICY.minMs - 5);
      }
      expect(d.attemptCount).toBe(d.attempts.length);
    }
  });
});
