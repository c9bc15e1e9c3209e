import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { webhookHeaders } from "../../dev/shopify-signing";
import { createTestApp, TEST_CREDS, type TestApp } from "../support/test-app";
import {
  ensureProductionBuild,
  freePort,
  productionEnv,
  startServerProcess,
  type ServerProcess,
} from "../support/server-process";
import { orderBody, simpleOrder, type FixtureOrder } from "../fixtures/orders";
import { configureShop } from "../support/shops";

const SHOP = "crash.myshopify.com";
const PIXEL = "CCRASHPIXEL00000001";
const TOKEN = "crash-token";

let app: TestApp;
let tiktok: TikTokStandin;
let server: ServerProcess | null = null;

beforeAll(async () => {
  await ensureProductionBuild();
  tiktok = await startTikTokStandin({
    accessTokens: { [TOKEN]: [PIXEL] },
    latencyMs: 300,
  });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: TOKEN,
    consentPolicy: "send",
  });
  await app.prisma.$disconnect();
});
afterAll(async () => {
  await server?.kill("SIGKILL");
  await tiktok.close();
  await app.close();
});

function serverEnv(): Record<string, string> {
  return productionEnv(tiktok.url, {
    TIKTOK_TIMEOUT_MS: "5000",
    DELIVERY_WORKER: "on",
    DELIVERY_LEASE_MS: "1500",
  });
}

async function postOrder(base: string, order: FixtureOrder): Promise<number> {
  const body = orderBody(order);
  const headers = webhookHeaders({
    topic: "orders/create",
    shop: SHOP,
    body,
    apiSecret: TEST_CREDS.apiSecret,
  });
  const res = await fetch(`${base}/webhooks/orders`, {
    method: "POST",
    headers,
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

describe("crash safety", () => {
  it("every acknowledged order reaches TikTok after the server is SIGKILLed mid-delivery and restarted", async () => {
    const port = await freePort();
    server = await startServerProcess(serverEnv(), port);
    const acknowledged: FixtureOrder[] = [];

    // Orders keep arriving while TikTok answers slowly; kill the server with sends in flight.
    for (let i = 0; i < 40; i++) {
      const order = simpleOrder();
      const status = await postOrder(server.url, order);
      if (i === 0) expect(status, server.output()).toBe(200);
      if (status === 200) acknowledged.push(order);
      if (i === 25) {
        const started = Date.now();
        while (tiktok.inFlight === 0 && Date.now() - started < 10_000)
          await new Promise((r) => setTimeout(r, 5));
        expect(tiktok.inFlight).toBeGreaterThan(0);
        await server.kill("SIGKILL");
        break;
      }
    }
    expect(acknowledged.length).toBe(26);
    const beforeRestart = new Set(tiktok.accepted.map((e) => e.event_id));
    expect(beforeRestart.size).toBeLessThan(acknowledged.length);

    server = await startServerProcess(serverEnv(), port);
    for (let i = 0; i < 10; i++) {
      const order = simpleOrder();
      expect(await postOrder(server.url, order)).toBe(200);
      acknowledged.push(order);
    }

    const expected = new Set(acknowledged.map((o) => `${o.id}_Purchase`));
    const allReceived = () => {
      const ids = new Set(tiktok.accepted.map((e) => e.event_id));
      return [...expected].every((id) => ids.has(id));
    };
    const started = Date.now();
    while (!allReceived()) {
      if (Date.now() - started > 60_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const received = new Set(tiktok.accepted.map((e) => e.event_id));
    const missing = [...expected].filter((id) => !received.has(id));
    expect(missing, server.output()).toEqual([]);
    // Whatever was sent twice across the crash carried the same event id, so TikTok kept one.
    expect(
      tiktok.accepted.filter((e) => expected.has(e.event_id!)).length,
    ).toBe(expected.size);
    expect(received.size).toBe(expected.size);

    await server.kill("SIGTERM");
    expect(server.child.exitCode ?? 0).toBe(0);
  });
});
