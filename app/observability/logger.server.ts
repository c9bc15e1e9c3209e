// The app's one logger: pino, JSON lines on stdout (human-readable through pino-pretty in
// development). Callers log ids and outcomes, never personal data: routes pass the shop, the
// request id, webhook, event and delivery ids, and counts; raw email, phone, IP, access tokens
// and request or event bodies are never handed to a log call. `redact` below is the second line
// of defence, for a key that slips through anyway.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import pino, { type DestinationStream, type Logger } from "pino";
import { logSettings, type LogFormat, type LogLevel } from "./log-settings";

export type { Logger } from "pino";

/** Keys whose values are replaced at the top of a line (where every field of ours sits)... */
const SENSITIVE_KEYS = [
  "email",
  "phone",
  "ip",
  "clientIp",
  "browserIp",
  "browser_ip",
  "accessToken",
  "access_token",
  "token",
  "authorization",
  "cookie",
  "password",
  "secret",
  "encryptionKey",
  // Whole bodies and payloads carry the shopper's data (the TikTok payload holds the raw IP).
  "payload",
  "rawBody",
  "body",
  "headers",
];
/** ...and one level down in the objects most likely to be handed over whole. */
const CONTAINERS = ["user", "customer", "order", "session", "settings"];
const NESTED_KEYS = [
  "email",
  "phone",
  "ip",
  "accessToken",
  "access_token",
  "token",
];
export const REDACTED = "[redacted]";
// Explicit paths, not `*.email`: pino's wildcard paths tripled the cost of a line (measured:
// about 10 µs a line with these paths, 30 µs with a wildcard per key).
const REDACT_PATHS = [
  ...SENSITIVE_KEYS,
  ...CONTAINERS.flatMap((c) => NESTED_KEYS.map((k) => `${c}.${k}`)),
];

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where the lines go (tests pass a stream); default stdout. */
  destination?: DestinationStream;
}

/** A logger writing to `destination`, or to stdout: JSON directly, pretty through a worker thread. */
export function createLogger({
  level,
  format,
  destination,
}: LoggerOptions): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" rather than 30: readable in any log viewer.
    formatters: { level: (label) => ({ level: label }) },
  };
  if (destination) return pino(options, destination);
  const pretty = format === "pretty" ? prettyModule() : null;
  if (pretty)
    // pino-pretty runs in pino's transport thread, so formatting never blocks a request.
    return pino({
      ...options,
      transport: {
        target: pretty,
        options: {
          destination: 1,
          translateTime: "SYS:HH:MM:ss.l",
          ignore: "pid,hostname",
          // One line per entry: a request's fields stay next to its message in a busy terminal.
          singleLine: true,
        },
      },
    });
  // Asynchronous writes (pino's default): a slow reader of stdout never stalls the process. A
  // synchronous write to a full pipe busy-waits, which would hold up lease renewals and requests.
  // pino flushes what is pending on exit; exitAfterLogs below keeps the last lines in order.
  return pino(options, pino.destination({ dest: 1, sync: false }));
}

/** pino-pretty's path when it is installed (development); production images leave it out. */
function prettyModule(): string | null {
  try {
    return createRequire(import.meta.url).resolve("pino-pretty");
  } catch {
    return null;
  }
}

declare global {
  // Kept across Remix dev reloads, like the metrics registry: one transport thread, not one per reload.
  // eslint-disable-next-line no-var
  var appLogger: Logger | undefined;
}

/** The process's logger, set up from LOG_LEVEL, LOG_FORMAT and NODE_ENV on first use. */
export function logger(): Logger {
  if (!globalThis.appLogger) {
    const settings = logSettings(process.env, prettyModule() !== null);
    globalThis.appLogger = createLogger(settings);
    if (settings.notice) globalThis.appLogger.warn(settings.notice);
  }
  return globalThis.appLogger;
}

/**
 * Replaces the process's logger (tests capture lines with a stream destination); undefined
 * goes back to the environment's on next use.
 */
export function setLogger(replacement: Logger | undefined): void {
  globalThis.appLogger = replacement;
}

// What we accept as a caller's request id: bounded, and characters that cannot break a line or
// carry an email address. Anything else is replaced by our own.
const REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The request's `X-Request-Id` when it is a sane one, else a new UUID. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get("x-request-id");
  return given !== null && REQUEST_ID.test(given) ? given : randomUUID();
}

/** A child logger whose every line carries the request id (and `bindings`, e.g. the route). */
export function requestLogger(
  request: Request,
  bindings: Record<string, string> = {},
): Logger {
  return logger().child({
    requestId: requestIdOf(request.headers),
    ...bindings,
  });
}

/**
 * What a log line says about an error: its class, its code when it has one (Prisma's P2021,
 * Node's ECONNREFUSED) and the first line of its message, cut short. Not the stack or the rest:
 * a database error's later lines can quote the values it was given.
 */
export function errorSummary(error: unknown): {
  type: string;
  code?: string;
  message: string;
} {
  const type = error instanceof Error ? error.name : typeof error;
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const message =
    text
      .split("\n")
      .find((line) => line.trim())
      ?.trim()
      .slice(0, 200) ?? "";
  return typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code)
    ? { type, code, message }
    : { type, message };
}

/** A header-borne id or topic for a log line: signed by Shopify, but its length is the sender's choice. */
export function clip(value: string | undefined, max = 128): string | undefined {
  return value === undefined ? undefined : value.slice(0, max);
}

/**
 * process.exit once the log lines written so far are out (at most a second later), so the last
 * lines of a drain or a failed start are neither lost nor reordered.
 */
export function exitAfterLogs(code: number): void {
  const exit = () => process.exit(code);
  const current = globalThis.appLogger;
  if (!current) return exit();
  setTimeout(exit, 1_000);
  current.flush(() => exit());
}
