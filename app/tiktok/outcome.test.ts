import { describe, expect, it } from "vitest";
import { classifyResponse, describeOutcome, parseRetryAfter } from "./outcome";

const ok = (body: unknown, status = 200) => ({
  type: "response" as const,
  status,
  body: JSON.stringify(body),
});

describe("classifyResponse", () => {
  it("accepts only HTTP 2xx with code 0", () => {
    expect(
      classifyResponse(
        ok({ code: 0, message: "OK", request_id: "r1", data: {} }),
      ),
    ).toEqual({
      kind: "accepted",
      reason: "accepted",
      httpStatus: 200,
      code: 0,
      message: "OK",
      requestId: "r1",
    });
  });

  it.each([
    [
      40002,
      "Invalid value for event_id: not a valid string.",
      "permanent",
      "validation",
    ],
    [40000, "Invalid field value", "permanent", "validation"],
    [40001, "No permission to operate pixel code", "permanent", "permission"],
    [
      40105,
      "Access token is incorrect or has been revoked.",
      "permanent",
      "auth",
    ],
    [
      40104,
      "Access token is null, please pass it in the header",
      "permanent",
      "auth",
    ],
    [
      40100,
      "Too many requests. Please retry in some time.",
      "retryable",
      "rate_limited",
    ],
    [51000, "Internal service timed out", "retryable", "server_error"],
    [40900, "Internal service timed out", "retryable", "server_error"],
    [50002, "Service error", "retryable", "server_error"],
    [40999, "Something else", "permanent", "rejected"],
    [
      40002,
      "Invalid value for properties.timeout_ms",
      "permanent",
      "validation",
    ],
    [40003, "Request timed out upstream", "retryable", "server_error"],
  ])(
    "HTTP 200 with code %i is a failure (%s)",
    (code, message, kind, reason) => {
      const outcome = classifyResponse(
        ok({ code, message, request_id: "req-1" }),
      );
      expect(outcome).toMatchObject({
        kind,
        reason,
        httpStatus: 200,
        code,
        message,
        requestId: "req-1",
      });
    },
  );

  it("retries 5xx and 429, honouring Retry-After", () => {
    expect(
      classifyResponse({ type: "response", status: 500, body: "oops" }),
    ).toMatchObject({
      kind: "retryable",
      reason: "server_error",
      httpStatus: 500,
      code: null,
      message: "HTTP 500: oops",
    });
    const limited = classifyResponse({
      type: "response",
      status: 429,
      body: JSON.stringify({ code: 40100, message: "Too many requests" }),
      retryAfter: "30",
    });
    expect(limited).toMatchObject({
      kind: "retryable",
      reason: "rate_limited",
      code: 40100,
      retryAfterMs: 30_000,
    });
    expect(
      classifyResponse({
        type: "response",
        status: 503,
        body: "",
        retryAfter: "Wed, 21 Oct 2015 07:28:30 GMT",
        now: new Date("2015-10-21T07:28:00Z"),
      }).retryAfterMs,
    ).toBe(30_000);
  });

  it("treats other 4xx as permanent and 401 as a token problem", () => {
    expect(
      classifyResponse({ type: "response", status: 404, body: "not found" }),
    ).toMatchObject({ kind: "permanent", reason: "rejected" });
    expect(
      classifyResponse({ type: "response", status: 401, body: "" }),
    ).toMatchObject({ kind: "permanent", reason: "auth" });
    expect(
      classifyResponse(
        ok({ code: 40105, message: "bad token", request_id: "x" }, 401),
      ),
    ).toMatchObject({ kind: "permanent", reason: "auth", code: 40105 });
  });

  it("retries a 2xx answer that is not TikTok JSON (resending is deduplicated)", () => {
    const outcome = classifyResponse({
      type: "response",
      status: 200,
      body: "<html>gateway</html>",
    });
    expect(outcome).toMatchObject({
      kind: "retryable",
      reason: "invalid_response",
      httpStatus: 200,
      code: null,
    });
    expect(outcome.message).toContain("not TikTok JSON");
    expect(
      classifyResponse({
        type: "response",
        status: 200,
        body: '{"message":"no code"}',
      }).reason,
    ).toBe("invalid_response");
  });

  it("falls back to the x-tt-logid header for the request id", () => {
    expect(
      classifyResponse({
        type: "response",
        status: 502,
        body: "",
        headerRequestId: "log-1",
      }).requestId,
    ).toBe("log-1");
  });

  it("retries timeouts and network errors", () => {
    expect(classifyResponse({ type: "timeout", timeoutMs: 500 })).toMatchObject(
      { kind: "retryable", reason: "timeout", httpStatus: null },
    );
    expect(
      classifyResponse({
        type: "network",
        errorCode: "ECONNREFUSED",
        message: "connect ECONNREFUSED",
      }),
    ).toMatchObject({
      kind: "retryable",
      reason: "network",
      message: "ECONNREFUSED: connect ECONNREFUSED",
    });
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and dates, ignores junk", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(
      parseRetryAfter(
        "Wed, 21 Oct 2015 07:28:00 GMT",
        new Date("2015-10-21T08:00:00Z"),
      ),
    ).toBe(0);
  });
});

describe("describeOutcome", () => {
  it("speaks plainly", () => {
    expect(
      describeOutcome(classifyResponse(ok({ code: 40105, message: "x" }))),
    ).toMatch(/^The access token was rejected by TikTok/);
    expect(
      describeOutcome(classifyResponse(ok({ code: 40100, message: "x" }))),
    ).toBe("TikTok is rate limiting, try again in a minute.");
    expect(
      describeOutcome(
        classifyResponse(
          ok({ code: 40002, message: "Invalid value for event_id" }),
        ),
      ),
    ).toBe(
      "TikTok rejected the event data as invalid: Invalid value for event_id",
    );
    expect(
      describeOutcome(classifyResponse({ type: "timeout", timeoutMs: 1 })),
    ).toMatch(/did not answer in time/);
  });
});
