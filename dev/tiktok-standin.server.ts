// A local stand-in for TikTok's Events API 2.0 endpoint (POST /open_api/v1.3/event/track/).
// It behaves as TikTok's public docs describe the endpoint (Events API 2.0 web reference,
// business-api.tiktok.com/portal/docs?id=1771100865818625; response shape as in stape-io/tiktok-tag#10):
// business errors as HTTP 200 with a non-zero `code`, strict v1.3 body validation, one bad event
// fails the batch, dedup on pixel + event + event_id. It deliberately shares no code with the real
// client in app/tiktok: it must catch that client's mistakes, not repeat them.
// Built on node:http only so tests, the demo and benchmarks can start it in-process.
import { randomBytes } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { isIP, type AddressInfo, type Socket } from "node:net";

// ---------------------------------------------------------------------------
// Public types and constants

export const TRACK_PATH = "/open_api/v1.3/event/track/";
export const DEFAULT_SANDBOX_TOKEN = "sandbox-token";
/** TikTok's limit is undocumented; 5 MB comfortably fits 1000 rich events. */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
export const MAX_EVENTS_PER_REQUEST = 1000;
/** event_time above this is almost certainly milliseconds (1e11 s is the year 5138). */
export const MAX_EVENT_TIME_SECONDS = 1e11;

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type ForcedFailure =
  /** HTTP 500 with a JSON body. */
  | { kind: "http500" }
  /** HTTP 200 + code 40100, TikTok's rate limit answer. */
  | { kind: "rateLimit" }
  /**
   * The request hangs. Without `afterMs` it never answers (until the client gives up or the
   * stand-in closes) and nothing is kept. With `afterMs` it processes the request normally after
   * that delay: TikTok got the events but the client may already have given up, so a retry with
   * the same event_id must be deduplicated.
   */
  | { kind: "timeout"; afterMs?: number }
  /** HTTP 200 + code 50002 "Internal service timed out" (transient, retryable). */
  | { kind: "internalTimeout" }
  /** HTTP 503 until the epoch-ms instant `untilMs`, then normal service resumes by itself. */
  | { kind: "outage"; untilMs: number };

export interface Behaviour {
  latencyMs: number;
  errorRate: number;
  forced: ForcedFailure | null;
}

export interface StandinOptions {
  /** 0 = ephemeral. */
  port?: number;
  /** Default 127.0.0.1; anything that is not loopback is refused. */
  host?: string;
  /** token -> allowed pixel codes ("*" = any pixel). Default { "sandbox-token": "*" }. */
  accessTokens?: Record<string, string[] | "*">;
  /** Delay added to every request before it is answered. */
  latencyMs?: number;
  /** 0..1 fraction of track requests answered with HTTP 500 (retryable). */
  errorRate?: number;
  random?: () => number;
  /** Clock in epoch ms (outage windows, receivedAt); default Date.now. */
  now?: () => number;
  /** Called once per request when it has been answered or abandoned (the CLI prints these). */
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface AcceptedEvent {
  pixelCode: string;
  event: string;
  event_id?: string;
  event_time: number;
  user: JsonObject;
  properties: JsonObject;
  page: JsonObject;
  limited_data_use: boolean;
  /** Set when the request carried a top-level test_event_code (TikTok: Test Events only). */
  test_event_code?: string;
  /** Epoch ms. */
  receivedAt: number;
  requestId: string;
}

export interface RequestLogEntry {
  /** ISO time the request arrived. */
  at: string;
  method: string;
  path: string;
  /** Masked Access-Token header, null when absent. */
  token: string | null;
  /** HTTP status sent; 0 when no answer was sent (client gave up, or the stand-in closed). */
  status: number;
  /** TikTok `code` in the body; null when there was no TikTok-shaped body. */
  code: number | null;
  message: string;
  /** Length of `data` when the body had an array there, else 0. */
  eventCount: number;
  durationMs: number;
}

export interface TrackResponseBody {
  code: number;
  message: string;
  request_id: string;
  data: JsonObject;
}

export interface TikTokStandin {
  /** Base URL, e.g. http://127.0.0.1:8787 (clients append TRACK_PATH). */
  readonly url: string;
  readonly port: number;
  /** Deduplicated events kept, in arrival order. Cleared in place by reset(). */
  readonly accepted: AcceptedEvent[];
  /** Every request, in completion order. Cleared in place by reset(). */
  readonly requests: RequestLogEntry[];
  readonly duplicatesIgnored: number;
  /** Requests received and not yet answered or abandoned (e.g. hanging in forced timeout). */
  readonly inFlight: number;
  readonly behaviour: Readonly<Behaviour>;
  setBehaviour(b: Partial<Behaviour>): void;
  /** Forget accepted events, the request log and dedup state; restore the starting behaviour. */
  reset(): void;
  /** Stops listening and drops every open connection, including hanging requests. Idempotent. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Validation (pure)

// TikTok's supported currencies, as TikTok's business API SDK lists them (tiktok/tiktok-business-api-sdk,
// PixelProperties.md), kept separate from app/tiktok.
const SUPPORTED_CURRENCIES: ReadonlySet<string> = new Set(
  (
    "AED ARS AUD BDT BHD BIF BOB BRL CAD CHF CLP CNY COP CRC CZK DKK DZD EGP EUR GBP GTQ HKD HNL " +
    "HUF IDR ILS INR ISK JPY KES KHR KRW KWD KZT MAD MOP MXN MYR NGN NIO NOK NZD OMR PEN PHP PKR " +
    "PLN PYG QAR RON RUB SAR SEK SGD THB TRY TWD UAH USD VES VND ZAR"
  ).split(" "),
);

const SHA256_HEX = /^[a-f0-9]{64}$/;
// SHA-256("") — a hash of nothing is a client bug (TikTok's parameter docs: hash values, never an empty one).
const SHA256_OF_EMPTY =
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const MAX_EVENT_NAME_LENGTH = 100;

/** Fields of the legacy 1.0 /pixel/track/ shape (Events API 1.0, not to be mixed with 2.0). */
const LEGACY_TOP_LEVEL = ["pixel_code", "timestamp", "context", "batch"];
const LEGACY_EVENT_LEVEL = ["pixel_code", "timestamp", "context"];
/** Personal data that must arrive as SHA-256 hex (string or string[]). */
const HASHED_USER_FIELDS = [
  "email",
  "phone",
  "external_id",
  "first_name",
  "last_name",
  "zip_code",
];
/** Sent raw; a 64-hex value here means the client hashed something it must not. */
const RAW_USER_FIELDS = ["ttclid", "ttp", "user_agent"];
const PLAIN_USER_STRINGS = ["locale", "city", "state", "country"];
const PROPERTY_STRINGS = [
  "order_id",
  "shop_id",
  "query",
  "search_string",
  "description",
  "content_name",
  "content_category",
];
const CONTENT_STRINGS = ["content_name", "content_category", "brand"];

export interface ValidEvent {
  event: string;
  event_id?: string;
  event_time: number;
  user: JsonObject;
  properties: JsonObject;
  page: JsonObject;
  limited_data_use: boolean;
}

export interface ValidTrackBody {
  event_source: "web";
  event_source_id: string;
  test_event_code?: string;
  data: ValidEvent[];
}

export type ValidationResult =
  { ok: true; body: ValidTrackBody } | { ok: false; message: string };

class Invalid extends Error {}

function fail(path: string, reason: string): never {
  throw new Invalid(`${path}: ${reason}`);
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function has(o: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function optionalObject(
  parent: JsonObject,
  key: string,
  path: string,
): JsonObject {
  if (!has(parent, key)) return {};
  const v = parent[key];
  if (!isObject(v)) fail(`${path}.${key}`, "Not a valid mapping type.");
  return v;
}

function requireString(v: JsonValue | undefined, path: string): string {
  if (typeof v !== "string") fail(path, "Not a valid string.");
  // Omit empty fields rather than sending "" (Events API 2.0 web reference).
  if (v.length === 0) fail(path, "Must not be empty; omit the field instead.");
  return v;
}

function requireNumber(v: JsonValue | undefined, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v))
    fail(path, "Not a valid number.");
  return v;
}

function checkStrings(o: JsonObject, keys: string[], path: string): void {
  for (const key of keys)
    if (has(o, key)) requireString(o[key], `${path}.${key}`);
}

function checkHash(v: JsonValue, path: string): void {
  const s = requireString(v, path);
  if (!SHA256_HEX.test(s))
    fail(
      path,
      "Not a valid SHA-256 hash (64 lower-case hex characters); normalise and hash before sending.",
    );
  if (s === SHA256_OF_EMPTY)
    fail(path, "Is the SHA-256 of an empty string; omit the field instead.");
}

function checkAbsoluteUrl(v: JsonValue | undefined, path: string): void {
  const s = requireString(v, path);
  let ok = false;
  try {
    const u = new URL(s);
    ok = u.protocol === "http:" || u.protocol === "https:";
  } catch {
    ok = false;
  }
  if (!ok) fail(path, "Not a valid URL.");
}

function validateUser(user: JsonObject, path: string): void {
  if (has(user, "phone_number"))
    fail(
      `${path}.phone_number`,
      "Unknown field. (v1.0 name; the v1.3 key is user.phone)",
    );
  for (const key of HASHED_USER_FIELDS) {
    if (!has(user, key)) continue;
    const v = user[key];
    if (Array.isArray(v)) {
      if (v.length === 0)
        fail(`${path}.${key}`, "Must not be empty; omit the field instead.");
      v.forEach((item, i) => checkHash(item, `${path}.${key}.${i}`));
    } else {
      checkHash(v, `${path}.${key}`);
    }
  }
  for (const key of RAW_USER_FIELDS) {
    if (!has(user, key)) continue;
    const s = requireString(user[key], `${path}.${key}`);
    if (SHA256_HEX.test(s))
      fail(`${path}.${key}`, "Looks SHA-256 hashed; this field is sent raw.");
  }
  if (has(user, "ip")) {
    const ip = requireString(user.ip, `${path}.ip`);
    if (isIP(ip) === 0) fail(`${path}.ip`, "Not a valid IPv4 or IPv6 address.");
  }
  checkStrings(user, PLAIN_USER_STRINGS, path);
}

function validateProperties(props: JsonObject, path: string): void {
  for (const key of ["value", "num_items"]) {
    if (has(props, key)) requireNumber(props[key], `${path}.${key}`);
  }
  if (has(props, "currency")) {
    const c = requireString(props.currency, `${path}.currency`);
    if (!SUPPORTED_CURRENCIES.has(c))
      fail(`${path}.currency`, `Unsupported currency "${c}".`);
  }
  if (has(props, "content_type")) {
    const t = requireString(props.content_type, `${path}.content_type`);
    if (t !== "product" && t !== "product_group")
      fail(
        `${path}.content_type`,
        'Must be one of: "product", "product_group".',
      );
  }
  checkStrings(props, PROPERTY_STRINGS, path);
  if (has(props, "content_ids")) {
    const ids = props.content_ids;
    if (!Array.isArray(ids)) fail(`${path}.content_ids`, "Not a valid list.");
    ids.forEach((id, i) => requireString(id, `${path}.content_ids.${i}`));
  }
  if (has(props, "contents")) {
    const contents = props.contents;
    if (!Array.isArray(contents)) fail(`${path}.contents`, "Not a valid list.");
    contents.forEach((item, i) => {
      const p = `${path}.contents.${i}`;
      if (!isObject(item)) fail(p, "Not a valid mapping type.");
      if (has(item, "content_id"))
        requireString(item.content_id, `${p}.content_id`);
      for (const key of ["price", "quantity"]) {
        if (has(item, key)) requireNumber(item[key], `${p}.${key}`);
      }
      checkStrings(item, CONTENT_STRINGS, p);
    });
  }
}

function validateEvent(raw: JsonValue, path: string): ValidEvent {
  if (!isObject(raw)) fail(path, "Not a valid mapping type.");
  for (const key of LEGACY_EVENT_LEVEL) {
    if (has(raw, key))
      fail(
        `${path}.${key}`,
        "Unknown field. (v1.0 format is not accepted here)",
      );
  }
  if (has(raw, "test_event_code"))
    fail(
      `${path}.test_event_code`,
      "Unknown field. (test_event_code belongs at the top level of the request)",
    );

  if (!has(raw, "event"))
    fail(`${path}.event`, "Missing data for required field.");
  const event = requireString(raw.event, `${path}.event`);
  if (event.trim() !== event)
    fail(`${path}.event`, "Must not start or end with whitespace.");
  if (event.length > MAX_EVENT_NAME_LENGTH)
    fail(`${path}.event`, `Longer than ${MAX_EVENT_NAME_LENGTH} characters.`);

  if (!has(raw, "event_time"))
    fail(`${path}.event_time`, "Missing data for required field.");
  const t = raw.event_time;
  if (typeof t !== "number" || !Number.isInteger(t))
    fail(`${path}.event_time`, "Not a valid integer (Unix time in seconds).");
  if (t <= 0)
    fail(`${path}.event_time`, "Must be a positive Unix time in seconds.");
  if (t > MAX_EVENT_TIME_SECONDS)
    fail(
      `${path}.event_time`,
      "Looks like milliseconds; send Unix time in seconds.",
    );

  let eventId: string | undefined;
  if (has(raw, "event_id"))
    eventId = requireString(raw.event_id, `${path}.event_id`);

  const user = optionalObject(raw, "user", path);
  validateUser(user, `${path}.user`);
  const properties = optionalObject(raw, "properties", path);
  validateProperties(properties, `${path}.properties`);
  const page = optionalObject(raw, "page", path);
  for (const key of ["url", "referrer"]) {
    if (has(page, key)) checkAbsoluteUrl(page[key], `${path}.page.${key}`);
  }

  let limitedDataUse = false;
  if (has(raw, "limited_data_use")) {
    const l = raw.limited_data_use;
    if (typeof l !== "boolean")
      fail(`${path}.limited_data_use`, "Not a valid boolean.");
    limitedDataUse = l;
  }

  return {
    event,
    ...(eventId === undefined ? {} : { event_id: eventId }),
    event_time: t,
    user,
    properties,
    page,
    limited_data_use: limitedDataUse,
  };
}

/** Top-level checks only; the pixel permission check runs between this and validateTrackData. */
function validateEnvelope(
  body: JsonValue,
): Omit<ValidTrackBody, "data"> & { data: JsonValue[] } {
  if (!isObject(body)) throw new Invalid("Request body must be a JSON object.");
  for (const key of LEGACY_TOP_LEVEL) {
    if (has(body, key))
      fail(
        key,
        "Unknown field. (v1.0 /pixel/track/ format is not accepted by /v1.3/event/track/)",
      );
  }
  if (!has(body, "event_source"))
    fail("event_source", "Missing data for required field.");
  if (body.event_source !== "web")
    throw new Invalid(
      'Invalid value for event_source: this stand-in supports "web" only.',
    );
  if (!has(body, "event_source_id"))
    fail("event_source_id", "Missing data for required field.");
  const pixel = requireString(body.event_source_id, "event_source_id");
  if (/\s/.test(pixel)) throw new Invalid("Invalid value for event_source_id.");
  if (has(body, "partner_name"))
    requireString(body.partner_name, "partner_name");
  let testEventCode: string | undefined;
  if (has(body, "test_event_code"))
    testEventCode = requireString(body.test_event_code, "test_event_code");
  if (!has(body, "data")) fail("data", "Missing data for required field.");
  const data = body.data;
  if (!Array.isArray(data)) fail("data", "Not a valid list.");
  if (data.length < 1 || data.length > MAX_EVENTS_PER_REQUEST)
    fail("data", `Length must be between 1 and ${MAX_EVENTS_PER_REQUEST}.`);
  return {
    event_source: "web",
    event_source_id: pixel,
    ...(testEventCode === undefined ? {} : { test_event_code: testEventCode }),
    data,
  };
}

function validateTrackData(data: JsonValue[]): ValidEvent[] {
  return data.map((raw, i) => validateEvent(raw, `data.${i}`));
}

/**
 * Validates a parsed request body the way /v1.3/event/track/ does: the first problem found is
 * reported (TikTok answers 40002 with one message naming the field) and fails the whole batch.
 */
export function validateTrackBody(body: JsonValue): ValidationResult {
  try {
    const envelope = validateEnvelope(body);
    return {
      ok: true,
      body: { ...envelope, data: validateTrackData(envelope.data) },
    };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, message: e.message };
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Server

const LOOPBACK_NAMES = new Set(["localhost", "::1", "[::1]"]);

/** True for 127.0.0.0/8, ::1 and "localhost"; the stand-in must never face a network. */
export function isLoopbackHost(host: string): boolean {
  if (LOOPBACK_NAMES.has(host.toLowerCase())) return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

export function maskToken(token: string): string {
  if (token.length <= 6) return "…";
  return `${token.slice(0, 4)}…${token.slice(-2)}`;
}

type ParsedBody = { ok: true; value: JsonValue } | { ok: false };

function parseBody(raw: Buffer): ParsedBody {
  try {
    // fatal: invalid UTF-8 is a malformed body, not something to patch up with U+FFFD.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    return { ok: false };
  }
}

interface Outcome {
  status: number;
  body: TrackResponseBody | { code: number; message: string };
}

function checkBehaviour(b: Partial<Behaviour>): void {
  if (
    b.latencyMs !== undefined &&
    !(b.latencyMs >= 0 && Number.isFinite(b.latencyMs))
  )
    throw new RangeError("latencyMs must be a finite number >= 0");
  if (b.errorRate !== undefined && !(b.errorRate >= 0 && b.errorRate <= 1))
    throw new RangeError("errorRate must be between 0 and 1");
  const f = b.forced;
  if (f && f.kind === "timeout" && f.afterMs !== undefined && !(f.afterMs >= 0))
    throw new RangeError("timeout.afterMs must be >= 0");
}

class Closed extends Error {}

export async function startTikTokStandin(
  opts: StandinOptions = {},
): Promise<TikTokStandin> {
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopbackHost(host))
    throw new Error(
      `TikTok stand-in refuses to listen on "${host}": loopback addresses only (127.0.0.1, ::1, localhost).`,
    );
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`Invalid port ${String(port)}`);

  const tokens: Record<string, string[] | "*"> = opts.accessTokens ?? {
    [DEFAULT_SANDBOX_TOKEN]: "*",
  };
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const initial: Behaviour = {
    latencyMs: opts.latencyMs ?? 0,
    errorRate: opts.errorRate ?? 0,
    forced: null,
  };
  checkBehaviour(initial);
  let behaviour: Behaviour = { ...initial };

  const accepted: AcceptedEvent[] = [];
  const requests: RequestLogEntry[] = [];
  const seen = new Set<string>();
  let duplicatesIgnored = 0;
  let requestCounter = 0;
  let inFlight = 0;

  // Aborted on close(): wakes every sleeping or hanging handler.
  const closing = new AbortController();
  const sockets = new Set<Socket>();

  function newRequestId(): string {
    const d = new Date(now());
    const p = (n: number, w = 2) => String(n).padStart(w, "0");
    const stamp =
      `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
      `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
    requestCounter += 1;
    return `${stamp}${randomBytes(8).toString("hex").toUpperCase()}${requestCounter.toString(16).toUpperCase()}`;
  }

  function tiktok(code: number, message: string, status = 200): Outcome {
    return {
      status,
      body: { code, message, request_id: newRequestId(), data: {} },
    };
  }

  /**
   * Resolves after ms (or early when `res` closes, if given: the client left); rejects with
   * Closed when the stand-in closes, so no timer outlives close().
   */
  function wait(ms: number, res?: ServerResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      if (closing.signal.aborted) return reject(new Closed());
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      const onClose = () => finish(() => reject(new Closed()));
      closing.signal.addEventListener("abort", onClose, { once: true });
      res?.once("close", done);
      function done() {
        finish(resolve);
      }
      function finish(then: () => void) {
        if (timer) clearTimeout(timer);
        closing.signal.removeEventListener("abort", onClose);
        res?.off("close", done);
        then();
      }
    });
  }

  function readBody(req: IncomingMessage): Promise<Buffer | "tooLarge"> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        // Keep draining past the limit so the client receives our 413 instead of a reset,
        // but cut off clients that keep going far beyond it.
        if (size > MAX_BODY_BYTES * 4) req.destroy();
        else if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      req.on("end", () =>
        resolve(size > MAX_BODY_BYTES ? "tooLarge" : Buffer.concat(chunks)),
      );
      req.on("error", reject);
      req.on("close", () => {
        if (!req.complete) reject(new Closed());
      });
    });
  }

  function storeBatch(body: ValidTrackBody, requestId: string): void {
    const receivedAt = now();
    for (const ev of body.data) {
      if (ev.event_id !== undefined) {
        // TikTok's dedup key; test events live apart from live ones (they are never reported).
        const key = JSON.stringify([
          body.event_source_id,
          ev.event,
          ev.event_id,
          body.test_event_code !== undefined,
        ]);
        if (seen.has(key)) {
          duplicatesIgnored += 1;
          continue;
        }
        seen.add(key);
      }
      accepted.push({
        pixelCode: body.event_source_id,
        ...ev,
        ...(body.test_event_code === undefined
          ? {}
          : { test_event_code: body.test_event_code }),
        receivedAt,
        requestId,
      });
    }
  }

  /** Auth, validation, storage: the part that runs when TikTok is healthy. */
  function processTrack(req: IncomingMessage, parsed: ParsedBody): Outcome {
    const header = req.headers["access-token"];
    const token = typeof header === "string" ? header : undefined;
    if (!token || !Object.prototype.hasOwnProperty.call(tokens, token))
      return tiktok(40105, "Access token is invalid or has expired.");

    const contentType = req.headers["content-type"] ?? "";
    if (!/^application\/json\b/i.test(contentType))
      return tiktok(40002, "Content-Type must be application/json.");
    if (!parsed.ok) return tiktok(40002, "Request body is not valid JSON.");

    let envelope: ReturnType<typeof validateEnvelope>;
    let events: ValidEvent[];
    try {
      envelope = validateEnvelope(parsed.value);
      const allowed = tokens[token];
      if (allowed !== "*" && !allowed.includes(envelope.event_source_id))
        return tiktok(
          40001,
          `No permission to operate pixel code: ${envelope.event_source_id}. Make sure you have been granted access to the pixel.`,
        );
      events = validateTrackData(envelope.data);
    } catch (e) {
      if (e instanceof Invalid) return tiktok(40002, e.message);
      throw e;
    }
    const requestId = newRequestId();
    storeBatch({ ...envelope, data: events }, requestId);
    return {
      status: 200,
      body: { code: 0, message: "OK", request_id: requestId, data: {} },
    };
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const started = performance.now();
    const at = new Date(now()).toISOString();
    const method = req.method ?? "";
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const tokenHeader = req.headers["access-token"];
    let logged = false;
    let clientGone = false;
    inFlight += 1;
    let code: number | null = null;
    let message = "no answer (client went away or stand-in closed)";
    let eventCount = 0;

    res.once("close", () => {
      clientGone = true;
      if (logged) return;
      logged = true;
      inFlight -= 1;
      const entry: RequestLogEntry = {
        at,
        method,
        path,
        token: typeof tokenHeader === "string" ? maskToken(tokenHeader) : null,
        status: res.writableFinished ? res.statusCode : 0,
        code: res.writableFinished ? code : null,
        message: res.writableFinished
          ? message
          : "no answer (client went away or stand-in closed)",
        eventCount,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      };
      requests.push(entry);
      opts.onRequest?.(entry);
    });

    function send(o: Outcome, extraHeaders: Record<string, string> = {}): void {
      if (res.headersSent || clientGone) return;
      code = o.body.code;
      message = o.body.message;
      const json = JSON.stringify(o.body);
      res.writeHead(o.status, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(json),
        ...("request_id" in o.body ? { "x-tt-logid": o.body.request_id } : {}),
        ...extraHeaders,
      });
      res.end(json);
    }

    const raw = await readBody(req);
    // Latency applies to every answer, as a slow network or a slow TikTok would.
    // A client that gives up during it never reached "TikTok": nothing is processed.
    if (behaviour.latencyMs > 0) await wait(behaviour.latencyMs, res);
    if (clientGone) return;

    if (path !== TRACK_PATH)
      return send({
        status: 404,
        body: { code: 40400, message: `No route for ${path}` },
      });
    if (method !== "POST")
      return send(
        {
          status: 405,
          body: {
            code: 40500,
            message: `Method ${method} not allowed; use POST.`,
          },
        },
        { allow: "POST" },
      );
    if (raw === "tooLarge")
      return send(
        tiktok(
          40002,
          `Request body exceeds ${MAX_BODY_BYTES} bytes; send fewer events per request.`,
          413,
        ),
      );
    const parsed = parseBody(raw);
    if (parsed.ok && isObject(parsed.value) && Array.isArray(parsed.value.data))
      eventCount = parsed.value.data.length;

    let forced = behaviour.forced;
    if (forced?.kind === "outage" && now() >= forced.untilMs) {
      // The outage window is over: resume normal service by itself.
      behaviour = { ...behaviour, forced: null };
      forced = null;
    }
    if (forced) {
      switch (forced.kind) {
        case "http500":
          return send(tiktok(50000, "Internal server error.", 500));
        case "rateLimit":
          return send(
            tiktok(40100, "Too many requests. Please retry in some time."),
          );
        case "internalTimeout":
          return send(
            tiktok(50002, "Internal service timed out. Please retry."),
          );
        case "outage":
          return send(tiktok(50300, "Service temporarily unavailable.", 503));
        case "timeout":
          if (forced.afterMs === undefined) {
            // Hang until the client gives up or the stand-in closes; nothing is kept.
            await wait(Number.POSITIVE_INFINITY, res);
            return;
          }
          // Late answer: TikTok processes the batch even if the client has stopped waiting,
          // which is exactly why retries must reuse the event_id.
          await wait(forced.afterMs);
          break;
      }
    }
    if (behaviour.errorRate > 0 && random() < behaviour.errorRate)
      return send(tiktok(50000, "Internal server error.", 500));

    send(processTrack(req, parsed));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof Closed) {
        res.destroy();
        return;
      }
      // A bug in the stand-in: answer 500 rather than hang, and say so on stderr.
      console.error("TikTok stand-in internal error:", e);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, {
          "content-type": "application/json; charset=utf-8",
        });
        res.end(
          JSON.stringify({ code: 50000, message: "Stand-in internal error." }),
        );
      } else {
        res.destroy();
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost =
    address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;

  let closed: Promise<void> | undefined;

  return {
    url,
    port: address.port,
    accepted,
    requests,
    get duplicatesIgnored() {
      return duplicatesIgnored;
    },
    get inFlight() {
      return inFlight;
    },
    get behaviour() {
      return behaviour;
    },
    setBehaviour(b) {
      checkBehaviour(b);
      behaviour = { ...behaviour, ...b };
    },
    reset() {
      accepted.length = 0;
      requests.length = 0;
      seen.clear();
      duplicatesIgnored = 0;
      behaviour = { ...initial };
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        closing.abort();
        // Hanging and keep-alive connections would otherwise hold the port open.
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
