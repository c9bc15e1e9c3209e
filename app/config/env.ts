/**
 * Every environment variable the app reads, parsed and checked in one place. Pure: the
 * server module (config.server.ts) loads .env, parses process.env once and hands the values
 * to the modules that need them. README.md ("Environment") and .env.example list the same
 * variables; a test keeps the three in sync.
 */
import { z } from "zod";
import { DEFAULT_TIKTOK_API_BASE_URL } from "~/tiktok/endpoint";

/** pino's levels, most severe first; "silent" logs nothing. */
export const LOG_LEVELS = [
  "fatal",
  "error",
  "warn",
  "info",
  "debug",
  "trace",
  "silent",
] as const;

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** `NAME=` (as copied from .env.example) means unset; surrounding spaces are dropped. */
function blankAsUnset(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function optionalString() {
  return z.preprocess(blankAsUnset, z.string().optional());
}

/** A whole number within [min, max]; `unit` only words the error. */
function integer(fallback: number, min: number, max: number, unit: string) {
  return z.preprocess(
    blankAsUnset,
    z
      .string()
      .regex(/^\d+$/, { error: `must be a whole number of ${unit}` })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(min, { error: `must be at least ${min} ${unit}` })
          .max(max, { error: `must be at most ${max} ${unit}` }),
      )
      .default(fallback),
  );
}

/** An optional whole number within [min, max] (unset means the feature is off); `what` words the error. */
function optionalInteger(min: number, max: number, what: string) {
  const error = `must be ${what} (${min}-${max})`;
  return z.preprocess(
    blankAsUnset,
    z
      .string()
      .regex(/^\d+$/, { error })
      .transform(Number)
      .pipe(z.number().min(min, { error }).max(max, { error }))
      .optional(),
  );
}

/** One of `values`, case-insensitive; the canonical spelling is returned. */
function choice<const T extends readonly [string, ...string[]]>(
  values: T,
  fallback: T[number],
) {
  return z.preprocess(
    (value) => {
      const v = blankAsUnset(value);
      if (typeof v !== "string") return v;
      return values.find((c) => c.toLowerCase() === v.toLowerCase()) ?? v;
    },
    z
      .enum(values, { error: `must be one of ${values.join(", ")}` })
      .default(fallback as never),
  );
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

function httpUrl() {
  return z.preprocess(
    blankAsUnset,
    z
      .string()
      .refine(isHttpUrl, { error: "must be an http:// or https:// URL" })
      .optional(),
  );
}

function isLoopbackUrl(value: string): boolean {
  try {
    const { protocol, hostname } = new URL(value);
    return (
      (protocol === "http:" || protocol === "https:") &&
      ["127.0.0.1", "[::1]", "localhost"].includes(hostname)
    );
  } catch {
    return false;
  }
}

/** 32 bytes in base64 (AES-256-GCM), as `npm run setup` writes it. */
function isEncryptionKey(value: string): boolean {
  return (
    /^[A-Za-z0-9+/]+={0,2}$/.test(value) &&
    Buffer.from(value, "base64").length === 32
  );
}

export const envSchema = z.object({
  /** Set by the npm scripts and the web server (app/cli/web.ts); "production" turns on the checks below. */
  NODE_ENV: optionalString(),
  SHOPIFY_API_KEY: optionalString(),
  SHOPIFY_API_SECRET: optionalString(),
  SHOPIFY_APP_URL: httpUrl(),
  /**
   * The theme app extension's uid (Shopify CLI writes it as SHOPIFY_TIKTOK_PIXEL_ID): the home
   * page's app-embed check then matches our embed exactly rather than by its block handle.
   */
  SHOPIFY_TIKTOK_PIXEL_ID: optionalString(),
  /**
   * Older Shopify CLI versions pass the app URL as HOST (vite.config.ts copies it into
   * SHOPIFY_APP_URL in development). The web server (app/cli/web.ts) reads HOST as the address to listen on, so a
   * HOST that is not an http(s) URL is not an error: the app simply does not use it.
   */
  HOST: optionalString(),
  SCOPES: z.preprocess(
    blankAsUnset,
    z
      .string()
      .default("")
      .transform((s) =>
        s
          .split(",")
          .map((scope) => scope.trim())
          .filter(Boolean),
      ),
  ),
  DATABASE_URL: z.preprocess(
    blankAsUnset,
    z
      .string()
      .regex(/^[a-z][a-z0-9+.-]*:/i, {
        error: "must be a URL such as file:prisma/dev.sqlite or postgresql://…",
      })
      .optional(),
  ),
  ENCRYPTION_KEY: z.preprocess(
    blankAsUnset,
    z
      .string()
      .refine(isEncryptionKey, {
        error:
          "must be 32 bytes encoded as base64 (`npm run setup` writes one into .env)",
      })
      .optional(),
  ),
  // Turns on GET /metrics (app/observability); long enough not to be guessed.
  METRICS_TOKEN: z.preprocess(
    blankAsUnset,
    z.string().min(16, { error: "must be at least 16 characters" }).optional(),
  ),
  TIKTOK_API_BASE_URL: z.preprocess(
    blankAsUnset,
    z
      .string()
      .refine(isHttpUrl, { error: "must be an http:// or https:// URL" })
      .default(DEFAULT_TIKTOK_API_BASE_URL),
  ),
  // How long one Events API request may take, connecting included. Under a second, an ordinary
  // slow answer would count as a failure; over two minutes, one hung request holds up its pixel.
  TIKTOK_TIMEOUT_MS: integer(10 * SECOND, SECOND, 2 * MINUTE, "milliseconds"),
  DELIVERY_WORKER: choice(["on", "off"], "on"),
  // How long a claimed row stays ours. A crashed worker's rows wait this long before another
  // worker picks them up, hence the one-hour ceiling. It should outlast TIKTOK_TIMEOUT_MS (the
  // worker renews the lease before each pixel's send, so one request must fit in one lease);
  // envWarnings below says so at start rather than refusing (see there why).
  DELIVERY_LEASE_MS: integer(2 * MINUTE, SECOND, HOUR, "milliseconds"),
  DELIVERY_IDLE_MS: integer(SECOND, 10, MINUTE, "milliseconds"),
  // Outbox rows one worker claims per cycle. A request carries at most 1000 events
  // (MAX_EVENTS_PER_REQUEST, app/tiktok/track-body.ts), hence the ceiling; smaller claims share a
  // backlog more evenly among several workers (test/bench/worker-scaling.ts measures it).
  DELIVERY_BATCH_SIZE: integer(500, 1, 1000, "rows"),
  DELIVERY_RETRY_BASE_MS: integer(30 * SECOND, 100, 12 * HOUR, "milliseconds"),
  DELIVERY_RETRY_MIN_MS: integer(SECOND, 100, 12 * HOUR, "milliseconds"),
  // TikTok deduplicates an event only within 48 h of the first copy
  // (https://ads.tiktok.com/help/article/event-deduplication) and the retry policy gives up
  // before that, so a single wait longer than 12 h would only burn most of the window.
  DELIVERY_RETRY_CAP_MS: integer(HOUR, 100, 12 * HOUR, "milliseconds"),
  ATTRIBUTION_RETENTION_DAYS: integer(60, 1, 3650, "days"),
  DELIVERY_LOG_RETENTION_DAYS: integer(90, 1, 3650, "days"),
  // At least a day: a receipt must outlive Shopify's retries of the same webhook (8 times over
  // 4 hours: https://shopify.dev/changelog/updates-to-webhook-retry-mechanism).
  WEBHOOK_RECEIPT_RETENTION_DAYS: integer(7, 1, 3650, "days"),
  // How long an order with no browser context waits for the checkout pixel's relay before its
  // Purchase goes out with the order's own keys: orders/create often arrives before the
  // thank-you page has loaded. 0 turns the hold off; at most 10 minutes, far inside TikTok's
  // 48 h deduplication window (https://business-api.tiktok.com/portal/docs?id=1771100865818625).
  CHECKOUT_HOLD_SECONDS: integer(60, 0, 600, "seconds"),
  // The app proxy's flood guard (app/storefront/rate-limit.ts says why these defaults); a
  // bucket's burst is half its per-minute rate.
  PROXY_RATE_PER_CLIENT_PER_MIN: integer(
    60,
    1,
    1_000_000_000,
    "requests a minute",
  ),
  PROXY_RATE_PER_SHOP_PER_MIN: integer(
    10_000,
    1,
    1_000_000_000,
    "requests a minute",
  ),
  PROXY_EVENTS_PER_CLIENT_PER_MIN: integer(
    300,
    1,
    1_000_000_000,
    "events a minute",
  ),
  PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR: integer(
    20,
    1,
    1_000_000_000,
    "sessions an hour",
  ),
  // Reconciliation against Shopify's orders (app/reconciliation): how often each shop is
  // checked (0 = only on demand), how many days back, and whether missing orders are sent.
  RECONCILIATION_INTERVAL_MINUTES: integer(60, 0, 7 * 24 * 60, "minutes"),
  // Orders older than 60 days need the read_all_orders scope
  // (https://shopify.dev/docs/api/admin-graphql/latest/objects/Order).
  RECONCILIATION_WINDOW_DAYS: integer(7, 1, 365, "days"),
  RECONCILIATION_BACKFILL: choice(["on", "off"], "on"),
  // Tests and the demo only: where the Admin GraphQL API is reached instead of https://{shop}.
  // Loopback only, so a shop's access token can never be sent to another host.
  SHOPIFY_ADMIN_API_URL: z.preprocess(
    blankAsUnset,
    z
      .string()
      .refine(isLoopbackUrl, {
        error: "must be an http:// URL on 127.0.0.1, ::1 or localhost",
      })
      .optional(),
  ),
  SQLITE_SYNCHRONOUS: choice(["NORMAL", "FULL"], "NORMAL"),
  SHOPIFY_LOG_LEVEL: choice(["debug", "info", "warning", "error"], "warning"),
  // The app's own log lines (app/observability/logger.server.ts): pino's levels.
  LOG_LEVEL: choice(LOG_LEVELS, "info"),
  // Unset: human-readable (pino-pretty) when NODE_ENV=development, JSON lines otherwise.
  // pino-pretty is a development dependency: without it, "pretty" falls back to JSON.
  LOG_FORMAT: z.preprocess(
    (value) => {
      const v = blankAsUnset(value);
      return typeof v === "string" ? v.toLowerCase() : v;
    },
    z
      .enum(["json", "pretty"], { error: "must be one of json, pretty" })
      .optional(),
  ),
  // A worker process (`npm run worker`, `start.ts worker`) serves GET /metrics and GET /healthz on
  // this port; unset, it serves nothing. The web process has its own routes for both.
  WORKER_METRICS_PORT: optionalInteger(1, 65_535, "a TCP port number"),
});

/**
 * Rules across variables. They run on each field parsed on its own (not as an object-level
 * refinement, which zod skips once a field has failed), so one run reports every problem.
 */
function crossFieldProblems(
  raw: Record<string, string | undefined>,
): Problem[] {
  const shape = envSchema.shape;
  const valid = <T>(result: { success: boolean; data?: T }) =>
    result.success ? result.data : undefined;
  const problems: Problem[] = [];
  if (valid(shape.NODE_ENV.safeParse(raw.NODE_ENV)) === "production") {
    if (!blankAsUnset(raw.ENCRYPTION_KEY))
      problems.push({
        variable: "ENCRYPTION_KEY",
        reason:
          "is not set; the server refuses to start in production without it " +
          "(32 random bytes, base64; `npm run setup` writes one into .env for local use)",
      });
    for (const name of ["SHOPIFY_API_KEY", "SHOPIFY_API_SECRET"] as const)
      if (!blankAsUnset(raw[name]))
        problems.push({ variable: name, reason: "must be set in production" });
  }
  // A floor or first step above the cap would make the cap meaningless.
  const cap = valid(
    shape.DELIVERY_RETRY_CAP_MS.safeParse(raw.DELIVERY_RETRY_CAP_MS),
  );
  const retry = {
    DELIVERY_RETRY_MIN_MS: shape.DELIVERY_RETRY_MIN_MS,
    DELIVERY_RETRY_BASE_MS: shape.DELIVERY_RETRY_BASE_MS,
  };
  for (const [name, schema] of Object.entries(retry)) {
    const value = valid(schema.safeParse(raw[name]));
    if (value !== undefined && cap !== undefined && value > cap)
      problems.push({
        variable: name,
        reason: `must not exceed DELIVERY_RETRY_CAP_MS (${cap})`,
      });
  }
  return problems;
}

/** The variables README.md and .env.example must document. */
export const ENV_VARIABLES = Object.keys(envSchema.shape) as (keyof Env)[];

export type Env = z.output<typeof envSchema>;

/** Variables whose values never appear in an error or a log line. */
const SECRETS = new Set([
  "METRICS_TOKEN",
  "ENCRYPTION_KEY",
  "SHOPIFY_API_SECRET",
  "DATABASE_URL",
]);

interface Problem {
  variable: string;
  reason: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      `Invalid configuration (environment variables):\n` +
        problems.map((p) => `  - ${p.variable} ${p.reason}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/**
 * Parses the whole environment; throws a ConfigError listing every bad variable by name and
 * why. Values are never quoted back (secrets must not reach logs; the rest is in the shell).
 */
export function parseEnv(env: Record<string, string | undefined>): Env {
  const result = envSchema.safeParse(env, { reportInput: false });
  const problems: Problem[] = [
    ...(result.error?.issues ?? []).map((issue) => ({
      variable: String(issue.path[0] ?? "environment"),
      reason: issue.message,
    })),
    ...crossFieldProblems(env),
  ];
  if (result.success && problems.length === 0) return result.data;
  // Belt and braces: no custom message may quote a secret, whatever it says.
  for (const p of problems)
    for (const name of SECRETS) {
      const value = blankAsUnset(env[name]);
      if (typeof value === "string" && p.reason.includes(value))
        p.reason = p.reason.split(value).join("[redacted]");
    }
  throw new ConfigError(problems);
}

/** The public app URL: SHOPIFY_APP_URL, else a URL-shaped HOST, else the local default. */
export function appUrlOf(env: Env): string {
  if (env.SHOPIFY_APP_URL) return env.SHOPIFY_APP_URL;
  if (env.HOST && isHttpUrl(env.HOST)) return env.HOST;
  return "http://localhost:3000";
}

/**
 * Settings that are valid one by one but risky together: reported at start, not refused.
 * A lease shorter than the TikTok timeout lets a hung request outlive its claim, so another
 * worker may claim and send the same rows again (TikTok drops the copy by event_id within 48 h,
 * but the request is wasted). Short leases are legitimate for one worker that must recover
 * quickly after a crash, so this only warns.
 */
export function envWarnings(env: Env): string[] {
  const warnings: string[] = [];
  if (env.DELIVERY_LEASE_MS <= env.TIKTOK_TIMEOUT_MS)
    warnings.push(
      `DELIVERY_LEASE_MS (${env.DELIVERY_LEASE_MS}) is not longer than TIKTOK_TIMEOUT_MS (${env.TIKTOK_TIMEOUT_MS}): ` +
        "a request still waiting for TikTok can lose its lease and be sent again by another worker.",
    );
  return warnings;
}
