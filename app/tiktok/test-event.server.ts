/**
 * "Send test event" for the settings page: one realistic event, sent alone with the shop's
 * test event code so it shows up in TikTok Events Manager → Test Events and is not used for
 * reporting. Returns TikTok's answer and a plain-words summary for the merchant.
 */
import { serverEnv } from "~/config.server";
import { outcomeOf } from "./attempts";
import { createTikTokClient, type TikTokClient } from "./client.server";
import { hashUserIdentifiers } from "./hashing";
import { describeOutcome, type DeliveryOutcome } from "./outcome";
import { buildEvent } from "./event-builder";
import { validateEvent } from "./event-validation";
import { buildTrackBody } from "./track-body";
import type { TikTokEvent } from "./wire-types";

export interface SendTestEventInput {
  pixelCode: string | null | undefined;
  accessToken: string | null | undefined;
  testEventCode: string | null | undefined;
  /** Shared client; when absent a short-lived one is created and closed. */
  client?: TikTokClient;
  /** The name the shop sends for orders (default Purchase), so the test matches the real setup. */
  eventName?: string;
  /** Shop currency (must be one TikTok supports). Default USD. */
  currency?: string;
  /** e.g. "example.myshopify.com", used for the page URL. */
  shopDomain?: string;
  now?: Date;
}

export interface SendTestEventResult {
  ok: boolean;
  outcome: DeliveryOutcome;
  summary: string;
  /** The event that was (or would have been) sent, for display. */
  event?: TikTokEvent;
}

/** The example purchase; identifiers are obviously fake and hashed like real ones. */
export function buildTestEvent(options: {
  eventName?: string;
  currency?: string;
  shopDomain?: string;
  now?: Date;
}): TikTokEvent {
  const now = options.now ?? new Date();
  const domain = options.shopDomain?.trim() || "example.myshopify.com";
  return buildEvent({
    eventName: options.eventName?.trim() || "Purchase",
    // Unique per click: test events should not be deduplicated against each other.
    eventId: `test_${now.getTime()}_${Math.random().toString(36).slice(2, 8)}`,
    eventTime: now,
    user: {
      ...hashUserIdentifiers({
        emails: ["test.customer@example.com"],
        phones: ["+1 415 555 2671"],
        externalIds: ["test-customer-1"],
      }),
      ip: "203.0.113.7",
      userAgent: "Mozilla/5.0 (test event from the app settings page)",
      locale: "en-US",
    },
    properties: {
      currency: options.currency ?? "USD",
      value: 42.5,
      contentType: "product",
      contents: [
        {
          contentId: "TEST-SKU-1",
          contentName: "Test product",
          price: 20,
          quantity: 2,
          brand: "Test brand",
        },
        {
          contentId: "TEST-SKU-2",
          contentName: "Test gift card",
          price: 2.5,
          quantity: 1,
        },
      ],
      orderId: `test-order-${now.getTime()}`,
      numItems: 3,
    },
    page: { url: `https://${domain}/checkouts/test/thank-you` },
  });
}

function notSent(message: string): SendTestEventResult {
  const outcome: DeliveryOutcome = {
    kind: "permanent",
    reason: "not_configured",
    httpStatus: null,
    code: null,
    message,
    requestId: null,
  };
  return { ok: false, outcome, summary: message };
}

/** TikTok's own words, for the merchant and for support. */
function details(outcome: DeliveryOutcome): string {
  const parts: string[] = [];
  if (outcome.code !== null) parts.push(`code ${outcome.code}`);
  else if (outcome.httpStatus !== null)
    parts.push(`HTTP ${outcome.httpStatus}`);
  if (outcome.message) parts.push(`message "${outcome.message}"`);
  if (outcome.requestId) parts.push(`request_id ${outcome.requestId}`);
  return parts.join(", ");
}

export function summarizeTestOutcome(outcome: DeliveryOutcome): string {
  const info = details(outcome);
  if (outcome.kind === "accepted") {
    return `TikTok accepted the test event (${info}). It should appear in TikTok Events Manager under Test Events within a few minutes.`;
  }
  return info
    ? `${describeOutcome(outcome)} TikTok's answer: ${info}.`
    : describeOutcome(outcome);
}

export async function sendTestEvent(
  input: SendTestEventInput,
): Promise<SendTestEventResult> {
  const pixelCode = input.pixelCode?.trim();
  const accessToken = input.accessToken?.trim();
  const testEventCode = input.testEventCode?.trim();
  if (!pixelCode)
    return notSent("Enter your TikTok pixel code before sending a test event.");
  if (!accessToken)
    return notSent(
      "Enter your TikTok Events API access token before sending a test event.",
    );
  if (!testEventCode) {
    return notSent(
      "Enter a test event code first. In TikTok Events Manager, open your pixel, go to Test Events and copy the code shown there (it looks like TEST12345). Nothing was sent.",
    );
  }

  const event = buildTestEvent(input);
  const errors = validateEvent(event, { now: input.now });
  if (errors.length > 0) {
    const outcome: DeliveryOutcome = {
      kind: "permanent",
      reason: "invalid_event",
      httpStatus: null,
      code: null,
      message: errors.join("; "),
      requestId: null,
    };
    return { ok: false, outcome, summary: describeOutcome(outcome), event };
  }

  const env = input.client ? null : serverEnv();
  const client =
    input.client ??
    createTikTokClient({
      baseUrl: env?.TIKTOK_API_BASE_URL,
      timeoutMs: env?.TIKTOK_TIMEOUT_MS,
    });
  try {
    const body = buildTrackBody({ pixelCode, testEventCode, events: [event] });
    const outcome = outcomeOf(await client.track({ accessToken, body }));
    return {
      ok: outcome.kind === "accepted",
      outcome,
      summary: summarizeTestOutcome(outcome),
      event,
    };
  } finally {
    if (!input.client) client.close();
  }
}
