import type { ActionFunctionArgs } from "@remix-run/node";
import { isShopDomain, verifyAppProxy } from "~/shopify.server";
import { postOnlyLoader } from "~/http.server";
import { MAX_RELAY_BODY_BYTES } from "~/checkout/relay-schema";
import { parsePixelBody } from "~/checkout/pixel-body";
import {
  ingestRelay,
  relayedEventName,
  relayPixels,
} from "~/checkout/relay.server";
import { checkRelayBody } from "~/checkout/relay-limits.server";
import { isFallbackBody } from "~/storefront/fallback-schema";
import { relayFallback } from "~/storefront/fallback.server";
import { clientIp } from "~/storefront/collect.server";
import { checkProxyRate } from "~/storefront/proxy-limits.server";
import { readBodyLimited } from "~/storefront/read-body.server";

// The checkout web pixel's relay: https://{shop}/apps/tiktok-events/checkout → /proxy/checkout
// (README, "Checkout relay", says why the app proxy). It also takes the pixel's storefront
// fallback events (README, "Storefront fallback"), told apart by the event name. Shopify signs
// the query (checked by verifyAppProxy, in Shopify's library) and forwards the shopper's address
// in X-Forwarded-For
// (https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies).
// Every refusal happens before anything is stored.
export const action = async ({ request }: ActionFunctionArgs) => {
  if (request.method !== "POST")
    return new Response(null, { status: 405, headers: { Allow: "POST" } });
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_RELAY_BODY_BYTES) return text(413, "Body too large.");

  const query = new URL(request.url).searchParams;
  const shop = query.get("shop");
  if (!isShopDomain(shop)) return text(400, "Missing or invalid shop.");
  await verifyAppProxy(request, query);
  const ip = clientIp(request.headers);
  const overRate = checkProxyRate(shop, ip);
  if (overRate) return overRate;

  const raw = await readBodyLimited(request, MAX_RELAY_BODY_BYTES);
  if (raw === null) return text(413, "Body too large.");
  const parsed = parsePixelBody(raw);
  if (!parsed.ok) return text(400, parsed.reason);
  const pixels = await relayPixels(shop);
  if (pixels.length === 0)
    return text(404, "This shop does not take checkout relays.");
  const userAgent = request.headers.get("user-agent")?.slice(0, 512) ?? null;

  if (isFallbackBody(parsed.body)) {
    const refused = await relayFallback(
      shop,
      {
        body: parsed.body,
        ip,
        userAgent,
        loggedInCustomerIds: query.getAll("logged_in_customer_id"),
        now: new Date(),
      },
      pixels,
    );
    return refused ?? new Response(null, { status: 204 });
  }

  const relay = parsed.body;
  const overCap = await checkRelayBody(
    shop,
    ip,
    relay.token,
    pixels.some((p) => relayedEventName(relay, p) !== null),
  );
  if (overCap) return overCap;

  const outcome = await ingestRelay(shop, {
    body: relay,
    ip,
    userAgent,
    now: new Date(),
  });
  if (outcome.status === "unknown_shop")
    return text(404, "This shop does not take checkout relays.");
  return new Response(null, { status: 204 });
};

export const loader = postOnlyLoader;

const text = (status: number, message: string) =>
  new Response(message, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8" },
  });
