// The app process of `npm run demo` (forked by demo.server.ts with `node --import tsx`):
// serves the production build of the app through the demo server, installs the demo shop,
// answers the demo shop's Admin API locally and allows no network beyond loopback.
// Environment (set by startDemo): DEMO_MODE=1, NODE_ENV=development, SHOPIFY_API_KEY,
// SHOPIFY_API_SECRET, DEMO_SHOP, DEMO_ADMIN_ACCESS_TOKEN, DEMO_PORT, DEMO_PORT_FALLBACK,
// DATABASE_URL, ENCRYPTION_KEY, TIKTOK_API_BASE_URL, SCOPES.
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { assertDemoAllowed } from "./guard";
import { DEMO_PIXEL_CODE, DEMO_TIKTOK_TOKEN } from "./journey";
import {
  createAdminApiStandin,
  installOfflineFetch,
} from "./offline-network.server";
import { startDemoServer, type DemoServer } from "./server.server";

export type AppProcessMessage =
  { type: "ready"; url: string } | { type: "failed"; message: string };

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set (start the demo with \`npm run demo\`).`,
    );
  return value;
}

function tell(message: AppProcessMessage): void {
  if (process.send) process.send(message);
}

async function main(): Promise<void> {
  assertDemoAllowed();
  const shop = required("DEMO_SHOP");
  const credentials = {
    apiKey: required("SHOPIFY_API_KEY"),
    apiSecret: required("SHOPIFY_API_SECRET"),
  };
  const admin = createAdminApiStandin({
    shop,
    accessToken: required("DEMO_ADMIN_ACCESS_TOKEN"),
  });
  installOfflineFetch({ shop, admin, log: (m) => console.warn(m) });

  const buildDir = path.resolve(process.env.DEMO_BUILD_DIR ?? "build");
  const server: DemoServer = await startDemoServer({
    shop,
    credentials,
    port: Number(process.env.DEMO_PORT ?? "0"),
    fallbackToEphemeralPort: process.env.DEMO_PORT_FALLBACK === "1",
    clientDir: path.join(buildDir, "client"),
    async loadApp(url) {
      // The app reads its configuration when it is imported: the URL must be known first.
      process.env.SHOPIFY_APP_URL = url;
      const build = (await import(
        pathToFileURL(path.join(buildDir, "server", "index.js")).href
      )) as ServerBuild;
      const { createRequestHandler } = await import("@remix-run/node");
      const { seedDemoShop } = await import("./seed.server");
      await seedDemoShop({
        shop,
        adminAccessToken: required("DEMO_ADMIN_ACCESS_TOKEN"),
        pixelCode: DEMO_PIXEL_CODE,
        tiktokAccessToken: DEMO_TIKTOK_TOKEN,
      });
      const handler = createRequestHandler(build, "development");
      return (request) => handler(request);
    },
    async status() {
      // After the build: reuses the Prisma client the app created (db.server keeps it on globalThis).
      const prisma = (await import("~/db.server")).default;
      const [outbox, deliveries] = await Promise.all([
        prisma.outboxEntry.count(),
        prisma.delivery.findMany({
          orderBy: { createdAt: "asc" },
          select: {
            source: true,
            eventName: true,
            eventId: true,
            orderName: true,
            status: true,
            matchKeys: true,
            keySources: true,
            attemptCount: true,
            lastError: true,
          },
        }),
      ]);
      return {
        outbox,
        deliveries,
        metafields: Object.fromEntries(admin.metafields),
      };
    },
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // The app's own SIGINT/SIGTERM handler drains the delivery worker and exits; this closes
    // the listener so no new request starts meanwhile, and exits if nothing else does.
    void server.close().then(() => {
      if (process.connected) process.disconnect();
      setTimeout(() => process.exit(0), 10_000).unref();
    });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // The demo CLI went away without stopping us (e.g. it was killed): do not linger on the port.
  process.on("disconnect", () => {
    if (!stopping) process.kill(process.pid, "SIGTERM");
  });
  tell({ type: "ready", url: server.url });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    `[demo] the app did not start: ${error instanceof Error ? error.stack : message}`,
  );
  tell({ type: "failed", message });
  process.exitCode = 1;
  process.disconnect?.();
});
