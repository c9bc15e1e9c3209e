// The demo server on its own, with a stand-in app handler: what it serves under /__demo/,
// how it guards the session-token endpoint, and how it rewrites the app's pages.
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  APP_BRIDGE_CDN_URL,
  rewriteShopifyCdn,
} from "../../dev/demo/app-bridge-standin";
import { startDemoServer, type DemoServer } from "../../dev/demo/server.server";

const creds = {
  apiKey: "demo-key-0123456789abcdef",
  apiSecret: "demo-secret-0123456789abcdef0123",
};
const shop = "demo-shop.myshopify.com";
const DEMO_ENV: NodeJS.ProcessEnv = { NODE_ENV: "test", DEMO_MODE: "1" };

const PAGE = `<!DOCTYPE html><html><head>
<link rel="preconnect" href="https://cdn.shopify.com/"/>
<link rel="stylesheet" href="https://cdn.shopify.com/static/fonts/inter/v4/styles.css"/>
</head><body><script src="${APP_BRIDGE_CDN_URL}" data-api-key="${creds.apiKey}"></script><p>Settings</p></body></html>`;

/** Raw HTTP so the Host and Sec-Fetch-Site headers can be set freely (fetch forbids Host). */
function get(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{
    status: number;
    body: string;
    headers: Record<string, unknown>;
  }>((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path, headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function verifyJwt(token: string, secret: string): Record<string, unknown> {
  const [header, payload, signature] = token.split(".");
  const expected = createHmac("sha256", secret)
    .update(`${header}.${payload}`)
    .digest("base64url");
  expect(signature).toBe(expected);
  expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toEqual({
    alg: "HS256",
    typ: "JWT",
  });
  return JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<
    string,
    unknown
  >;
}

describe("demo server", () => {
  let server: DemoServer;
  let appRequests: Request[] = [];

  beforeAll(async () => {
    server = await startDemoServer({
      shop,
      credentials: creds,
      env: DEMO_ENV,
      log: () => {},
      loadApp: async () => async (request) => {
        appRequests.push(request);
        if (new URL(request.url).pathname === "/page") {
          return new Response(PAGE, {
            headers: {
              "Content-Type": "text/html",
              Link: `<${APP_BRIDGE_CDN_URL}>; rel="preload"; as="script";`,
            },
          });
        }
        return new Response(
          `app saw ${request.method} ${new URL(request.url).pathname}`,
          { status: 200 },
        );
      },
      status: async () => ({ outbox: 0 }),
    });
  });
  afterAll(() => server.close());

  it("listens on 127.0.0.1 only", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it("mints a session token for the demo shop, signed with the run's secret", async () => {
    const res = await get(
      server.port,
      "/__demo/session-token?shop=demo-shop.myshopify.com",
      {
        Host: `127.0.0.1:${server.port}`,
        "Sec-Fetch-Site": "same-origin",
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const { token, exp } = JSON.parse(res.body) as {
      token: string;
      exp: number;
    };
    const payload = verifyJwt(token, creds.apiSecret);
    expect(payload.dest).toBe(`https://${shop}`);
    expect(payload.iss).toBe(`https://${shop}/admin`);
    expect(payload.aud).toBe(creds.apiKey);
    expect(payload.exp).toBe(exp);
  });

  it("gives no token to another site's page, another Host (DNS rebinding) or another shop", async () => {
    const crossSite = await get(server.port, "/__demo/session-token", {
      Host: `127.0.0.1:${server.port}`,
      "Sec-Fetch-Site": "cross-site",
    });
    expect(crossSite.status).toBe(403);
    const rebound = await get(server.port, "/__demo/session-token", {
      Host: `evil.example:${server.port}`,
    });
    expect(rebound.status).toBe(421);
    const otherShop = await get(
      server.port,
      "/__demo/session-token?shop=other.myshopify.com",
      {
        Host: `localhost:${server.port}`,
      },
    );
    expect(otherShop.status).toBe(404);
    for (const res of [crossSite, rebound, otherShop])
      expect(res.body).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it("serves the App Bridge stand-in with the demo shop and the bounce behaviour", async () => {
    const res = await fetch(`${server.url}/__demo/app-bridge.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("javascript");
    const js = await res.text();
    expect(js).toContain(JSON.stringify(shop));
    expect(js).toContain("shopify-reload");
    expect(js).toContain("/__demo/session-token");
    expect(js).not.toContain(creds.apiSecret);
  });

  it("answers unknown demo paths with 404 and never passes them to the app", async () => {
    appRequests = [];
    const res = await fetch(`${server.url}/__demo/nope`);
    expect(res.status).toBe(404);
    expect(appRequests).toHaveLength(0);
  });

  it("points the page's Shopify CDN URLs at the stand-in and local files", async () => {
    const res = await fetch(`${server.url}/page?embedded=1`);
    const html = await res.text();
    expect(html).toContain('<script src="/__demo/app-bridge.js" data-api-key=');
    expect(html).not.toContain("cdn.shopify.com");
    expect(html).toContain('href="/__demo/empty.css"');
    expect(res.headers.get("link")).toBe(
      '</__demo/app-bridge.js>; rel="preload"; as="script";',
    );
    expect(Number(res.headers.get("content-length"))).toBe(
      Buffer.byteLength(html),
    );
  });

  it("passes other requests, with their body, to the app", async () => {
    appRequests = [];
    const res = await fetch(`${server.url}/webhooks/orders`, {
      method: "POST",
      body: "{}",
    });
    expect(await res.text()).toBe("app saw POST /webhooks/orders");
    expect(appRequests).toHaveLength(1);
  });

  it("reports the status the demo driver polls", async () => {
    const res = await fetch(`${server.url}/__demo/status`);
    expect(await res.json()).toEqual({ outbox: 0 });
  });
});

describe("rewriteShopifyCdn", () => {
  it("keeps every element (hydration must still match) and leaves no CDN URL", () => {
    const out = rewriteShopifyCdn(PAGE);
    expect(out.match(/<link/g)).toHaveLength(2);
    expect(out.match(/<script/g)).toHaveLength(1);
    expect(out).not.toMatch(/cdn\.shopify\.com/);
  });
});
