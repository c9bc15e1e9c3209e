// The ingest bench (test/bench/ingest.ts) seeds its database with SQL of its own and sends
// requests it signs itself; a schema change once left it failing at start with nothing else
// noticing. These tests run its seed and its four request shapes through the app, on each
// database, so the bench keeps measuring what the app really does.
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  proxyRequest,
  relayRequest,
  webhookRequest,
  webhookWithContextRequest,
  type BenchDatabase,
} from "../bench/ingest";
import type { PreparedRequest } from "../bench/load";
import { APP_URL } from "./constants";
import { createTestApp, type TestApp } from "./test-app";

export function defineIngestBenchSetup(open: () => Promise<BenchDatabase>) {
  let db: BenchDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await open();
    app = await createTestApp({ DATABASE_URL: db.url });
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  const send = (prepared: PreparedRequest) =>
    app.handle(
      new Request(new URL(prepared.path, APP_URL), {
        method: "POST",
        headers: prepared.headers,
        body: prepared.body,
      }),
    );

  it("the bench's seeded shop takes its webhook, app proxy, relay and in-context webhook requests, queued at its pixel", async () => {
    const queued = () => app.prisma.delivery.count();
    for (const [prepared, status] of [
      [webhookRequest(), 200],
      [proxyRequest(0), 204],
      [relayRequest(0), 204],
    ] as const) {
      const before = await queued();
      expect((await send(prepared)).status).toBe(status);
      expect(await queued()).toBeGreaterThan(before);
    }
    // An order naming the session and the checkout stored above: both are read, and their
    // click id (the bare order has none) reaches its Purchase.
    const withContext = webhookWithContextRequest(0);
    expect((await send(withContext)).status).toBe(200);
    const orderId = String(JSON.parse(withContext.body).id);
    expect(
      await app.prisma.delivery.findFirstOrThrow({
        where: { eventId: `${orderId}_Purchase` },
        select: { matchKeys: true },
      }),
    ).toEqual({ matchKeys: expect.stringContaining("ttclid") });

    const deliveries = await app.prisma.delivery.findMany({
      select: { shop: true, pixelCode: true, eventName: true },
    });
    expect(deliveries.map((d) => d.eventName)).toContain("Purchase");
    expect(new Set(deliveries.map((d) => `${d.shop} ${d.pixelCode}`))).toEqual(
      new Set(["bench.myshopify.com CBENCHPIXEL00000001"]),
    );
  });

  it("the baseline's table takes the baseline's insert", async () => {
    const { insert, close } = await db.baselineInsert();
    try {
      await expect(
        insert("webhook-1", "bench.myshopify.com", "{}"),
      ).resolves.toBeUndefined();
    } finally {
      await close();
    }
  });
}
