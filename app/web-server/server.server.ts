// The production HTTP server around the Remix build (replacing remix-serve): node:http, the built
// client files, gzip for the admin, and Remix's own request handler for every route, except that
// the ingest routes Shopify and the storefront call at volume (HOT_ROUTE_IDS) go straight to their
// route module's action. That action is the same function Remix would call, taken from the same
// build, so the route file stays the one definition of what the route does; what is skipped is
// Remix's per-request route matching and loader/action machinery, an access-log line and gzip.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import { constants as zlibConstants, createGzip } from "node:zlib";
import {
  createReadableStreamFromReadable,
  createRequestHandler,
  type ActionFunction,
  type ServerBuild,
} from "@remix-run/node";
import { acceptsGzip, isCompressible } from "./compression.server";
import {
  loadStaticFiles,
  serveStaticFile,
  type StaticFiles,
} from "./static-files.server";
import { errorSummary, type Logger } from "../observability/logger.server";

/** Routes dispatched without Remix's router (POST only; any other method goes through Remix). */
export const HOT_ROUTE_IDS = [
  "routes/webhooks.orders",
  "routes/proxy.collect",
  "routes/proxy.checkout",
] as const;

/** Bodies up to this size (declared by Content-Length) are read whole before the action runs. */
const BUFFERED_BODY_LIMIT = 1024 * 1024;

export interface WebServerOptions {
  build: ServerBuild;
  /** build/client, resolved: the files served before any route. */
  clientDir: string;
  mode: string;
  log: Logger;
}

export function createWebServer(options: WebServerOptions): http.Server {
  const handler = createHandler(options);
  return http.createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (isBadRequestUrl(error)) {
        // A Host header that makes no URL: the client's mistake, not worth an error line.
        if (!res.headersSent) res.writeHead(400).end();
        return;
      }
      options.log.error(
        { url: req.url?.split("?")[0], error: errorSummary(error) },
        "request failed",
      );
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("Unexpected Server Error");
      } else res.destroy();
    });
  });
}

/** The web Request could not be built: the Host header and path do not make a URL. */
function isBadRequestUrl(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    (error.cause as { code?: unknown } | undefined)?.code === "ERR_INVALID_URL"
  );
}

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createHandler({
  build,
  clientDir,
  mode,
  log,
}: WebServerOptions): NodeHandler {
  const remix = createRequestHandler(build, mode);
  const hot = hotActions(build);
  const files: StaticFiles = loadStaticFiles(clientDir);

  return async (req, res) => {
    const target = req.url ?? "/";
    const query = target.indexOf("?");
    const pathname = query === -1 ? target : target.slice(0, query);
    const url = `http://${req.headers.host ?? "localhost"}${target}`;

    const action = req.method === "POST" ? hot.get(pathname) : undefined;
    if (action) {
      const request = await bufferedRequest(req, url);
      await sendSmallResponse(res, await runAction(action, request, log));
      return;
    }
    if (serveStaticFile(files, pathname, req, res)) return;

    const controller = new AbortController();
    // Abort the loader/action once the response can no longer be written (as remix-serve did).
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    const request = new Request(url, {
      method: req.method,
      headers: requestHeaders(req),
      signal: controller.signal,
      ...(req.method === "GET" || req.method === "HEAD"
        ? {}
        : { body: createReadableStreamFromReadable(req), duplex: "half" }),
    });
    await sendResponse(req, res, await remix(request));
  };
}

/** The hot routes' actions by URL path, checked against the build so a renamed route fails the start. */
function hotActions(build: ServerBuild): Map<string, ActionFunction> {
  const actions = new Map<string, ActionFunction>();
  for (const id of HOT_ROUTE_IDS) {
    const route = build.routes[id];
    const action = route?.module.action;
    if (!route?.path || !action)
      throw new Error(`the build has no action for ${id}`);
    actions.set(`/${route.path}`, action);
  }
  return actions;
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
 * few kB these routes take. A body without a Content-Length, or a larger one, stays a stream, so
 * the routes' own size limits still refuse it before it is read.
 */
async function bufferedRequest(
  req: IncomingMessage,
  url: string,
): Promise<Request> {
  const headers = requestHeaders(req);
  const declared = Number(req.headers["content-length"]);
  if (!(declared <= BUFFERED_BODY_LIMIT))
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

/** Any other answer: streamed (documents render progressively), gzipped when worth it. */
async function sendResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
): Promise<void> {
  const raw = writeHead(res, response);
  const contentType = response.headers.get("content-type");
  const length = response.headers.get("content-length");
  const gzip =
    response.body !== null &&
    response.status !== 204 &&
    response.status !== 304 &&
    req.method !== "HEAD" &&
    !response.headers.has("content-encoding") &&
    !(length !== null && Number(length) < 1024) &&
    isCompressible(contentType) &&
    acceptsGzip(req.headers["accept-encoding"]);
  if (gzip) {
    for (let i = raw.length - 2; i >= 0; i -= 2)
      if (raw[i].toLowerCase() === "content-length") raw.splice(i, 2);
    raw.push("Content-Encoding", "gzip");
    const vary = response.headers.get("vary");
    if (!vary) raw.push("Vary", "Accept-Encoding");
    else if (!/accept-encoding|\*/i.test(vary)) {
      const at = raw.findIndex((v, i) => i % 2 === 0 && /^vary$/i.test(v));
      raw[at + 1] = `${vary}, Accept-Encoding`;
    }
  }
  res.writeHead(response.status, raw);
  if (!response.body) {
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as WebReadableStream);
  try {
    if (gzip)
      // Sync flush per chunk: a streamed document reaches the browser as it renders.
      await pipeline(
        body,
        createGzip({ flush: zlibConstants.Z_SYNC_FLUSH }),
        res,
      );
    else await pipeline(body, res);
  } catch (error) {
    // The client went away mid-body: nothing to answer, nothing worth an error line.
    if (res.destroyed && !res.writableFinished) return;
    throw error;
  }
}
