// The demo's HTTP server: the built Remix app, its static assets, and the demo-only paths under
// /__demo/ (App Bridge stand-in, session tokens, outbox status). Those paths exist only here,
// never in the Remix routes, so a production server has no such thing at all.
// Refuses to start unless demo mode is explicitly on and NODE_ENV is not production; binds
// 127.0.0.1 only; mints tokens with the per-run secret it is given.
import { createReadStream, statSync } from "node:fs";
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import { sessionToken, type AppCredentials } from "../shopify-signing";
import {
  appBridgeStandinScript,
  DEMO_PREFIX,
  EMPTY_CSS_PATH,
  OFFLINE_PATH,
  rewriteLinkHeader,
  rewriteShopifyCdn,
  SESSION_TOKEN_PATH,
  STANDIN_SCRIPT_PATH,
} from "./app-bridge-standin";
import {
  assertDemoAllowed,
  DEMO_HOST,
  DemoNotAllowedError,
  isLoopbackAddress,
} from "./guard";

export type AppHandler = (request: Request) => Promise<Response>;

export interface DemoServerOptions {
  shop: string;
  /** The per-run app credentials; the secret signs the session tokens. */
  credentials: AppCredentials;
  /** Preferred port; 0 = ephemeral. */
  port?: number;
  /** When the preferred port is taken, listen on an ephemeral one instead of failing. */
  fallbackToEphemeralPort?: boolean;
  /** Only 127.0.0.1 is accepted; present so a caller asking for anything else fails loudly. */
  host?: string;
  /** Static files (the Vite client build). */
  clientDir?: string;
  /**
   * Loads the app once the server's URL is known (SHOPIFY_APP_URL must carry the port).
   * Requests that arrive before it resolves get 503.
   */
  loadApp: (url: string) => Promise<AppHandler>;
  /** JSON for GET /__demo/status (e.g. the outbox), for the demo driver and browser tests. */
  status?: () => Promise<unknown>;
  /** Defaults to process.env; the demo guard reads NODE_ENV and DEMO_MODE from it. */
  env?: NodeJS.ProcessEnv;
  log?: (message: string) => void;
}

export interface DemoServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

const TOKEN_LIFETIME_SECONDS = 60;

export async function startDemoServer(
  options: DemoServerOptions,
): Promise<DemoServer> {
  assertDemoAllowed(options.env ?? process.env);
  const host = options.host ?? DEMO_HOST;
  if (host !== DEMO_HOST) {
    throw new DemoNotAllowedError(
      `The demo server listens on ${DEMO_HOST} only, not ${host}.`,
    );
  }
  const log = options.log ?? ((message: string) => console.log(message));
  const clientDir = options.clientDir ? path.resolve(options.clientDir) : null;
  const script = appBridgeStandinScript({
    apiKey: options.credentials.apiKey,
    shop: options.shop,
  });
  let handler: AppHandler | null = null;
  let port = 0;

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(
        `[demo] ${req.method} ${req.url} failed: ${error instanceof Error ? error.stack : String(error)}`,
      );
      if (!res.headersSent)
        send(
          res,
          500,
          "text/plain; charset=utf-8",
          "Internal error in the demo server.",
        );
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    // Loopback peers only, and only under our own host name: a web page that rebinds its DNS
    // name to 127.0.0.1 still sends its own Host header and is turned away.
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      return send(res, 403, "text/plain; charset=utf-8", "Loopback only.");
    }
    const hostHeader = req.headers.host ?? "";
    if (
      hostHeader !== `127.0.0.1:${port}` &&
      hostHeader !== `localhost:${port}`
    ) {
      return send(
        res,
        421,
        "text/plain; charset=utf-8",
        "Unexpected Host header.",
      );
    }
    const url = new URL(req.url ?? "/", `http://${hostHeader}`);

    if (url.pathname.startsWith(DEMO_PREFIX)) return demoPath(req, res, url);
    // The app has no icon; answering here keeps the browser's request out of the app's error log.
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204, { "Cache-Control": "public, max-age=86400" }).end();
      return;
    }
    if (
      clientDir &&
      (req.method === "GET" || req.method === "HEAD") &&
      serveStatic(req, res, clientDir, url)
    ) {
      return;
    }
    if (!handler)
      return send(
        res,
        503,
        "text/plain; charset=utf-8",
        "The demo app is still starting.",
      );
    return proxyToApp(handler, req, res, url);
  }

  async function demoPath(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return send(res, 405, "text/plain; charset=utf-8", "Method not allowed.");
    }
    switch (url.pathname) {
      case STANDIN_SCRIPT_PATH:
        return send(res, 200, "text/javascript; charset=utf-8", script);
      case SESSION_TOKEN_PATH: {
        // Browsers label requests made by other sites; only the app's own pages get a token.
        const site = req.headers["sec-fetch-site"];
        if (site !== undefined && site !== "same-origin" && site !== "none") {
          return send(
            res,
            403,
            "text/plain; charset=utf-8",
            "Same-origin requests only.",
          );
        }
        const requested = url.searchParams.get("shop");
        if (requested !== null && requested !== options.shop) {
          return send(res, 404, "text/plain; charset=utf-8", "Unknown shop.");
        }
        const exp = Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_SECONDS;
        const token = sessionToken(options.shop, options.credentials, { exp });
        return send(
          res,
          200,
          "application/json; charset=utf-8",
          JSON.stringify({ token, exp }),
        );
      }
      case "/__demo/status":
        return send(
          res,
          200,
          "application/json; charset=utf-8",
          JSON.stringify(options.status ? await options.status() : {}),
        );
      case EMPTY_CSS_PATH:
        return send(res, 200, "text/css; charset=utf-8", "");
      case OFFLINE_PATH:
        res.writeHead(204, { "Cache-Control": "no-store" }).end();
        return;
      default:
        return send(res, 404, "text/plain; charset=utf-8", "Not found.");
    }
  }

  const listenOn = (wanted: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        server.off("listening", onListening);
        reject(error);
      };
      const onListening = () => {
        server.off("error", onError);
        resolve();
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(wanted, host);
    });

  const wanted = options.port ?? 0;
  try {
    await listenOn(wanted);
  } catch (error) {
    if (!(
      options.fallbackToEphemeralPort &&
      wanted !== 0 &&
      (error as NodeJS.ErrnoException).code === "EADDRINUSE"
    )) {
      throw error;
    }
    log(`[demo] port ${wanted} is taken, using a free one`);
    await listenOn(0);
  }
  port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;

  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  try {
    handler = await options.loadApp(url);
  } catch (error) {
    await close();
    throw error;
  }

  return { url, port, close };
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
): void {
  res.writeHead(status, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** Serves a file from the client build; false when there is none (the app handles the URL). */
function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  url: URL,
): boolean {
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return false;
  }
  const file = path.resolve(root, `.${pathname}`);
  if (!file.startsWith(root + path.sep)) return false;
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return false;
    size = stat.size;
  } catch {
    return false;
  }
  res.writeHead(200, {
    "Content-Type":
      CONTENT_TYPES[path.extname(file).toLowerCase()] ??
      "application/octet-stream",
    "Content-Length": size,
    // Vite fingerprints everything under /assets.
    "Cache-Control": pathname.startsWith("/assets/")
      ? "public, max-age=31536000, immutable"
      : "public, max-age=3600",
  });
  if (req.method === "HEAD") res.end();
  else createReadStream(file).pipe(res);
  return true;
}

async function proxyToApp(
  handler: AppHandler,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value])
      headers.append(name, v);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(url, {
    method: req.method,
    headers,
    body: hasBody
      ? (Readable.toWeb(req) as ReadableStream<Uint8Array>)
      : undefined,
    signal: controller.signal,
    // Required by fetch for a streamed request body.
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);

  const response = await handler(request);
  const outHeaders: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === "set-cookie") return;
    if (name === "link") {
      const link = rewriteLinkHeader(value);
      if (link) outHeaders[name] = link;
      return;
    }
    outHeaders[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) outHeaders["set-cookie"] = cookies;

  const isHtml = (response.headers.get("content-type") ?? "").startsWith(
    "text/html",
  );
  if (isHtml && response.body) {
    // Buffered so the CDN URLs can be rewritten; admin pages are small.
    const html = rewriteShopifyCdn(await response.text());
    delete outHeaders["content-length"];
    outHeaders["content-length"] = String(Buffer.byteLength(html));
    res.writeHead(response.status, response.statusText, outHeaders);
    res.end(req.method === "HEAD" ? undefined : html);
    return;
  }
  res.writeHead(response.status, response.statusText, outHeaders);
  if (!response.body || req.method === "HEAD") {
    res.end();
    return;
  }
  Readable.fromWeb(response.body as NodeWebReadableStream<Uint8Array>)
    .on("error", () => res.destroy())
    .pipe(res);
}
