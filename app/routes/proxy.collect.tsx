import type { ActionFunctionArgs } from "@remix-run/node";
import { isShopDomain, verifyAppProxy } from "~/shopify.server";
import { postOnlyLoader } from "~/http.server";
import {
  MAX_COLLECT_BODY_BYTES,
  parseCollectBody,
} from "~/storefront/collect-schema";
import { clientIp, ingestStorefront } from "~/storefront/collect.server";
import {
  checkProxyBody,
  checkProxyRate,
} from "~/storefront/proxy-limits.server";
import { readBodyLimited } from "~/storefront/read-body.server";
import {
  recordProxyAccepted,
  recordProxyRejected,
  type ProxyRejection,
} from "~/observability/metrics.server";
import { requestLogger, type Logger } from "~/observability/logger.server";

// App proxy: https://{shop}/apps/tiktok-events/collect → /proxy/collect. Shopify signs the
// query (checked by verifyAppProxy, in Shopify's library) and strips cookies, so everything the
// storefront knows travels in the JSON body; the one thing taken from the signed query is
// Shopify's logged_in_customer_id (https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies).
// One log line per request: the shop, the outcome and the event ids queued. The shopper's
// address is used for the rate limits and stored for TikTok, never logged.
export const action = async ({ request }: ActionFunctionArgs) => {
  if (request.method !== "POST")
    return new Response(null, { status: 405, headers: { Allow: "POST" } });
  const log = requestLogger(request, { route: "proxy.collect" });
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_COLLECT_BODY_BYTES)
    return rejected(log, "size", 413, "Body too large.");

  const query = new URL(request.url).searchParams;
  const shop = query.get("shop");
  if (!isShopDomain(shop))
    return rejected(log, "signature", 400, "Missing or invalid shop.");
  const shopLog = log.child({ shop });
  await verifyAppProxy(request, query).catch((error: unknown) => {
    if (error instanceof Response) {
      recordProxyRejected("signature");
      logRejected(shopLog, "signature", error.status);
    }
    throw error;
  });
  // Limits count only requests Shopify signed, so nobody can spend a shop's budget directly.
  const ip = clientIp(request.headers);
  const overRate = checkProxyRate(shop, ip);
  if (overRate) return limited(shopLog, overRate);

  const raw = await readBodyLimited(request, MAX_COLLECT_BODY_BYTES);
  if (raw === null) return rejected(shopLog, "size", 413, "Body too large.");
  const parsed = parseCollectBody(raw);
  if (!parsed.ok) return rejected(shopLog, "body", 400, parsed.reason);
  const overCap = await checkProxyBody(shop, ip, parsed.body);
  if (overCap) return limited(shopLog, overCap);

  const result = await ingestStorefront({
    shop,
    body: parsed.body,
    ip,
    userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null,
    // Covered by the signature checked above.
    loggedInCustomerIds: query.getAll("logged_in_customer_id"),
  });
  recordProxyAccepted();
  shopLog.info(
    {
      outcome: "accepted",
      status: 204,
      events: parsed.body.events.length,
      queued: result.queued,
      eventIds: result.eventIds,
    },
    "app proxy",
  );
  return new Response(null, { status: 204 });
};

export const loader = postOnlyLoader;

function logRejected(log: Logger, reason: ProxyRejection, status: number) {
  log.info({ outcome: "rejected", reason, status }, "app proxy");
}

const rejected = (
  log: Logger,
  reason: ProxyRejection,
  status: number,
  message: string,
) => {
  recordProxyRejected(reason);
  logRejected(log, reason, status);
  return text(status, message);
};

/** A flood-guard answer (429 with Retry-After), counted as rejected. */
const limited = (log: Logger, response: Response) => {
  recordProxyRejected("rate_limited");
  logRejected(log, "rate_limited", response.status);
  return response;
};

const text = (status: number, message: string) =>
  new Response(message, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
