import "@shopify/shopify-app-remix/adapters/node";
import {
  ApiVersion,
  AppDistribution,
  LogSeverity,
  shopifyApp,
} from "@shopify/shopify-app-remix/server";
import { PrismaSessionStorage } from "@shopify/shopify-app-session-storage-prisma";
import {
  shopifyApi,
  WEBHOOK_HEADER_NAMES,
  WebhookType,
  WebhookValidationErrorReason,
} from "@shopify/shopify-api";
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
      // A reinstall: the shop is installed again (its pixels still need their tokens, which
      // the uninstall erased).
      const { markInstalled } = await import("~/pixels/pixels.server");
      await markInstalled(session.shop);
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

/**
 * The same library's validators without the rest of `authenticate.*`, for the ingest routes
 * (order webhooks, app proxy), which never call the Admin API: `authenticate.webhook` and
 * `.public.appProxy` also load the shop's offline session and build Admin (and Storefront)
 * clients on every call, and the webhook one parses the body a second time. shopifyApp keeps
 * its own instance private, so this is a second one on the same secret. Signatures are still
 * computed and compared by @shopify/shopify-api, nowhere else.
 */
const shopifyValidators = shopifyApi({
  apiKey: config.apiKey,
  apiSecretKey: config.apiSecretKey,
  apiVersion: API_VERSION,
  scopes: config.scopes,
  hostName: new URL(config.appUrl).host,
  isEmbeddedApp: true,
  logger: { level: logLevel(config.env.SHOPIFY_LOG_LEVEL) },
  _logDisabledFutureFlags: false,
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
  requireShopDomain(
    request.headers.get("x-shopify-shop-domain") ??
      request.headers.get("shopify-shop-domain"),
  );
  try {
    return await authenticate.webhook(request);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new Response("Webhook body is not valid JSON.", { status: 400 });
    }
    throw error;
  }
}

export interface SignedWebhook {
  shop: string;
  /** Storage form, e.g. ORDERS_CREATE. */
  topic: string;
  webhookId: string;
  eventId?: string;
  /** The body as signed: the raw text keeps 18-digit ids exact. */
  rawBody: string;
}

/**
 * A webhook's signature and headers checked by `shopify.api.webhooks.validate` (what
 * `authenticate.webhook` runs first), with the same answers: 405 for another method, 401 for a
 * bad HMAC, 400 for missing headers or an invalid shop. Neither the offline session nor an Admin
 * client, nor a parse of the body: for routes that only store what Shopify sent (the caller
 * parses the body, and answers 400 when it is not JSON).
 */
export async function verifySignedWebhook(
  request: Request,
): Promise<SignedWebhook> {
  if (request.method !== "POST")
    throw new Response(undefined, {
      status: 405,
      statusText: "Method not allowed",
    });
  requireShopDomain(
    request.headers.get("x-shopify-shop-domain") ??
      request.headers.get("shopify-shop-domain"),
  );
  const rawBody = await request.text();
  const check = await shopifyValidators.webhooks.validate({
    rawBody,
    rawRequest: checkedHeadersOnly(request),
  });
  if (!check.valid)
    throw check.reason === WebhookValidationErrorReason.InvalidHmac
      ? new Response(undefined, { status: 401, statusText: "Unauthorized" })
      : new Response(undefined, { status: 400, statusText: "Bad Request" });
  // The library reads the shop from whichever of the two header spellings it found the HMAC
  // in; the one checked above may be the other.
  requireShopDomain(check.domain);
  return {
    shop: check.domain,
    topic: check.topic,
    webhookId: check.webhookId,
    // Not part of the check: read here as the library reads it (webhooks only, and only when
    // not empty), so the validator is given one header fewer.
    eventId:
      check.webhookType === WebhookType.Webhooks
        ? request.headers.get(WEBHOOK_HEADER_NAMES.webhooks.eventId) ||
          undefined
        : undefined,
    rawBody,
  };
}

/**
 * The headers the library's webhook check requires, in both of Shopify's spellings
 * (`X-Shopify-*` for webhooks, `Shopify-*` for events): the HMAC, topic, shop, API version and
 * webhook id. The library canonicalises every header name it holds once per header added and
 * once per header looked up, so its cost grows with the square of what it is given; the proxy
 * and transport headers, and Shopify's optional ones, cost most of its time (README, "Where
 * the time goes").
 */
const CHECKED_WEBHOOK_HEADERS = new Set(
  Object.values(WEBHOOK_HEADER_NAMES).flatMap((names) =>
    [
      names.hmac,
      names.topic,
      names.domain,
      names.apiVersion,
      names.webhookId,
    ].map((name) => name.toLowerCase()),
  ),
);

function checkedHeadersOnly(
  request: Request,
): Pick<Request, "method" | "url" | "headers"> {
  const headers = new Headers();
  for (const [name, value] of request.headers)
    if (CHECKED_WEBHOOK_HEADERS.has(name)) headers.append(name, value);
  return { method: request.method, url: request.url, headers };
}

/**
 * An app proxy request's signature checked by `shopify.api.utils.validateHmac` (signator
 * "appProxy"), which is the first check `authenticate.public.appProxy` makes, without loading
 * the offline session or building Admin and Storefront clients. Anything that check does not
 * accept goes to `authenticate.public.appProxy` itself, so its other readings of the query (a
 * Remix `_data` parameter) and its refusal (400) stay the library's.
 */
export async function verifyAppProxy(request: Request, query: URLSearchParams) {
  // As the library does: an empty `index` (Remix's index-route marker) is not signed.
  let signed = query;
  if (query.has("index") && !query.get("index")) {
    signed = new URLSearchParams(query);
    signed.delete("index");
  }
  const valid = await shopifyValidators.utils
    .validateHmac(signed, { signator: "appProxy" })
    .catch(() => false);
  if (!valid) await authenticate.public.appProxy(request);
}

/** Refuses (400) a webhook whose shop header is not a shop's permanent domain. */
function requireShopDomain(value: string | null): void {
  if (!isShopDomain(value))
    throw new Response("Missing or invalid X-Shopify-Shop-Domain.", {
      status: 400,
    });
}

/** A shop's permanent domain, as Shopify sends it in webhooks and app proxy requests. */
export function isShopDomain(value: string | null): value is string {
  return (
    !!value &&
    value.length <= 255 &&
    /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/.test(value)
  );
}
