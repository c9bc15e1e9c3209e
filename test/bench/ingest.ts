// Ingest benchmarks against the production build under remix-serve (SQLite, worker off):
// the app proxy endpoint and signed orders/create webhooks at concurrency 32, next to a
// bare-Node baseline that only checks the HMAC and inserts one row.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@libsql/client";
import { signAppProxyUrl, webhookHeaders } from "../../dev/shopify-signing";
import { encryptSecret } from "../../app/credentials/encryption.server";
import { TEST_CREDS, TEST_ENCRYPTION_KEY, APP_URL } from "../support/constants";
import { applyMigrations } from "../support/database";
import {
  ensureProductionBuild,
  startServerProcess,
} from "../support/server-process";
import { orderBody, simpleOrder } from "../fixtures/orders";
import {
  describeLoad,
  runLoad,
  type PreparedRequest,
  type LoadResult,
} from "./load";

const SHOP = "bench.myshopify.com";
const PIXEL = "CBENCHPIXEL00000001";
const CONCURRENCY = 32;

function proxyRequest(i: number): PreparedRequest {
  const now = Math.floor(Date.now() / 1000);
  {
    const url = signAppProxyUrl(new URL("/proxy/collect", APP_URL), {
      shop: SHOP,
      apiSecret: TEST_CREDS.apiSecret,
    });
    const body = JSON.stringify({
      v: 1,
      session_id: `bench_session_${String(i % 2000).padStart(6, "0")}`,
      consent: "granted",
      ttclid: `E.C.P.bench${i % 500}`,
      ttp: "bench-ttp-cookie-value-000",
      page: {
        url: `https://${SHOP}/products/shirt`,
        referrer: "https://www.tiktok.com/",
      },
      events: [
        {
          event: "PageView",
          event_id: `pv-bench-${now}-${i}`,
          event_time: now,
        },
        {
          event: "ViewContent",
          event_id: `vc-bench-${now}-${i}`,
          event_time: now,
          properties: {
            currency: "EUR",
            value: 19.99,
            content_type: "product",
            contents: [
              { content_id: "4440000000001", price: 19.99, quantity: 1 },
            ],
          },
        },
      ],
    });
    return {
      path: url.pathname + url.search,
      headers: {
        "Content-Type": "application/json",
        "X-Forwarded-For": "203.0.113.9",
        "User-Agent": "Mozilla/5.0 (bench)",
      },
      body,
    };
  }
}

/** The checkout web pixel's relay: checkout_started and payment_info_submitted for 2,000 checkouts. */
function relayRequest(i: number): PreparedRequest {
  const url = signAppProxyUrl(new URL("/proxy/checkout", APP_URL), {
    shop: SHOP,
    apiSecret: TEST_CREDS.apiSecret,
  });
  const token = `benchcheckout${String(i % 2000).padStart(6, "0")}`;
  return {
    path: url.pathname + url.search,
    headers: {
      "Content-Type": "text/plain;charset=UTF-8",
      "X-Forwarded-For": "203.0.113.9",
      "User-Agent": "Mozilla/5.0 (bench)",
    },
    body: JSON.stringify({
      v: 1,
      event: i % 2 ? "payment_info_submitted" : "checkout_started",
      id: `sh-bench-${i}`,
      ts: new Date().toISOString(),
      token,
      url: `https://${SHOP}/checkouts/cn/${token}`,
      consent: "granted",
      ttclid: `E.C.P.bench${i % 500}`,
      ttp: "bench-ttp-cookie-value-000",
      currency: "EUR",
      value: 19.99,
      items: [{ id: "4440000000001", q: 1, p: 19.99 }],
    }),
  };
}

function webhookRequest(shop = SHOP): PreparedRequest {
  const body = orderBody(simpleOrder());
  return {
    path: "/webhooks/orders",
    headers: webhookHeaders({
      topic: "orders/create",
      shop,
      body,
      apiSecret: TEST_CREDS.apiSecret,
    }),
    body,
  };
}

async function prepareDatabase(file: string): Promise<void> {
  const url = `file:${file}`;
  await applyMigrations(url);
  const client = createClient({ url });
  const key = Buffer.from(TEST_ENCRYPTION_KEY, "base64");
  await client.execute({
    sql: `INSERT INTO ShopSettings (shop, pixelCode, accessTokenCiphertext, accessTokenLast4, consentPolicy, updatedAt) VALUES (?, ?, ?, ?, 'send', ?)`,
    args: [
      SHOP,
      PIXEL,
      encryptSecret("bench-token", key, SHOP),
      "oken",
      Date.now(),
    ],
  });
  client.close();
}

/** Bare Node: HMAC check plus one INSERT per request, nothing else. */
async function baseline(file: string, count: number): Promise<LoadResult> {
  const client = createClient({ url: `file:${file}` });
  await client.execute(
    "CREATE TABLE IF NOT EXISTS baseline (id TEXT PRIMARY KEY, shop TEXT, body TEXT)",
  );
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const expected = createHmac("sha256", TEST_CREDS.apiSecret)
        .update(body)
        .digest();
      const given = Buffer.from(
        String(req.headers["x-shopify-hmac-sha256"] ?? ""),
        "base64",
      );
      if (
        given.length !== expected.length ||
        !timingSafeEqual(given, expected)
      ) {
        res.writeHead(401).end();
        return;
      }
      await client.execute({
        sql: "INSERT INTO baseline (id, shop, body) VALUES (?, ?, ?)",
        args: [
          String(req.headers["x-shopify-webhook-id"]),
          String(req.headers["x-shopify-shop-domain"]),
          body.toString("utf8"),
        ],
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const result = await runLoad(
    `http://127.0.0.1:${port}`,
    count,
    () => webhookRequest(),
    CONCURRENCY,
  );
  await new Promise((resolve) => server.close(resolve));
  client.close();
  return result;
}

export async function run() {
  await ensureProductionBuild();
  const dir = mkdtempSync(path.join(tmpdir(), "tiktok-bench-"));
  const file = path.join(dir, "bench.sqlite");
  await prepareDatabase(file);
  const server = await startServerProcess({
    DATABASE_URL: `file:${file}`,
    SHOPIFY_API_KEY: TEST_CREDS.apiKey,
    SHOPIFY_API_SECRET: TEST_CREDS.apiSecret,
    SHOPIFY_APP_URL: APP_URL,
    SCOPES: "read_orders",
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    DELIVERY_WORKER: "off",
    // The bench measures ingest throughput from one address, not the flood guard: lift it.
    PROXY_RATE_PER_CLIENT_PER_MIN: "1000000000",
    PROXY_RATE_PER_SHOP_PER_MIN: "1000000000",
    PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR: "1000000000",
    PROXY_EVENTS_PER_CLIENT_PER_MIN: "1000000000",
  });
  const lines: string[] = [];
  try {
    await runLoad(server.url, 500, proxyRequest, CONCURRENCY); // warm-up
    const proxy = await runLoad(server.url, 6000, proxyRequest, CONCURRENCY);
    lines.push(
      describeLoad("app proxy /collect (c=32)", proxy) +
        `  [goal >= 1,500 req/s, p99 <= 20 ms]`,
    );
    await runLoad(server.url, 300, relayRequest, CONCURRENCY); // warm-up
    const relay = await runLoad(server.url, 4000, relayRequest, CONCURRENCY);
    await runLoad(server.url, 300, () => webhookRequest(), CONCURRENCY); // warm-up
    const hooks = await runLoad(
      server.url,
      5000,
      () => webhookRequest(),
      CONCURRENCY,
    );
    // Same route and checks, for a shop without settings: acknowledged, nothing written.
    // The distance to the line above is what storing the Purchase costs.
    const floor = await runLoad(
      server.url,
      3000,
      () => webhookRequest("not-configured.myshopify.com"),
      CONCURRENCY,
    );
    // Closed loop: at c=32 the median is ~32/throughput whatever the service time; c=8 shows
    // the latency a request sees when the server is not queueing 32 deep.
    const proxyC8 = await runLoad(server.url, 2000, proxyRequest, 8);
    const hooksC8 = await runLoad(server.url, 2000, () => webhookRequest(), 8);
    const base = await baseline(file, 5000);
    lines.push(
      describeLoad("orders/create webhook ingest (c=32)", hooks) +
        `  [goal >= 800 req/s, p99 <= 25 ms]`,
    );
    lines.push(
      describeLoad(
        "same webhook route, shop not configured (no write) (c=32)",
        floor,
      ),
    );
    lines.push(describeLoad("app proxy /collect (c=8)", proxyC8));
    lines.push(describeLoad("orders/create webhook ingest (c=8)", hooksC8));
    lines.push(
      describeLoad("bare-Node baseline: HMAC + 1 insert (c=32)", base),
    );
    lines.push(
      `webhook ingest / baseline throughput: ${(hooks.rps / base.rps).toFixed(2)}x`,
    );
    lines.push(
      describeLoad("checkout relay /proxy/checkout (c=32)", relay) +
        `  [goal >= 0.75x the baseline]`,
    );
    lines.push(
      `checkout relay / app proxy / baseline throughput: ${(relay.rps / base.rps).toFixed(2)}x / ${(proxy.rps / base.rps).toFixed(2)}x / 1.00x`,
    );
  } finally {
    await server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  return { name: "ingest", lines };
}
