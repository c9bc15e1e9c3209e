// A worker process (the image's `worker` command, as compose runs it) with WORKER_METRICS_PORT:
// its own /metrics shows the deliveries it made, behind the same bearer token as the web route,
// and its listener closes as soon as a SIGTERM starts the drain, which still records the request
// in flight before the process exits.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { createTestApp, type TestApp } from "../support/test-app";
import { freePort, productionEnv } from "../support/server-process";
import { configureShop } from "../support/shops";
import { orderBody, simpleOrder } from "../fixtures/orders";
import { runImageCommand, type StartedProcess } from "../container/image";

const SHOP = "worker-metrics.myshopify.com";
const PIXEL = "CWORKERMETRICS00001";
const TOKEN = "worker-metrics-tiktok-token";
const METRICS_TOKEN = "worker-scrape-secret-0123456789";
const DELIVERED =
  /^tiktok_events_deliveries_settled_total\{outcome="delivered",code="0"\} (\d+)$/m;
const ACCEPTED_REQUESTS =
  /^tiktok_events_tiktok_request_duration_seconds_count\{outcome="accepted"\} (\d+)$/m;

let app: TestApp;
let tiktok: TikTokStandin;
const running: StartedProcess[] = [];

beforeAll(async () => {
  tiktok = await startTikTokStandin({ accessTokens: { [TOKEN]: [PIXEL] } });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: TOKEN,
    consentPolicy: "send",
  });
});
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop("SIGKILL");
  tiktok.reset();
});
afterAll(async () => {
  await tiktok.close();
  await app.close();
});

async function startWorker(extra: Record<string, string>) {
  const port = await freePort();
  const worker = runImageCommand(["worker"], {
    NODE_ENV: "production",
    ...productionEnv(tiktok.url, {
      WORKER_METRICS_PORT: String(port),
      ...extra,
    }),
  });
  running.push(worker);
  await worker.waitFor(/worker metrics listening/, 20_000);
  await worker.waitFor(/delivery worker \S+ started/);
  return { worker, url: `http://127.0.0.1:${port}` };
}

/** Queued through the real webhook route of this process, on the database the worker reads. */
async function queueOrder(): Promise<string> {
  const order = simpleOrder();
  const res = await app.handle(
    app.webhookRequest("/webhooks/orders", {
      topic: "orders/create",
      shop: SHOP,
      body: orderBody(order),
    }),
  );
  expect(res.status).toBe(200);
  return `${order.id}_Purchase`;
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 30_000,
) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const scrape = (url: string, token: string | null = METRICS_TOKEN) =>
  fetch(`${url}/metrics`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });

async function counter(url: string, pattern: RegExp): Promise<number> {
  const res = await scrape(url);
  expect(res.status).toBe(200);
  const match = pattern.exec(await res.text());
  return match ? Number(match[1]) : 0;
}

describe("worker process metrics (WORKER_METRICS_PORT)", () => {
  it("serves the worker's own delivery counters to a scrape with the token, and refuses one without", async () => {
    const { worker, url } = await startWorker({ METRICS_TOKEN });
    expect(await (await fetch(`${url}/healthz`)).text()).toBe("ok");

    const before = await counter(url, DELIVERED);
    const requestsBefore = await counter(url, ACCEPTED_REQUESTS);
    const eventId = await queueOrder();
    await until(
      () => tiktok.accepted.some((e) => e.event_id === eventId),
      `the worker to deliver ${eventId}:\n${worker.output()}`,
    );
    // Counted by the worker process, read from the worker process.
    await until(
      async () => (await counter(url, DELIVERED)) === before + 1,
      "the delivered counter to move",
    );
    expect(await counter(url, ACCEPTED_REQUESTS)).toBe(requestsBefore + 1);
    const res = await scrape(url);
    expect(res.headers.get("content-type")).toContain("text/plain");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    expect(text).toContain("tiktok_events_outbox_due_rows");
    expect(text).toContain("tiktok_events_process_cpu_seconds_total");
    expect(text).not.toContain(SHOP);
    expect(text).not.toContain(eventId);

    for (const token of [null, "wrong-token-0123456789"]) {
      const refused = await scrape(url, token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("www-authenticate")).toBe(
        'Bearer realm="metrics"',
      );
      expect(await refused.text()).not.toContain("tiktok_events_");
    }
    const post = await fetch(`${url}/metrics`, {
      method: "POST",
      headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(post.status).toBe(405);
    expect((await fetch(`${url}/other`)).status).toBe(404);
    // Its log lines say what it delivered, never the token.
    expect(worker.output()).toContain(`"eventId":"${eventId}"`);
    expect(worker.output()).not.toContain(TOKEN);
    expect(worker.output()).not.toContain(METRICS_TOKEN);
  });

  it("without METRICS_TOKEN /metrics is off (404); /healthz still answers", async () => {
    const { url } = await startWorker({ METRICS_TOKEN: "" });
    expect((await scrape(url)).status).toBe(404);
    expect((await scrape(url, null)).status).toBe(404);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("SIGTERM closes the listener at once while the drain finishes the TikTok request in flight", async () => {
    const { worker, url } = await startWorker({ METRICS_TOKEN });
    // An idle keep-alive connection from a scraper must not hold the process either.
    expect((await scrape(url)).status).toBe(200);
    tiktok.setBehaviour({ latencyMs: 3_000 });
    const eventId = await queueOrder();
    await until(() => tiktok.inFlight > 0, "the TikTok request to start");
    worker.child.kill("SIGTERM");
    await until(
      () =>
        fetch(`${url}/healthz`).then(
          () => false,
          () => true,
        ),
      "the listener to close",
    );
    // Closed while TikTok still holds the request: the listener did not wait for the drain...
    expect(tiktok.inFlight).toBe(1);
    // ...and the drain was not cut short: the request finished and was recorded.
    expect(await worker.exited, worker.output()).toBe(0);
    const delivery = await app.prisma.delivery.findFirstOrThrow({
      where: { shop: SHOP, eventId },
      include: { attempts: true },
    });
    expect(delivery.status).toBe("delivered");
    expect(delivery.attempts).toHaveLength(1);
    expect(worker.output()).toMatch(/SIGTERM: finishing in-flight deliveries/);
    expect(worker.output()).toMatch(/"exitCode":0,.*"msg":"drained/);
  });

  it("a port it cannot have stops the start before any row is claimed", async () => {
    const { url } = await startWorker({ METRICS_TOKEN });
    const port = new URL(url).port;
    const second = runImageCommand(["worker"], {
      NODE_ENV: "production",
      ...productionEnv(tiktok.url, { WORKER_METRICS_PORT: port }),
    });
    running.push(second);
    expect(await second.exited, second.output()).toBe(1);
    expect(second.output()).toMatch(/EADDRINUSE/);
    expect(second.output()).not.toMatch(/delivery worker \S+ started/);
  });
});
