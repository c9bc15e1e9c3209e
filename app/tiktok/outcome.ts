/**
 * Reads what came back from TikTok (or what went wrong on the way) into one DeliveryOutcome.
 * TikTok reports business errors as HTTP 200 with a non-zero `code`, so success is
 * "HTTP 2xx and code === 0" only (response format: https://business-api.tiktok.com/portal/docs?id=1771100865818625).
 */

export type OutcomeKind = "accepted" | "retryable" | "permanent";

/** Why, in a form the UI can turn into words (see describeOutcome). */
export type OutcomeReason =
  | "accepted"
  | "rate_limited"
  | "server_error"
  | "timeout"
  | "network"
  | "invalid_response"
  | "auth"
  | "permission"
  | "validation"
  | "rejected"
  | "invalid_event"
  | "not_configured";

export interface DeliveryOutcome {
  kind: OutcomeKind;
  reason: OutcomeReason;
  httpStatus: number | null;
  /** TikTok's `code` from the JSON body, when there was one. */
  code: number | null;
  message: string;
  requestId: string | null;
  /** From a Retry-After header, when present. */
  retryAfterMs?: number;
}

/** What the transport saw: a full response, a timeout, or a network-level failure. */
export type TransportResult =
  | {
      type: "response";
      status: number;
      body: string;
      /** Raw Retry-After header value. */
      retryAfter?: string | null;
      /** Request id from a response header (fallback when the body has none). */
      headerRequestId?: string | null;
      /** Clock for HTTP-date Retry-After values; defaults to now. */
      now?: Date;
    }
  | { type: "timeout"; timeoutMs: number }
  | { type: "network"; errorCode: string | null; message: string };

export const TIKTOK_CODES = {
  OK: 0,
  PARTIAL_OR_UNKNOWN_SUCCESS: 20001,
  INVALID_VALUE: 40000,
  NO_PERMISSION: 40001,
  VALIDATION: 40002,
  RATE_LIMITED: 40100,
  INVALID_TOKEN: 40105,
} as const;

interface TikTokResponseBody {
  code: number;
  message: string;
  requestId: string | null;
}

function parseBody(text: string): TikTokResponseBody | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return null;
  const obj = json as Record<string, unknown>;
  const code =
    typeof obj.code === "number"
      ? obj.code
      : typeof obj.code === "string"
        ? Number(obj.code)
        : NaN;
  if (!Number.isInteger(code)) return null;
  return {
    code,
    message: typeof obj.message === "string" ? obj.message : "",
    requestId:
      typeof obj.request_id === "string" && obj.request_id !== ""
        ? obj.request_id
        : null,
  };
}

/** Retry-After as delta-seconds or HTTP-date → milliseconds from now (never negative). */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Date = new Date(),
): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** RudderStack retries TikTok's "Internal service timed out. Please try again later." by message. */
const INTERNAL_TIMEOUT = /internal service timed out/i;
const TIMED_OUT = /timed?\s*out/i;
const TOKEN_PROBLEM = /access[\s_-]?token|unauthori[sz]ed/i;

function fromCode(
  status: number,
  body: TikTokResponseBody,
): Pick<DeliveryOutcome, "kind" | "reason"> {
  const { code, message } = body;
  if (code === TIKTOK_CODES.OK) return { kind: "accepted", reason: "accepted" };
  // 20001: RudderStack treats it as success (rudderlabs/rudder-transformer,
  // src/v0/destinations/tiktok_ads/networkHandler.js); TikTok does not document it, so the
  // message is kept in the log. Retrying could not help if it were a partial rejection.
  if (code === TIKTOK_CODES.PARTIAL_OR_UNKNOWN_SUCCESS)
    return { kind: "accepted", reason: "accepted" };
  if (code === TIKTOK_CODES.RATE_LIMITED)
    return { kind: "retryable", reason: "rate_limited" };
  if (INTERNAL_TIMEOUT.test(message))
    return { kind: "retryable", reason: "server_error" };
  if (code === TIKTOK_CODES.INVALID_TOKEN)
    return { kind: "permanent", reason: "auth" };
  if (code === TIKTOK_CODES.NO_PERMISSION)
    return { kind: "permanent", reason: "permission" };
  if (code === TIKTOK_CODES.VALIDATION || code === TIKTOK_CODES.INVALID_VALUE) {
    return { kind: "permanent", reason: "validation" };
  }
  if (code >= 50000 && code < 60000)
    return { kind: "retryable", reason: "server_error" }; // TikTok system errors
  // Unknown codes: judge by the words, then by the HTTP status.
  if (TIMED_OUT.test(message))
    return { kind: "retryable", reason: "server_error" };
  if (TOKEN_PROBLEM.test(message)) return { kind: "permanent", reason: "auth" };
  if (status >= 500) return { kind: "retryable", reason: "server_error" };
  if (status === 429) return { kind: "retryable", reason: "rate_limited" };
  return { kind: "permanent", reason: "rejected" };
}

function fromStatusOnly(
  status: number,
): Pick<DeliveryOutcome, "kind" | "reason"> {
  if (status === 429) return { kind: "retryable", reason: "rate_limited" };
  if (status >= 500 || status === 408)
    return { kind: "retryable", reason: "server_error" };
  if (status === 401) return { kind: "permanent", reason: "auth" };
  if (status === 403) return { kind: "permanent", reason: "permission" };
  if (status >= 400) return { kind: "permanent", reason: "rejected" };
  // 2xx/3xx without a readable TikTok body: we cannot know whether it was accepted. Resending
  // with the same event_id is safe (TikTok deduplicates within 48 h), so retry.
  return { kind: "retryable", reason: "invalid_response" };
}

function snippet(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}

export function classifyResponse(result: TransportResult): DeliveryOutcome {
  if (result.type === "timeout") {
    return {
      kind: "retryable",
      reason: "timeout",
      httpStatus: null,
      code: null,
      message: `No answer from TikTok within ${result.timeoutMs} ms`,
      requestId: null,
    };
  }
  if (result.type === "network") {
    return {
      kind: "retryable",
      reason: "network",
      httpStatus: null,
      code: null,
      message: result.errorCode
        ? `${result.errorCode}: ${result.message}`
        : result.message,
      requestId: null,
    };
  }

  const { status } = result;
  const retryAfterMs = parseRetryAfter(result.retryAfter, result.now);
  const body = parseBody(result.body);
  let outcome: DeliveryOutcome;
  if (body && status >= 200 && status < 300) {
    outcome = {
      ...fromCode(status, body),
      httpStatus: status,
      code: body.code,
      message: body.message,
      requestId: body.requestId,
    };
  } else if (body) {
    // Non-2xx with a TikTok body: the HTTP status decides retryability, except a rate-limit code.
    const byStatus = fromStatusOnly(status);
    const byCode = fromCode(status, body);
    let picked = byStatus;
    if (byStatus.kind !== "retryable" && byCode.kind !== "accepted")
      picked = byCode;
    outcome = {
      ...picked,
      httpStatus: status,
      code: body.code,
      message: body.message,
      requestId: body.requestId,
    };
  } else {
    const base = fromStatusOnly(status);
    const text = snippet(result.body);
    outcome = {
      ...base,
      httpStatus: status,
      code: null,
      message:
        status >= 200 && status < 300
          ? `TikTok answered HTTP ${status} with a body that is not TikTok JSON: ${text || "(empty)"}`
          : `HTTP ${status}${text ? `: ${text}` : ""}`,
      requestId: null,
    };
  }
  if (outcome.requestId === null && result.headerRequestId)
    outcome.requestId = result.headerRequestId;
  if (retryAfterMs !== undefined && outcome.kind === "retryable")
    outcome.retryAfterMs = retryAfterMs;
  return outcome;
}

/** Plain words for the merchant (settings page, delivery log). */
export function describeOutcome(outcome: DeliveryOutcome): string {
  switch (outcome.reason) {
    case "accepted":
      return "TikTok accepted the event.";
    case "rate_limited":
      return "TikTok is rate limiting, try again in a minute.";
    case "server_error":
      return "TikTok had a temporary problem on its side. Sending again later should work.";
    case "timeout":
      return "TikTok did not answer in time. Sending again later should work.";
    case "network":
      return "TikTok could not be reached (network error). Sending again later should work.";
    case "invalid_response":
      return "TikTok's answer could not be read. Sending again later should work.";
    case "auth":
      return "The access token was rejected by TikTok. Generate a new token for this pixel in TikTok Events Manager and save it in the settings.";
    case "permission":
      return "TikTok says this access token has no permission for this pixel. Check the pixel code, and that the token was generated for this pixel by an admin of the ad account.";
    case "validation":
      return `TikTok rejected the event data as invalid${outcome.message ? `: ${outcome.message}` : "."}`;
    case "invalid_event":
      return `The event was not sent because it failed our checks: ${outcome.message}`;
    case "not_configured":
      return outcome.message;
    case "rejected":
      return `TikTok refused the request${outcome.message ? `: ${outcome.message}` : "."}`;
  }
}
