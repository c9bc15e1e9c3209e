// The production HTTP server around the Remix build (replacing remix-serve): express with the
// same parts remix-serve uses (compression, express.static, @remix-run/express's request handler)
// minus its per-request access log, and one addition: the ingest routes Shopify and the storefront
// call at volume (HOT_ROUTES) go straight to their route module's action, ahead of express,
// gzip and Remix's router. That action is the same function Remix would call, taken from the same build,
// so the route file stays the one definition of what the route does; what is skipped is Remix's
// per-request route matching and loader/action machinery, which cost more CPU than the route's own
// work (README, "The web server").
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import compression from "compression";
import express, { type Express } from "express";
import { createRequestHandler } from "@remix-run/express";
import {
  createReadableStreamFromReadable,
  type ActionFunction,
  type ServerBuild,
} from "@remix-run/node";
import { errorSummary, type Logger } from "../observability/logger.server";
import { MAX_RELAY_BODY_BYTES } from "../checkout/relay-schema";
import { MAX_COLLECT_BODY_BYTES } from "../storefront/collect-schema";

/**
 * Routes dispatched without Remix's router (POST only; any other method goes through Remix), and
 * the largest body read into memory before the route runs: the route's own limit, so a body the
 * route would refuse (413, by its Content-Length) is never read. The order webhook reads its whole
 * body anyway (Shopify signs all of it); a larger one stays a stream.
 */
export const HOT_ROUTES = {
  "routes/webhooks.orders": 1024 * 1024,
  "routes/proxy.collect": MAX_COLLECT_BODY_BYTES,
  "routes/proxy.checkout": MAX_RELAY_BODY_BYTES,
} as const;

interface HotRoute {
  action: ActionFunction;
  bufferLimit: number;
}

export interface WebServerOptions {
  build: ServerBuild;
  /** build/client, resolved: the files served before any route. */
  clientDir: string;
  mode: string;
  log: Logger;
}

/**
 * The request listener: the ingest routes' POSTs go to their action before express sees them (its
 * router and request decoration cost about a tenth of those routes' CPU, measured in one A/B run),
 * everything else to express.
 */
export function createWebHandler(options: WebServerOptions) {
  const hot = hotActions(options.build);
  const app = createWebApp(options);
  return (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? "/";
    const query = target.indexOf("?");
    const route =
      req.method === "POST"
        ? hot.get(query === -1 ? target : target.slice(0, query))
        : undefined;
    const url = route && requestUrl(req);
    if (!url || !URL.canParse(url)) return app(req, res);
    dispatch(route, url, req, res, options.log).catch((error: unknown) => {
      options.log.error(
        { url: target.split("?")[0], error: errorSummary(error) },
        "request failed",
      );
      if (!res.headersSent)
        res
          .writeHead(500, { "Content-Type": "text/plain; charset=utf-8" })
          .end("Unexpected Server Error");
      else res.destroy();
    });
  };
}

/** Everything but the ingest routes: what remix-serve set up, minus its access log. */
export function createWebApp({
  build,
  clientDir,
  mode,
  log,
}: WebServerOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  // A Host header that makes no URL cannot become a web Request: a client error, not ours.
  app.use((req, res, next) => {
    if (URL.canParse(requestUrl(req))) return next();
    res.status(400).type("text/plain").send("Bad Request");
  });
  app.use(compression());
  // Vite's hashed files: never change under their name.
  app.use(
    "/assets",
    express.static(path.join(clientDir, "assets"), {
      immutable: true,
      maxAge: "1y",
      index: false,
    }),
  );
  app.use(express.static(clientDir, { maxAge: "1h", index: false }));
  app.all("*", createRequestHandler({ build, mode }));
  app.use(
    (
      error: unknown,
      req: express.Request,
      res: express.Response,
      // express tells error handlers by their four parameters
      // eslint-disable-next-line @typescript-eslint/no-unused-vars
      _next: express.NextFunction,
    ) => {
      log.error(
        { url: req.path, error: errorSummary(error) },
        "request failed",
      );
      if (!res.headersSent)
        res.status(500).type("text/plain").send("Unexpected Server Error");
      else res.destroy();
    },
  );
  return app;
}

function requestUrl(req: IncomingMessage): string {
  return `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
}

async function dispatch(
  route: HotRoute,
  url: string,
  req: IncomingMessage,
  res: ServerResponse,
  log: Logger,
): Promise<void> {
  const request = await bufferedRequest(req, url, route.bufferLimit);
  await sendSmallResponse(res, await runAction(route.action, request, log));
}

/** The hot routes by URL path, checked against the build so a renamed route fails the start. */
function hotActions(build: ServerBuild): Map<string, HotRoute> {
  const routes = new Map<string, HotRoute>();
  for (const [id, bufferLimit] of Object.entries(HOT_ROUTES)) {
    const route = build.routes[id];
    const action = route?.module.action;
    if (!route?.path || !action)
      throw new Error(`the build has no action for ${id}`);
    routes.set(`/${route.path}`, { action, bufferLimit });
  }
  return routes;
}

/** The action's answer the way Remix gives a resource route's: a thrown Response is the answer too. */
async function runAction(
  action: ActionFunction,
  request: Request,
  log: Logger,
): Promise<Response> {
  try {
    const result = await action({ request, params: {}, context: {} });
    return result instanceof Response ? result : Response.json(result);
  } catch (error) {
    if (error instanceof Response) return error;
    log.error(
      { url: new URL(request.url).pathname, error: errorSummary(error) },
      "route action failed",
    );
    return new Response("Unexpected Server Error", {
      status: 500,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    });
  }
}

function requestHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
  return headers;
}

/**
 * A hot route's request with its body read into memory first: cheaper than a web stream for the
 * few kB these routes take. A body without a Content-Length, or one over the route's limit, stays
 * a stream, so the route refuses it before it is read.
 */
async function bufferedRequest(
  req: IncomingMessage,
  url: string,
  limit: number,
): Promise<Request> {
  const headers = requestHeaders(req);
  const declared = Number(req.headers["content-length"]);
  if (!(declared <= limit))
    return new Request(url, {
      method: req.method,
      headers,
      body: createReadableStreamFromReadable(req),
      duplex: "half",
    });
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  return new Request(url, {
    method: req.method,
    headers,
    // Socket data lives in plain ArrayBuffers (never shared), which is what BodyInit asks for.
    body: body as Uint8Array<ArrayBuffer>,
  });
}

function writeHead(res: ServerResponse, response: Response): string[] {
  const raw: string[] = [];
  for (const [name, value] of response.headers) raw.push(name, value);
  if (response.statusText) res.statusMessage = response.statusText;
  res.statusCode = response.status;
  return raw;
}

/** A hot route's answer: a few bytes at most, sent in one write. */
async function sendSmallResponse(
  res: ServerResponse,
  response: Response,
): Promise<void> {
  const raw = writeHead(res, response);
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : null;
  if (body && !response.headers.has("content-length"))
    raw.push("Content-Length", String(body.length));
  res.writeHead(response.status, raw);
  res.end(body ?? undefined);
}
