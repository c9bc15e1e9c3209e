// A worker process's own small HTTP listener (WORKER_METRICS_PORT): GET /metrics and GET /healthz,
// as the web process serves them through Remix. Without it the worker's delivery, TikTok and
// retention counters, which live in its memory, could not be scraped at all.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { PrismaClient } from "@prisma/client";
import { errorSummary, logger } from "./logger.server";
import { metricsAccess } from "./metrics-auth.server";
import { metricsRegistry } from "./metrics.server";

export interface WorkerMetricsOptions {
  port: number;
  /** Default: every interface, like the web server in a container. */
  host?: string;
  prisma: PrismaClient;
  /** METRICS_TOKEN: /metrics is off (404) without it, and needs it as a bearer token. */
  token: string | undefined;
}

export interface WorkerMetricsServer {
  /** The port it listens on (useful with port 0). */
  port: number;
  /** Stops listening and drops idle keep-alive connections; does not wait for anything. */
  close(): void;
}

export async function startWorkerMetricsServer({
  port,
  host,
  prisma,
  token,
}: WorkerMetricsOptions): Promise<WorkerMetricsServer> {
  const log = logger().child({ component: "worker-metrics" });
  const server: Server = createServer((req, res) => {
    answer(req, prisma, token).then(
      ({ status, headers, body }) => {
        res.writeHead(status, headers);
        res.end(req.method === "HEAD" ? undefined : body);
      },
      (error: unknown) => {
        log.error({ error: errorSummary(error) }, "metrics scrape failed");
        res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("Internal Server Error");
      },
    );
  });
  // A scraper that stops mid-request must not keep a socket (and a drain) waiting.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as { port: number }).port;
  log.info({ port: bound }, `worker metrics listening on port ${bound}`);
  return {
    port: bound,
    close() {
      server.close();
      server.closeIdleConnections();
    },
  };
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const plain = (status: number, body: string, extra = {}): Answer => ({
  status,
  headers: { "Content-Type": "text/plain; charset=utf-8", ...extra },
  body,
});

async function answer(
  req: IncomingMessage,
  prisma: PrismaClient,
  token: string | undefined,
): Promise<Answer> {
  const { pathname } = new URL(req.url ?? "/", "http://worker");
  if (pathname !== "/metrics" && pathname !== "/healthz")
    return plain(404, "Not Found");
  if (req.method !== "GET" && req.method !== "HEAD")
    return plain(405, "Method Not Allowed", { Allow: "GET, HEAD" });
  // Liveness only, like the web process's /healthz: no database call.
  if (pathname === "/healthz") return plain(200, "ok");
  // Same rule as app/routes/metrics.tsx.
  const access = metricsAccess(req.headers.authorization ?? null, token);
  if (access === "off") return plain(404, "Not Found");
  if (access === "denied")
    return plain(401, "Unauthorized", {
      "WWW-Authenticate": 'Bearer realm="metrics"',
    });
  const registry = metricsRegistry(prisma);
  return {
    status: 200,
    headers: {
      "Content-Type": registry.contentType,
      "Cache-Control": "no-store",
    },
    body: await registry.metrics(),
  };
}
