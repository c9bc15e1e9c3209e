// The relay shares the app proxy's flood guard (app/storefront/rate-limit.ts): the same
// per-client and per-shop request buckets, the same hourly cap on new ids per client (a new
// checkout token counts like a new storefront session) and the same event budget.
import prisma from "~/db.server";
import { proxyLimits } from "~/storefront/proxy-limits.server";
import type { Decision } from "~/storefront/rate-limit";
import { knownCheckout } from "./relay.server";

/** A new checkout token against the client's hourly cap, then the event it queues (if any). */
export async function checkRelayBody(
  shop: string,
  ip: string | null,
  checkoutToken: string,
  queuesEvent: boolean,
): Promise<Response | null> {
  const limits = proxyLimits();
  const admitted = limits.admitSession(shop, ip, `checkout:${checkoutToken}`);
  if (!admitted.ok && !(await knownCheckout(shop, checkoutToken)))
    return tooMany(admitted);
  return queuesEvent ? tooMany(limits.takeEvents(shop, ip, 1)) : null;
}

function tooMany(decision: Decision): Response | null {
  if (decision.ok) return null;
  return new Response(decision.reason, {
    status: 429,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Retry-After": String(decision.retryAfterSeconds),
    },
  });
}

/**
 * A storefront fallback: its session id (when the shopper has one) against the client's hourly
 * cap of new sessions, as the app proxy's collect counts it, then the event it queues (if any).
 */
export async function checkFallbackBody(
  shop: string,
  ip: string | null,
  sessionKey: string | undefined,
  queuesEvent: boolean,
): Promise<Response | null> {
  const limits = proxyLimits();
  if (sessionKey) {
    const admitted = limits.admitSession(shop, ip, sessionKey);
    if (!admitted.ok && !(await knownSession(shop, sessionKey)))
      return tooMany(admitted);
  }
  return queuesEvent ? tooMany(limits.takeEvents(shop, ip, 1)) : null;
}

async function knownSession(shop: string, sessionKey: string) {
  const row = await prisma.attributionSession.findUnique({
    where: { shop_sessionKey: { shop, sessionKey } },
    select: { id: true },
  });
  return row !== null;
}
