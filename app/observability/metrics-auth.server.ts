import { createHash, timingSafeEqual } from "node:crypto";

export type MetricsAccess = "off" | "denied" | "allowed";

/**
 * Who may scrape /metrics: nobody when no token is configured (the endpoint is off), otherwise
 * a request whose `Authorization: Bearer <token>` matches. Both sides are hashed first so the
 * comparison is constant-time whatever their lengths.
 */
export function metricsAccess(
  authorization: string | null,
  token: string | undefined = process.env.METRICS_TOKEN,
): MetricsAccess {
  const expected = token?.trim();
  if (!expected) return "off";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!match) return "denied";
  return timingSafeEqual(digest(match[1]), digest(expected))
    ? "allowed"
    : "denied";
}

const digest = (value: string) => createHash("sha256").update(value).digest();
