import prisma from "~/db.server";
import type { CollectBody } from "./collect-schema";
import { parseEnv } from "~/config/env";
import { ProxyLimits, proxyLimitSettings, type Decision } from "./rate-limit";

declare global {
  // One set of buckets per process; tests replace it (a fake clock, other limits).
  // eslint-disable-next-line no-var
  var proxyLimits: ProxyLimits | undefined;
}

export function proxyLimits(): ProxyLimits {
  // Built once per process, at its first proxy request, from the same checked schema as the rest
  // of the configuration (read afresh here so a test can set the limits before that request).
  globalThis.proxyLimits ??= new ProxyLimits(
    proxyLimitSettings(parseEnv(process.env)),
  );
  return globalThis.proxyLimits;
}

/** 429 with Retry-After, before anything is read or stored; null when the request may go on. */
export function checkProxyRate(
  shop: string,
  ip: string | null,
): Response | null {
  return tooMany(proxyLimits().takeRequest(shop, ip));
}

/**
 * The body's checks, before anything is stored: its session id against the client's hourly cap
 * of new sessions, then its events against the client's event budget (429 when either refuses).
 * Over the cap, a client is still served for sessions that exist: those it opened in this window
 * (remembered in memory), or any stored one of the shop (opened before a restart or through
 * another process). The lookup runs only over the cap, so at most at the client's request rate.
 */
export async function checkProxyBody(
  shop: string,
  ip: string | null,
  body: CollectBody,
): Promise<Response | null> {
  const sessionKey = body.session_id;
  const session = proxyLimits().admitSession(shop, ip, sessionKey);
  if (!session.ok) {
    const known = await prisma.attributionSession.findUnique({
      where: { shop_sessionKey: { shop, sessionKey } },
      select: { id: true },
    });
    if (!known) return tooMany(session);
  }
  return tooMany(proxyLimits().takeEvents(shop, ip, body.events.length));
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
