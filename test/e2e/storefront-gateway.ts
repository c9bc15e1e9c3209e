// The storefront's front door for the browser tests: what Shopify's edge does in front of a
// shop. Pages, the script and /cart/* come from the fake storefront (test/storefront/fixture.ts);
// the app proxy paths /apps/tiktok-events/* (the embed's collect, the web pixel's checkout
// relay) are forwarded to the app's /proxy/* (shopify.app.toml, [app_proxy]) the way Shopify's
// app proxy forwards them: cookies stripped, the query signed with the app's secret
// (shop, logged_in_customer_id, path_prefix, timestamp, signature) and the shopper's address in
// X-Forwarded-For.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { signAppProxyUrl } from "../../dev/shopify-signing";
import { PROXY_PATH } from "../storefront/fixture";

/** Shopify's app proxy prefix and subpath for this app: /apps/tiktok-events/… */
const PROXY_PREFIX = PROXY_PATH.slice(0, PROXY_PATH.lastIndexOf("/") + 1);

export interface ForwardedCollect {
  /** The app route it went to: /proxy/collect or /proxy/checkout. */
  path: string;
  /** The body exactly as the storefront script (or web pixel) sent it. */
  body: string;
  /** The app's answer. */
  status: number;
  answer: string;
}

export interface StorefrontGateway {
  origin: string;
  url(path: string): string;
  /** Every request the gateway forwarded to the app proxy route, in order. */
  forwarded: ForwardedCollect[];
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** The fake storefront that serves everything else. */
  storefrontOrigin: string;
  appUrl: string;
  shop: string;
  apiSecret: string;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The shopper's address as the edge sees it (IPv4-mapped IPv6 written as IPv4). */
function remoteIp(req: http.IncomingMessage): string {
  return (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
}

export async function startStorefrontGateway(
  options: GatewayOptions,
): Promise<StorefrontGateway> {
  const forwarded: ForwardedCollect[] = [];
  const storefront = new URL(options.storefrontOrigin);

  async function forwardToApp(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    incoming: URL,
  ) {
    const body = await readBody(req);
    const target = new URL(
      "/proxy/" + incoming.pathname.slice(PROXY_PREFIX.length),
      options.appUrl,
    );
    // The shopper's own query parameters travel along and are covered by the signature.
    for (const [key, value] of incoming.searchParams)
      target.searchParams.append(key, value);
    const signed = signAppProxyUrl(target, {
      shop: options.shop,
      apiSecret: options.apiSecret,
    });
    const headers: Record<string, string> = {
      "X-Forwarded-For": remoteIp(req),
      "X-Forwarded-Host": options.shop,
    };
    for (const name of [
      "content-type",
      "user-agent",
      "accept",
      "accept-language",
    ]) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const answer = await fetch(signed, {
      method: req.method,
      headers,
      body: req.method === "POST" ? new Uint8Array(body) : undefined,
    });
    const text = await answer.text();
    forwarded.push({
      path: target.pathname,
      body: body.toString("utf8"),
      status: answer.status,
      answer: text,
    });
    res.writeHead(answer.status, {
      "content-type": answer.headers.get("content-type") ?? "text/plain",
    });
    res.end(text);
  }

  function passThrough(req: http.IncomingMessage, res: http.ServerResponse) {
    const upstream = http.request(
      {
        host: storefront.hostname,
        port: storefront.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: storefront.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(error));
    });
    req.pipe(upstream);
  }

  const server = http.createServer((req, res) => {
    const incoming = new URL(req.url ?? "/", "http://gateway.invalid");
    if (incoming.pathname.startsWith(PROXY_PREFIX)) {
      forwardToApp(req, res, incoming).catch((error: unknown) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(String(error));
      });
      return;
    }
    passThrough(req, res);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url: (path) => origin + path,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
