import { createHmac, timingSafeEqual } from "node:crypto";
import { appConfig } from "./config.server";
import { isShopDomain, verifyWebhook } from "./shopify.server";

// The two hot routes (order webhooks, app proxy) check Shopify's signatures here rather than
// through authenticate.webhook / authenticate.public.appProxy. The checks are the library's
// (@shopify/shopify-api lib/utils/hmac-validator and lib/webhooks/validate, same inputs, same
// verdicts, same status codes; test/routes/shopify-hmac.test.ts runs both side by side), but:
//  - node:crypto's synchronous HMAC instead of WebCrypto's importKey + sign per request, which
//    with the library's header canonicalisation was ~18% of the webhook route's CPU;
//  - the body is read once, and not JSON.parsed (the route parses it itself, keeping 18-digit
//    ids exact);
//  - no offline-session lookup: these routes use neither the session nor the Admin client.
// Signatures: https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook-to-ensure-its-coming-from-shopify
// and https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies

/** Constant-time equality of two strings (the library compares their UTF-8 bytes the same way). */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

const hmac = (data: string, encoding: "base64" | "hex") =>
  createHmac("sha256", appConfig().apiSecretKey)
    .update(data, "utf8")
    .digest(encoding);

export interface VerifiedWebhook {
  shop: string;
  /** Storage form, e.g. ORDERS_CREATE. */
  topic: string;
  webhookId: string;
  eventId?: string;
  apiVersion: string;
  rawBody: string;
}

const badRequest = (message?: string) =>
  new Response(message, {
    status: 400,
    statusText: "Bad Request",
  });

/**
 * A webhook (X-Shopify-* headers) whose HMAC over the raw body is valid, or a thrown Response:
 * 405 for a non-POST, 400 for a bad shop domain, an empty body, a missing HMAC or a missing
 * header, 401 for a wrong HMAC. An Events-API delivery (Shopify-* headers) goes through the
 * library as before.
 */
export async function verifyWebhookRequest(
  request: Request,
): Promise<VerifiedWebhook> {
  if (request.headers.has("shopify-hmac-sha256")) {
    const rawBody = await request.clone().text();
    const checked = await verifyWebhook(request);
    return { ...checked, rawBody };
  }
  const shop = request.headers.get("x-shopify-shop-domain");
  // The library would throw (→ 500) on a shop it cannot turn into a session id; refuse it first.
  if (!isShopDomain(shop))
    throw badRequest("Missing or invalid X-Shopify-Shop-Domain.");
  if (request.method !== "POST")
    throw new Response(undefined, {
      status: 405,
      statusText: "Method not allowed",
    });
  const rawBody = await request.text();
  const given = request.headers.get("x-shopify-hmac-sha256");
  if (!rawBody.length || !given) throw badRequest();
  if (!sameSecret(given, hmac(rawBody, "base64")))
    throw new Response(undefined, { status: 401, statusText: "Unauthorized" });
  const topic = request.headers.get("x-shopify-topic");
  const apiVersion = request.headers.get("x-shopify-api-version");
  const webhookId = request.headers.get("x-shopify-webhook-id");
  if (!topic || !apiVersion || !webhookId) throw badRequest();
  const eventId = request.headers.get("x-shopify-event-id") || undefined;
  return {
    shop,
    topic: topic.toUpperCase().replace(/\/|\./g, "_"),
    webhookId,
    ...(eventId ? { eventId } : {}),
    apiVersion,
    rawBody,
  };
}

const PERMITTED_CLOCK_TOLERANCE_SEC = 90;
const SINGLE_VALUE_PARAMS = new Set(["hmac", "shop", "signature", "timestamp"]);

/** The query as the library normalises it: repeated keys joined by ",", except the signed ones. */
function normalise(params: URLSearchParams): Map<string, string> {
  const query = new Map<string, string>();
  for (const [key, value] of params) {
    const existing = query.get(key);
    if (existing === undefined) query.set(key, value);
    else if (SINGLE_VALUE_PARAMS.has(key))
      throw badRequest(); // "must not appear more than once"
    else query.set(key, `${existing},${value}`);
  }
  return query;
}

function validSignature(params: URLSearchParams): boolean {
  const query = normalise(params);
  const signature = query.get("signature");
  if (!signature) throw badRequest();
  const timestamp = Number(query.get("timestamp"));
  if (
    !query.has("timestamp") ||
    !Number.isInteger(timestamp) ||
    Math.abs(Math.trunc(Date.now() / 1000) - timestamp) >
      PERMITTED_CLOCK_TOLERANCE_SEC
  )
    throw badRequest();
  query.delete("signature");
  query.delete("hmac");
  const message = [...query]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`)
    .join("");
  return sameSecret(signature, hmac(message, "hex"));
}

/**
 * Throws a 400 Response unless Shopify signed this app proxy request (signature over the sorted
 * query, timestamp within 90 s), exactly as authenticate.public.appProxy decides, including its
 * retries with Remix's `_data` parameter.
 */
export function verifyAppProxyRequest(url: URL): void {
  const searchParams = new URLSearchParams(url.search);
  if (!searchParams.get("index")) searchParams.delete("index");
  if (validSignature(searchParams)) return;
  const cleanPath = url.pathname
    .replace(/^\//, "")
    .replace(/\/$/, "")
    .replaceAll("/", ".");
  const data = `routes%2F${cleanPath}`;
  if (
    validSignature(
      new URLSearchParams(
        `?_data=${data}&${searchParams.toString().replace(/^\?/, "")}`,
      ),
    )
  )
    return;
  if (
    validSignature(
      new URLSearchParams(
        `?_data=${data}._index&${url.search.replace(/^\?/, "")}`,
      ),
    )
  )
    return;
  throw badRequest();
}
