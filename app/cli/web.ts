// `npm start` and the image's `web` (app/cli/start.ts): the production web server on
// build/server/index.js, listening on PORT (default 3000) at HOST (default: every address).
// app/web-server/server.server.ts says what it serves and why it is not remix-serve.
//
// SIGTERM / SIGINT: stop listening, finish the requests in flight, close connections as they go
// idle; the process then exits once the embedded delivery worker (entry.server.tsx) has drained.
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { exitAfterLogs, logger } from "../observability/logger.server";
import { createWebHandler } from "../web-server/server.server";

/** How often idle keep-alive connections are closed while draining. */
const DRAIN_POLL_MS = 100;

export class WebStartError extends Error {}

export async function serveWeb(): Promise<Server> {
  // As remix-serve did: the build and the configuration read NODE_ENV when they load.
  process.env.NODE_ENV ??= "production";
  const log = logger().child({ component: "web" });
  const buildFile = path.resolve("build", "server", "index.js");
  if (!existsSync(buildFile))
    throw new WebStartError(
      `${path.relative(process.cwd(), buildFile)} is missing: run \`npm run build\` first`,
    );
  const build = (await import(pathToFileURL(buildFile).href)) as ServerBuild;
  const server = createServer(
    createWebHandler({
      build,
      clientDir: path.resolve(build.assetsBuildDirectory),
      mode: process.env.NODE_ENV,
      log,
    }),
  );
  const port = Number(process.env.PORT || 3000);
  const host = process.env.HOST || undefined;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  log.info(
    { port, host: host ?? "*" },
    `web server listening on http://${host ?? "localhost"}:${port}`,
  );

  const drain = (signal: NodeJS.Signals) => {
    log.info({ signal }, `${signal}: web server finishing in-flight requests`);
    const idle = setInterval(
      () => server.closeIdleConnections(),
      DRAIN_POLL_MS,
    ).unref();
    server.close((error) => {
      clearInterval(idle);
      if (error) log.error({ error: error.message }, "web server close failed");
      else log.info("web server closed");
    });
  };
  process.once("SIGTERM", drain);
  process.once("SIGINT", drain);
  return server;
}

// Run directly (`npm start`), not when app/cli/start.ts imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  serveWeb().catch((error: unknown) => {
    logger().fatal(
      { component: "web" },
      `web: ${error instanceof Error ? error.message : String(error)}`,
    );
    exitAfterLogs(1);
  });
