// Runs the real Remix request handler against a fresh temporary SQLite database.
// Call createTestApp() at the top of a test file (before anything imports ~/db.server).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequestHandler } from "@remix-run/node";
import type { PrismaClient } from "@prisma/client";
import {
  sessionToken,
  signAppProxyUrl,
  webhookHeaders,
} from "../../dev/shopify-signing";
import { loadServerBuild } from "./remix-build";
import { APP_URL, TEST_CREDS, TEST_ENCRYPTION_KEY } from "./constants";
import { applyMigrations } from "./database";

export { TEST_CREDS, APP_URL, TEST_ENCRYPTION_KEY } from "./constants";
export { applyMigrations } from "./database";

export interface TestApp {
  dbFile: string;
  prisma: PrismaClient;
  handle(request: Request): Promise<Response>;
  /** A stored offline session, so authenticate.admin makes no network call. */
  installShop(shop: string): Promise<void>;
  /** Headers of an App Bridge fetch from the embedded admin for this shop. */
  adminHeaders(shop: string): Record<string, string>;
  adminRequest(shop: string, pathAndQuery: string, init?: RequestInit): Request;
  webhookRequest(
    pathname: string,
    options: {
      topic: string;
      shop: string;
      body: string;
      webhookId?: string;
      eventId?: string;
      secret?: string;
    },
  ): Request;
  appProxyRequest(
    pathname: string,
    options: {
      shop: string;
      body?: string;
      timestamp?: number;
      secret?: string;
      headers?: Record<string, string>;
      /** Shopify's signed logged_in_customer_id (empty = not logged in). */
      customerId?: string | readonly string[];
    },
  ): Request;
  /** Runs a delivery worker (default settings, the app's TikTok client) until no row is due. */
  drainDeliveries(): Promise<void>;
  close(): Promise<void>;
}

export async function createTestApp(
  env: Record<string, string> = {},
): Promise<TestApp> {
  const dir = mkdtempSync(path.join(tmpdir(), "tiktok-app-test-"));
  const dbFile = path.join(dir, "test.sqlite");
  const databaseUrl = `file:${dbFile}`;
  await applyMigrations(databaseUrl);
  Object.assign(process.env, {
    DATABASE_URL: databaseUrl,
    SHOPIFY_API_KEY: TEST_CREDS.apiKey,
    SHOPIFY_API_SECRET: TEST_CREDS.apiSecret,
    SHOPIFY_APP_URL: APP_URL,
    SCOPES:
      "read_orders,read_customers,write_app_proxy,write_pixels,read_customer_events",
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    DELIVERY_WORKER: "off",
    // Warnings and errors only: a test's requests would each add an info line to the output.
    // Tests that look at the lines capture them (test/support/log-capture.ts).
    LOG_LEVEL: "warn",
    ...env,
  });
  globalThis.prismaGlobal = undefined;
  globalThis.ingestWriter = undefined;
  globalThis.deliveryRuntime = undefined;
  globalThis.appLogger = undefined;
  const build = await loadServerBuild();
  const handler = createRequestHandler(build, "production");
  const prisma = (await import("~/db.server")).default;

  const app: TestApp = {
    dbFile,
    prisma,
    handle: (request) => handler(request),
    async installShop(shop) {
      await prisma.session.upsert({
        where: { id: `offline_${shop}` },
        create: {
          id: `offline_${shop}`,
          shop,
          state: "installed",
          isOnline: false,
          scope:
            "read_orders,read_customers,write_app_proxy,write_pixels,read_customer_events",
          accessToken: `shpat_test_${shop}`,
        },
        update: {},
      });
    },
    adminHeaders(shop) {
      return { Authorization: `Bearer ${sessionToken(shop, TEST_CREDS)}` };
    },
    adminRequest(shop, pathAndQuery, init = {}) {
      const headers = new Headers(init.headers);
      for (const [k, v] of Object.entries(app.adminHeaders(shop)))
        headers.set(k, v);
      return new Request(new URL(pathAndQuery, APP_URL), { ...init, headers });
    },
    webhookRequest(pathname, options) {
      const headers = webhookHeaders({
        topic: options.topic,
        shop: options.shop,
        body: options.body,
        apiSecret: options.secret ?? TEST_CREDS.apiSecret,
        webhookId: options.webhookId,
        eventId: options.eventId,
      });
      return new Request(new URL(pathname, APP_URL), {
        method: "POST",
        headers,
        body: options.body,
      });
    },
    appProxyRequest(pathname, options) {
      const url = signAppProxyUrl(new URL(pathname, APP_URL), {
        shop: options.shop,
        apiSecret: options.secret ?? TEST_CREDS.apiSecret,
        timestamp: options.timestamp,
        customerId: options.customerId,
      });
      return new Request(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...options.headers },
        body: options.body,
      });
    },
    async drainDeliveries() {
      const { DeliveryWorker } = await import("~/delivery/worker.server");
      const { tiktokClient } = await import("~/delivery/runtime.server");
      const worker = new DeliveryWorker({ prisma, client: tiktokClient() });
      while ((await worker.runOnce()) > 0) {
        /* until the due rows are settled */
      }
    },
    async close() {
      await prisma.$disconnect();
      globalThis.prismaGlobal = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return app;
}
