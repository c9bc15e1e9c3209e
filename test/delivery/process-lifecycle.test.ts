// The processes as an operator runs them: the web server with its embedded worker, and the
// split deployment (web with DELIVERY_WORKER=off next to `npm run worker`). A SIGTERM with a
// TikTok request in flight lets it finish and records its outcome; retention runs in whichever
// process runs deliveries.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startTikTokStandin,
  type TikTokStandin,
} from "../../dev/tiktok-standin.server";
import { webhookHeaders } from "../../dev/shopify-signing";
import { createTestApp, TEST_CREDS, type TestApp } from "../support/test-app";
import {
  ensureProductionBuild,
  productionEnv,
  startServerProcess,
  type ServerProcess,
} from "../support/server-process";
import { orderBody, simpleOrder } from "../fixtures/orders";
import { configureShop } from "../support/shops";

const SHOP = "lifecycle.myshopify.com";
const PIXEL = "CLIFECYCLEPIXEL0001";
const TOKEN = "lifecycle-token";
const LATENCY_MS = 2_500;

let app: TestApp;
let tiktok: TikTokStandin;
const running: { kill(signal?: NodeJS.Signals): Promise<number | null> }[] = [];

beforeAll(async () => {
  await ensureProductionBuild();
  tiktok = await startTikTokStandin({
    accessTokens: { [TOKEN]: [PIXEL] },
    latencyMs: LATENCY_MS,
  });
  app = await createTestApp({ TIKTOK_API_BASE_URL: tiktok.url });
  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: TOKEN,
    consentPolicy: "send",
  });
});
afterEach(async () => {
  for (const p of running.splice(0)) await p.kill("SIGKILL");
});
afterAll(async () => {
  await tiktok.close();
  await app.close();
});

const env = (extra: Record<string, string> = {}) =>
  productionEnv(tiktok.url, { TIKTOK_TIMEOUT_MS: "10000", ...extra });

async function postOrder(server: ServerProcess): Promise<string> {
  const order = simpleOrder();
  const body = orderBody(order);
  const headers = webhookHeaders({
    topic: "orders/create",
    shop: SHOP,
    body,
    apiSecret: TEST_CREDS.apiSecret,
  });
  const res = await fetch(`${server.url}/webhooks/orders`, {
    method: "POST",
    headers,
    body,
  });
  expect(res.status, server.output()).toBe(200);
  return `${order.id}_Purchase`;
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms)
      throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `npm run worker` exactly as an operator runs it: signals reach the worker through npm and tsx. */
function startWorkerProcess(extra: Record<string, string>) {
  let output = "";
  const child: ChildProcess = spawn("npm", ["run", "worker"], {
    env: {
      ...process.env,
      VITEST: "",
      NODE_ENV: "production",
      ...env(extra),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const handle = {
    child,
    output: () => output,
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null)
        child.kill(signal);
      return exited;
    },
  };
  running.push(handle);
  return handle;
}

async function deliveryOf(eventId: string) {
  return app.prisma.delivery.findFirstOrThrow({
    where: { shop: SHOP, eventId },
    include: { attempts: true, outbox: true },
  });
}

async function expectDrained(
  eventId: string,
  stop: () => Promise<number | null>,
  output: () => string,
) {
  await until(() => tiktok.inFlight > 0, "the TikTok request to start");
  const signalledAt = Date.now();
  const code = await stop();
  const tookMs = Date.now() - signalledAt;
  expect(code, output()).toBe(0);
  // It waited for TikTok's answer (the stand-in holds each request LATENCY_MS)...
  expect(tookMs).toBeGreaterThan(LATENCY_MS / 4);
  // ...and recorded it: delivered, one attempt, nothing left to send again after a restart.
  const delivery = await deliveryOf(eventId);
  expect(delivery.status, output()).toBe("delivered");
  expect(delivery.attempts).toHaveLength(1);
  expect(delivery.outbox).toBeNull();
  expect(tiktok.accepted.filter((e) => e.event_id === eventId)).toHaveLength(1);
}

describe("process lifecycle", () => {
  it("`npm start` with the embedded worker: SIGTERM mid-request finishes the request and records it", async () => {
    const server = await startServerProcess(
      env({ DELIVERY_WORKER: "on" }),
      undefined,
      "npm start",
    );
    running.push(server);
    const eventId = await postOrder(server);
    await expectDrained(eventId, () => server.kill("SIGTERM"), server.output);
  });

  it("split deployment: `npm run worker` drains on SIGTERM and runs retention", async () => {
    // Old rows that retention must remove: a storefront session last seen 400 days ago.
    const old = new Date(Date.now() - 400 * 86_400_000);
    await app.prisma.attributionSession.create({
      data: {
        shop: SHOP,
        sessionKey: "stale-session",
        firstSeenAt: old,
        lastSeenAt: old,
      },
    });
    const server = await startServerProcess(env({ DELIVERY_WORKER: "off" }));
    running.push(server);
    const worker = startWorkerProcess({});
    await until(
      async () =>
        (await app.prisma.attributionSession.count({
          where: { sessionKey: "stale-session" },
        })) === 0,
      `retention in the worker process:\n${worker.output()}`,
    );
    const eventId = await postOrder(server);
    await expectDrained(eventId, () => worker.kill("SIGTERM"), worker.output);
  });
});
