// Delivery throughput from the outbox to the local TikTok stand-in: the real worker, batched
// (up to 1000 events per request) against one request per event, in the same run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyMigrations } from "../support/database";
import { TEST_ENCRYPTION_KEY } from "../support/constants";
import { fmt } from "./load";
import { configureShop } from "../support/shops";

const SHOP = "bench-delivery.myshopify.com";
const PIXEL = "CBENCHDELIVERY00001";
const TOKEN = "bench-delivery-token";

export async function run() {
  const dir = mkdtempSync(path.join(tmpdir(), "tiktok-bench-delivery-"));
  process.env.DATABASE_URL = `file:${path.join(dir, "bench.sqlite")}`;
  process.env.ENCRYPTION_KEY = TEST_ENCRYPTION_KEY;
  await applyMigrations(process.env.DATABASE_URL);

  const { startTikTokStandin } =
    await import("../../dev/tiktok-standin.server");
  const { default: prisma } = await import("../../app/db.server");
  const { IngestWriter } =
    await import("../../app/delivery/ingest-writer.server");
  const { DeliveryWorker } = await import("../../app/delivery/worker.server");
  const { createLogger } =
    await import("../../app/observability/logger.server");
  const { createTikTokClient } = await import("../../app/tiktok/client.server");
  const { buildEvent } = await import("../../app/tiktok/event-builder");
  const { hashUserIdentifiers } = await import("../../app/tiktok/hashing");

  const tiktok = await startTikTokStandin({
    accessTokens: { [TOKEN]: [PIXEL] },
  });
  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: TOKEN,
    consentPolicy: "send",
  });
  const writer = new IngestWriter(prisma);
  let seq = 0;
  async function enqueue(count: number) {
    const now = Math.floor(Date.now() / 1000);
    for (let start = 0; start < count; start += 500) {
      const base = seq;
      await Promise.all(
        Array.from({ length: Math.min(500, count - start) }, (_, k) => {
          const n = base + k + 1;
          const event = buildEvent({
            eventName: "Purchase",
            eventId: `${7_000_000_000_000 + n}_Purchase`,
            eventTime: now,
            user: {
              ...hashUserIdentifiers({
                emails: [`buyer${n}@example.com`],
                externalIds: [String(n)],
              }),
              ip: "203.0.113.7",
              userAgent: "Mozilla/5.0 (bench)",
              ttclid: `E.C.P.${n}`,
            },
            properties: {
              currency: "USD",
              value: 42.5,
              contentType: "product",
              contents: [
                {
                  contentId: String(40_000_000_000_000 + n),
                  price: 42.5,
                  quantity: 1,
                },
              ],
              orderId: String(n),
            },
          });
          return writer.submit({
            deliveries: [
              {
                shop: SHOP,
                source: "order",
                pixelCode: PIXEL,
                event,
                orderName: `#${n}`,
              },
            ],
          });
        }),
      );
      seq += Math.min(500, count - start);
    }
  }
  async function drain(
    batchSize: number,
  ): Promise<{ events: number; seconds: number; requests: number }> {
    const client = createTikTokClient({ baseUrl: tiktok.url });
    const worker = new DeliveryWorker({
      prisma,
      client,
      batchSize,
      // The figure is the delivery path's; a line per event would measure stdout instead.
      logger: createLogger({ level: "silent", format: "json" }),
    });
    const requestsBefore = tiktok.requests.length;
    const acceptedBefore = tiktok.accepted.length;
    const started = performance.now();
    while ((await worker.runOnce()) > 0) {
      /* until the outbox is empty */
    }
    const seconds = (performance.now() - started) / 1000;
    client.close();
    return {
      events: tiktok.accepted.length - acceptedBefore,
      seconds,
      requests: tiktok.requests.length - requestsBefore,
    };
  }

  const lines: string[] = [];
  try {
    await enqueue(20_000);
    const batched = await drain(1000);
    await enqueue(1_000);
    const single = await drain(1);
    const batchedRate = batched.events / batched.seconds;
    const singleRate = single.events / single.seconds;
    lines.push(
      `batched (worker claims 1000, <= 1000 events/request): ${fmt(batchedRate)} events/s (${batched.events} events, ${batched.requests} requests, ${fmt(batched.seconds, 2)} s)  [goal >= 10,000 events/s]`,
    );
    lines.push(
      `one request per event (worker claims 1): ${fmt(singleRate)} events/s (${single.events} events, ${single.requests} requests, ${fmt(single.seconds, 2)} s)`,
    );
    lines.push(
      `batched / unbatched: ${(batchedRate / singleRate).toFixed(1)}x  [goal >= 20x]`,
    );
  } finally {
    await tiktok.close();
    await prisma.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: "delivery", lines };
}
