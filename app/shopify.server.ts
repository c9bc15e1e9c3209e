import "@shopify/shopify-app-remix/adapters/node";
import {
  ApiVersion,
  AppDistribution,
  LogSeverity,
  shopifyApp,
} from "@shopify/shopify-app-remix/server";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import { appConfig, type Env } from "./config.server";
import prisma from "./db.server";
import { CachedSessionStorage } from "./sessions/cached-session-storage.server";
import { logger } from "~/observability/logger.server";

const config = appConfig();

export const API_VERSION = ApiVersion.October26;
export const cachedSessionStorage = new CachedSessionStorage(
  new PrismaSessionStorage(prisma),
);

const shopify = shopifyApp({
  apiKey: config.apiKey,
  apiSecretKey: config.apiSecretKey,
  apiVersion: API_VERSION,
  scopes: config.scopes,
  appUrl: config.appUrl,
  authPathPrefix: "/auth",
  sessionStorage: cachedSessionStorage,
  distribution: AppDistribution.AppStore,
  // The library logs every authenticated request at Info; on the webhook and app proxy hot
  // paths that is noise. SHOPIFY_LOG_LEVEL=info brings it back for debugging.
  logger: { level: logLevel(config.env.SHOPIFY_LOG_LEVEL) },
  future: {
    unstable_newEmbeddedAuthStrategy: true,
  },
  hooks: {
    // After install (and each new offline session): create the checkout web pixel, or bring
    // it up to date. Recorded for the setup checklist; a failure never blocks the install.
    afterAuth: async ({ session, admin }) => {
      const { connectWebPixel } = await import("~/checkout/web-pixel.server");
      const result = await connectWebPixel(admin, session.shop);
      if (!result.ok)
        logger().error(
          { component: "install", shop: session.shop, reason: result.message },
          "checkout web pixel not connected",
        );
    },
  },
});

function logLevel(value: Env["SHOPIFY_LOG_LEVEL"]): LogSeverity {
  switch (value) {
    case "debug":
      return LogSeverity.Debug;
    case "info":
      return LogSeverity.Info;
    case "error":
      return LogSeverity.Error;
    case "warning":
      return LogSeverity.Warning;
  }
}

export default shopify;
export const apiVersion = API_VERSION;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const registerWebhooks = shopify.registerWebhooks;
export const sessionStorage = shopify.sessionStorage;

/**
 * authenticate.webhook, except that a correctly signed body that is not JSON is a 400
 * (the library's JSON.parse would otherwise surface as a 500).
 */
export async function verifyWebhook(request: Request) {
  // The library throws (→ 500) on a shop it cannot turn into a session id; refuse it first.
  const shopHeader =
    request.headers.get("x-shopify-shop-domain") ??
    request.headers.get("shopify-shop-domain");
  if (!isShopDomain(shopHeader)) {
    throw new Response("Missing or invalid X-Shopify-Shop-Domain.", {
      status: 400,
    });
  }
  try {
    return await authenticate.webhook(request);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new Response("Webhook body is not valid JSON.", { status: 400 });
    }
    throw error;
  }
}

/** A shop's permanent domain, as Shopify sends it in webhooks and app proxy requests. */
export function isShopDomain(value: string | null): value is string {
  return (
    !!value &&
    value.length <= 255 &&
    /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(value)
  );
}
