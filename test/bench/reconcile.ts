// Reconciliation of 10,000 orders against the Admin GraphQL orders stand-in (SQLite): 9,700 with
// a recorded Purchase, 300 missing and backfilled. Measures the app's side: wall time, the API
// cost points the run used, and peak memory of this process (which also holds the stand-in and
// its 10,000 orders). The stand-in's bucket refills without limit here, so the figure is the
// app's own speed; the time Shopify's restore rates would add is derived from the cost used
// (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { applyMigrations } from "../support/database";
import { TEST_ENCRYPTION_KEY } from "../support/constants";
import { configureShop } from "../support/shops";
import { graphqlOrder } from "../fixtures/graphql-orders";
import { fmt } from "./load";

const SHOP = "bench-reconcile.myshopify.com";
const PIXEL = "CBENCHRECONCILE0001";
const ADMIN_TOKEN = `shpat_bench_${SHOP}`;
const ORDERS = 10_000;
const MISSING_EVERY = 33; // 10,000 / 33 ≈ 303 missing

export async function run() {
  const dir = mkdtempSync(path.join(tmpdir(), "tiktok-bench-reconcile-"));
  process.env.DATABASE_URL = `file:${path.join(dir, "bench.sqlite")}`;
  process.env.ENCRYPTION_KEY = TEST_ENCRYPTION_KEY;
  await applyMigrations(process.env.DATABASE_URL);

  const { startOrdersStandin } =
    await import("../../dev/shopify-orders-standin.server");
  const shopify = await startOrdersStandin({
    tokens: { [ADMIN_TOKEN]: SHOP },
    maximumAvailable: 2000,
    restoreRate: 1_000_000_000,
  });
  process.env.SHOPIFY_ADMIN_API_URL = shopify.url;
  process.env.DELIVERY_WORKER = "off";

  const { default: prisma } = await import("../../app/db.server");
  const { IngestWriter } =
    await import("../../app/delivery/ingest-writer.server");
  const { purchaseDeliveries } =
    await import("../../app/orders/order-webhook.server");
  const { fromGraphqlOrder, parseGraphqlOrder } =
    await import("../../app/orders/graphql-order");
  const { reconcileShop } = await import("../../app/reconciliation/run.server");

  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: "bench-tiktok-token",
  });
  await prisma.shopSettings.update({
    where: { shop: SHOP },
    data: { createdAt: new Date(Date.now() - 30 * 86_400_000) },
  });
  await prisma.pixel.updateMany({
    where: { shop: SHOP },
    data: { createdAt: new Date(Date.now() - 30 * 86_400_000) },
  });
  await prisma.session.create({
    data: {
      id: `offline_${SHOP}`,
      shop: SHOP,
      state: "installed",
      isOnline: false,
      scope: "read_orders",
      accessToken: ADMIN_TOKEN,
    },
  });

  // Orders over the last 6.9 days; the recorded ones get their Purchase the webhook way.
  const now = Date.now();
  const orders = Array.from({ length: ORDERS }, (_, i) =>
    graphqlOrder(i, new Date(now - 6.9 * 86_400_000 + i * 59_000)),
  );
  shopify.setOrders(orders);
  const pixels = await prisma.pixel.findMany({ where: { shop: SHOP } });
  const writer = new IngestWriter(prisma);
  const recorded = orders.filter((_, i) => i % MISSING_EVERY !== 0);
  for (let k = 0; k < recorded.length; k += 500) {
    const deliveries = (
      await Promise.all(
        recorded
          .slice(k, k + 500)
          .map((node) =>
            purchaseDeliveries(
              SHOP,
              fromGraphqlOrder(parseGraphqlOrder(node)),
              pixels,
            ),
          ),
      )
    ).flat();
    await writer.submit({ deliveries });
  }
  const missing = ORDERS - recorded.length;

  const lines: string[] = [];
  try {
    global.gc?.();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 20);
    const started = performance.now();
    const outcome = await reconcileShop(SHOP, { trigger: "manual" });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    if (outcome.status !== "completed" || outcome.ordersSeen !== ORDERS)
      throw new Error(`run did not complete: ${JSON.stringify(outcome)}`);
    if (outcome.backfilled !== missing)
      throw new Error(`backfilled ${outcome.backfilled}, expected ${missing}`);
    const mb = (bytes: number) => fmt(bytes / 1024 / 1024, 0);
    const requests = shopify.requests.length;
    lines.push(
      `${ORDERS} orders (${missing} missing, backfilled) in ${fmt(seconds, 2)} s, ${requests} Admin API requests  [goal < 60 s]`,
    );
    lines.push(
      `API cost used: ${outcome.costUsed} points (${fmt(outcome.costUsed / ORDERS, 1)} per order); at Shopify's restore rates that is at least ${fmt(outcome.costUsed / 100)} s on Standard (100 points/s), ${fmt(outcome.costUsed / 1000)} s on Plus (1000 points/s)`,
    );
    lines.push(
      `memory: the run added ${mb(peakRss - baseline.rss)} MB rss / ${mb(peakHeap - baseline.heapUsed)} MB heap at peak; whole process (stand-in with its 10,000 orders and the bench's setup included) peaked at rss ${mb(peakRss)} MB, heap ${mb(peakHeap)} MB  [goal < 200 MB]`,
    );
  } finally {
    await shopify.close();
    await prisma.$disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: "reconcile", lines };
}
