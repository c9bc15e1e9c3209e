// The production web server (app/cli/web.ts) sends the ingest routes straight to their route
// module's action instead of through Remix's router. Each case here goes both ways, on the same
// database: through Remix's request handler in this process (as every route test does) and
// through the production server over HTTP; the answers must be the same, and what the server
// stores must be there.
import http from "node:http";
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAppProxyUrl, webhookHeaders } from "../../dev/shopify-signing";
import { orderBody, simpleOrder } from "../fixtures/orders";
import { configureShop } from "../support/shops";
import {
  ensureProductionBuild,
  productionEnv,
  startServerProcess,
  type ServerProcess,
} from "../support/server-process";
import {
  APP_URL,
  createTestApp,
  TEST_CREDS,
  type TestApp,
} from "../support/test-app";

const SHOP = "hot-dispatch.myshopify.com";
const UNCONFIGURED = "hot-unconfigured.myshopify.com";
const PIXEL = "CHOTDISPATCHPIXEL01";

let app: TestApp;
let server: ServerProcess;

beforeAll(async () => {
  await ensureProductionBuild();
  app = await createTestApp();
  await configureShop(SHOP, {
    pixelCode: PIXEL,
    accessToken: "hot-dispatch-token",
    consentPolicy: "send",
  });
  // Nothing is delivered here: a closed port stands in for TikTok, and the worker is off.
  server = await startServerProcess(
    productionEnv("http://127.0.0.1:9", { DELIVERY_WORKER: "off" }),
  );
}, 300_000);
afterAll(async () => {
  await server?.kill("SIGTERM");
  await app?.close();
});

interface Case {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

let seq = 0;
const now = () => Math.floor(Date.now() / 1000);

function webhook(
  order = simpleOrder(),
  options: { shop?: string; secret?: string; body?: string } = {},
): Case {
  const body = options.body ?? orderBody(order);
  return {
    path: "/webhooks/orders",
    headers: webhookHeaders({
      topic: "orders/create",
      shop: options.shop ?? SHOP,
      body,
      apiSecret: options.secret ?? TEST_CREDS.apiSecret,
    }),
    body,
  };
}

function proxy(
  pathname: "/proxy/collect" | "/proxy/checkout",
  body: string,
  options: { secret?: string; headers?: Record<string, string> } = {},
): Case {
  const url = signAppProxyUrl(new URL(pathname, APP_URL), {
    shop: SHOP,
    apiSecret: options.secret ?? TEST_CREDS.apiSecret,
  });
  return {
    path: url.pathname + url.search,
    headers: {
      "Content-Type": "application/json",
      "X-Forwarded-For": "203.0.113.7",
      ...options.headers,
    },
    body,
  };
}

function collectBody(): string {
  seq += 1;
  return JSON.stringify({
    v: 1,
    session_id: `hot_dispatch_session_${String(seq).padStart(4, "0")}`,
    consent: "granted",
    ttclid: "E.C.P.hotdispatch",
    page: { url: `https://${SHOP}/products/shirt` },
    events: [
      {
        event: "ViewContent",
        event_id: `vc-hot-${seq}`,
        event_time: now(),
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
}

function relayBody(): string {
  seq += 1;
  const token = `hotdispatchcheckout${seq}`;
  return JSON.stringify({
    v: 1,
    event: "checkout_started",
    id: `sh-hot-${seq}`,
    ts: new Date().toISOString(),
    token,
    url: `https://${SHOP}/checkouts/cn/${token}`,
    consent: "granted",
    currency: "EUR",
    value: 19.99,
    items: [{ id: "4440000000001", q: 1, p: 19.99 }],
  });
}

interface Answer {
  status: number;
  contentType: string | null;
  allow: string | null;
  body: string;
}

async function answer(res: Response): Promise<Answer> {
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    allow: res.headers.get("allow"),
    // Ids differ between the two requests of a case; the answer's shape must not.
    body: (await res.text()).replace(
      /"(deliveryId|eventId)":"[^"]*"/g,
      '"$1":"…"',
    ),
  };
}

async function viaRemix(c: Case): Promise<Answer> {
  return answer(
    await app.handle(
      new Request(new URL(c.path, APP_URL), {
        method: c.method ?? "POST",
        headers: c.headers,
        body: c.body,
      }),
    ),
  );
}

async function viaServer(c: Case): Promise<Answer> {
  return answer(
    await fetch(`${server.url}${c.path}`, {
      method: c.method ?? "POST",
      headers: c.headers,
      body: c.body,
    }),
  );
}

/**
 * Through node:http, which (unlike fetch) sends any Host header, and a Content-Length that the
 * body does not match (`partial`: the rest of the declared body is never sent).
 */
function rawRequest(c: Case, partial = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${server.url}${c.path}`,
      { method: c.method ?? "POST", headers: c.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          resolve({
            status: res.statusCode!,
            contentType: res.headers["content-type"] ?? null,
            allow: res.headers.allow ?? null,
            body: Buffer.concat(chunks).toString(),
          });
          req.destroy();
        });
      },
    );
    req.on("error", reject);
    if (partial) req.write(c.body ?? "");
    else req.end(c.body);
  });
}

/** Both ways, each with a fresh request (ids and signatures are per request). */
async function same(make: () => Case, status: number): Promise<Answer> {
  const remix = await viaRemix(make());
  const direct = await viaServer(make());
  expect(direct, server.output()).toEqual(remix);
  expect(direct.status).toBe(status);
  return direct;
}

describe("hot routes: the production server answers as Remix does", () => {
  it("orders/create, signed, for a configured shop: 200 and the Purchase is stored", async () => {
    const order = simpleOrder();
    const res = await fetch(`${server.url}/webhooks/orders`, {
      method: "POST",
      ...webhook(order),
    });
    expect(res.status, server.output()).toBe(200);
    const stored = await app.prisma.delivery.findFirst({
      where: { shop: SHOP, eventId: `${order.id}_Purchase` },
    });
    expect(stored).not.toBeNull();
    await same(() => webhook(), 200);
  });

  it("orders/create refusals: bad signature, bad payload; a shop without settings is acknowledged", async () => {
    await same(() => webhook(simpleOrder(), { secret: "not-the-secret" }), 401);
    await same(() => webhook(simpleOrder(), { body: '{"id": "x"}' }), 400);
    const before = await app.prisma.delivery.count({
      where: { shop: UNCONFIGURED },
    });
    await same(() => webhook(simpleOrder(), { shop: UNCONFIGURED }), 200);
    expect(
      await app.prisma.delivery.count({ where: { shop: UNCONFIGURED } }),
    ).toBe(before);
  });

  it("/proxy/collect: signed events are queued; bad signature, bad body and a declared oversize body are refused", async () => {
    const body = collectBody();
    const res = await fetch(
      `${server.url}${proxy("/proxy/collect", body).path}`,
      {
        method: "POST",
        ...proxy("/proxy/collect", body),
      },
    );
    expect(res.status, server.output()).toBe(204);
    const sent = JSON.parse(body) as {
      session_id: string;
      events: { event_id: string }[];
    };
    expect(
      await app.prisma.delivery.count({
        where: { shop: SHOP, eventId: sent.events[0].event_id },
      }),
    ).toBe(1);
    expect(
      await app.prisma.attributionSession.count({
        where: { shop: SHOP, sessionKey: sent.session_id },
      }),
    ).toBe(1);
    await same(() => proxy("/proxy/collect", collectBody()), 204);
    await same(
      () =>
        proxy("/proxy/collect", collectBody(), { secret: "not-the-secret" }),
      // Shopify's library answers a bad app proxy signature with 400.
      400,
    );
    await same(() => proxy("/proxy/collect", '{"v": 1, "events": 3}'), 400);
    // Declared larger than the route takes (and than the server reads up front): refused
    // before a byte of it is read.
    const oversize = () =>
      proxy("/proxy/collect", "{}", {
        headers: { "Content-Length": String(10 * 1024 * 1024) },
      });
    const remix = await viaRemix(oversize());
    expect(remix.status).toBe(413);
    expect(await rawRequest(oversize(), true)).toEqual(remix);
  });

  it("a body over the route's own limit but under a megabyte is refused before it is read (nothing held in memory)", async () => {
    // Only 2 of the declared bytes are sent: a server that read the body first would never answer.
    for (const [path, declared] of [
      ["/proxy/collect", 100 * 1024],
      ["/proxy/checkout", 20 * 1024],
    ] as const) {
      const c = () =>
        proxy(path, "{}", {
          headers: { "Content-Length": String(declared) },
        });
      const remix = await viaRemix(c());
      expect(remix.status, path).toBe(413);
      expect(await rawRequest(c(), true), path).toEqual(remix);
    }
  });

  it("/proxy/collect with a streamed body (no Content-Length) is read from the stream and stored", async () => {
    const c = proxy("/proxy/collect", collectBody());
    const res = await fetch(`${server.url}${c.path}`, {
      method: "POST",
      headers: c.headers,
      body: new Blob([c.body!]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(res.status, server.output()).toBe(204);
    const sent = JSON.parse(c.body!) as { events: { event_id: string }[] };
    expect(
      await app.prisma.delivery.count({
        where: { shop: SHOP, eventId: sent.events[0].event_id },
      }),
    ).toBe(1);
  });

  it("/proxy/checkout: a signed relay is taken; a bad body is refused", async () => {
    await same(() => proxy("/proxy/checkout", relayBody()), 204);
    await same(() => proxy("/proxy/checkout", "not json"), 400);
  });

  it("a Host header that makes no URL is answered 400, on the ingest routes and elsewhere", async () => {
    for (const c of [
      webhook(),
      { method: "GET", path: "/auth/login" } satisfies Case,
    ]) {
      const res = await rawRequest({
        ...c,
        headers: { ...c.headers, Host: "not a host" },
      });
      expect(res.status, `${c.path}\n${server.output()}`).toBe(400);
    }
    expect(server.output()).not.toMatch(/request failed/);
  });

  it("other methods still go through Remix: GET answers 405 with Allow", async () => {
    for (const path of [
      "/webhooks/orders",
      "/proxy/collect",
      "/proxy/checkout",
    ])
      await same(() => ({ method: "GET", path }), 405);
  });
});

describe("what the server answers besides the ingest routes", () => {
  /** A GET with the given headers; the raw answer, body undecoded. */
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers, redirect: "manual" }).then(
      async (res) => ({
        status: res.status,
        headers: res.headers,
        size: (await res.arrayBuffer()).byteLength,
      }),
    );

  it("built files: Vite's hashed assets are immutable for a year, gzipped when asked; the rest cached for an hour", async () => {
    const script = readdirSync("build/client/assets").find((f) =>
      f.endsWith(".js"),
    )!;
    const asset = await get(`/assets/${script}`, {
      "Accept-Encoding": "gzip",
    });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toBe(
      "public, max-age=31536000, immutable",
    );
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    const screenshot = await get("/screenshots/settings.png");
    expect(screenshot.status).toBe(200);
    expect(screenshot.headers.get("cache-control")).toBe(
      "public, max-age=3600",
    );
    expect(screenshot.headers.get("content-encoding")).toBeNull();
    expect((await get("/assets/no-such-file.js")).status).toBe(404);
  });

  it("pages and their data are gzipped when the client asks; the ingest routes' few bytes never are", async () => {
    const page = await get("/auth/login", { "Accept-Encoding": "gzip" });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-encoding")).toBe("gzip");
    const plain = await get("/auth/login", { "Accept-Encoding": "identity" });
    expect(plain.headers.get("content-encoding")).toBeNull();
    const c = webhook();
    const res = await fetch(`${server.url}${c.path}`, {
      method: "POST",
      headers: { ...c.headers, "Accept-Encoding": "gzip" },
      body: c.body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBeNull();
  });
});
