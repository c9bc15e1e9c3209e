// Signs requests exactly as Shopify does, for tests and the local demo: admin session
// tokens (HS256 JWT), webhooks (base64 HMAC of the raw body) and app proxy requests
// (hex HMAC of the sorted query). Never used to verify anything in production.
import { createHmac, randomUUID } from "node:crypto";

export interface AppCredentials {
  apiKey: string;
  apiSecret: string;
}

const b64url = (input: Buffer | string) =>
  Buffer.from(input).toString("base64url");

/** A session token as App Bridge would send it in `Authorization: Bearer …`. */
export function sessionToken(
  shop: string,
  creds: AppCredentials,
  overrides: Record<string, unknown> = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: `https://${shop}/admin`,
    dest: `https://${shop}`,
    aud: creds.apiKey,
    sub: "12345",
    exp: now + 60,
    nbf: now - 5,
    iat: now - 5,
    jti: randomUUID(),
    sid: randomUUID(),
    ...overrides,
  };
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(payload));
  const signature = createHmac("sha256", creds.apiSecret)
    .update(`${header}.${body}`)
    .digest("base64url");
  return `${header}.${body}.${signature}`;
}

export interface WebhookOptions {
  topic: string;
  shop: string;
  body: string;
  apiSecret: string;
  apiVersion?: string;
  webhookId?: string;
  eventId?: string;
  triggeredAt?: string;
}

/** All headers Shopify sends with a webhook, with a valid HMAC over the raw body. */
export function webhookHeaders(
  options: WebhookOptions,
): Record<string, string> {
  return {
    "Content-Type": "application/json",
    "X-Shopify-Hmac-Sha256": createHmac("sha256", options.apiSecret)
      .update(options.body, "utf8")
      .digest("base64"),
    "X-Shopify-Topic": options.topic,
    "X-Shopify-Shop-Domain": options.shop,
    "X-Shopify-API-Version": options.apiVersion ?? "2026-10",
    "X-Shopify-Webhook-Id": options.webhookId ?? randomUUID(),
    "X-Shopify-Event-Id": options.eventId ?? randomUUID(),
    "X-Shopify-Triggered-At": options.triggeredAt ?? new Date().toISOString(),
  };
}

/**
 * Adds Shopify's app proxy parameters (shop, logged_in_customer_id, path_prefix,
 * timestamp, signature) to a URL pointing at the app's proxy route.
 */
export function signAppProxyUrl(
  url: string | URL,
  options: {
    shop: string;
    apiSecret: string;
    timestamp?: number;
    pathPrefix?: string;
    /** Several values only to test a storefront URL that brings its own (each one is signed). */
    customerId?: string | readonly string[];
  },
): URL {
  const signed = new URL(url);
  signed.searchParams.set("shop", options.shop);
  signed.searchParams.delete("logged_in_customer_id");
  const customerIds =
    typeof options.customerId === "string" || options.customerId === undefined
      ? [options.customerId ?? ""]
      : options.customerId;
  for (const id of customerIds)
    signed.searchParams.append("logged_in_customer_id", id);
  signed.searchParams.set(
    "path_prefix",
    options.pathPrefix ?? "/apps/tiktok-events",
  );
  signed.searchParams.set(
    "timestamp",
    String(options.timestamp ?? Math.floor(Date.now() / 1000)),
  );
  signed.searchParams.delete("signature");
  const grouped = new Map<string, string[]>();
  for (const [key, value] of signed.searchParams) {
    grouped.set(key, [...(grouped.get(key) ?? []), value]);
  }
  const message = [...grouped.entries()]
    .map(([key, values]) => `${key}=${values.join(",")}`)
    .sort()
    .join("");
  signed.searchParams.set(
    "signature",
    createHmac("sha256", options.apiSecret).update(message).digest("hex"),
  );
  return signed;
}
