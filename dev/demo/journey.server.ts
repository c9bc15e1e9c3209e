// Sends the demo journey to the running app exactly as Shopify would: app proxy requests with
// Shopify's signed query and the shopper's forwarded address, and HMAC-signed order webhooks.
import {
  signAppProxyUrl,
  webhookHeaders,
  type AppCredentials,
} from "../shopify-signing";
import type { JourneyStep } from "./journey";

export interface WebhookAnswer {
  status?: string;
  reason?: string;
  deliveryId?: string;
}

export interface StepOutcome {
  step: JourneyStep;
  httpStatus: number;
  /** The webhook route's JSON answer (queued / skipped / duplicate / ignored). */
  answer: WebhookAnswer | null;
  text: string;
}

export async function playStep(
  appUrl: string,
  shop: string,
  creds: AppCredentials,
  step: JourneyStep,
): Promise<StepOutcome> {
  let response: Response;
  if (step.kind === "proxy") {
    // https://{shop}/apps/tiktok-events/collect reaches the app as /proxy/collect.
    const url = signAppProxyUrl(new URL("/proxy/collect", appUrl), {
      shop,
      apiSecret: creds.apiSecret,
    });
    response = await fetch(url, {
      method: "POST",
      headers: {
        // navigator.sendBeacon(url, string) sends text/plain.
        "Content-Type": "text/plain;charset=UTF-8",
        "User-Agent": step.userAgent,
        "X-Forwarded-For": step.ip,
        "X-Forwarded-Host": shop,
        Accept: "*/*",
      },
      body: JSON.stringify(step.body),
    });
  } else if (step.kind === "relay") {
    // The web pixel posts to https://{shop}/apps/tiktok-events/checkout: /proxy/checkout.
    const url = signAppProxyUrl(new URL("/proxy/checkout", appUrl), {
      shop,
      apiSecret: creds.apiSecret,
    });
    response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "text/plain;charset=UTF-8",
        "User-Agent": step.userAgent,
        "X-Forwarded-For": step.ip,
        "X-Forwarded-Host": shop,
      },
      body: JSON.stringify(step.body),
    });
  } else {
    const headers = webhookHeaders({
      topic: step.topic,
      shop,
      body: step.body,
      apiSecret: creds.apiSecret,
      webhookId: step.webhookId,
      eventId: step.eventId,
    });
    response = await fetch(new URL("/webhooks/orders", appUrl), {
      method: "POST",
      headers: { ...headers, "User-Agent": "Shopify-Captain-Hook" },
      body: step.body,
    });
  }
  const text = await response.text();
  let answer: WebhookAnswer | null = null;
  if (step.kind === "webhook") {
    try {
      answer = JSON.parse(text) as WebhookAnswer;
    } catch {
      answer = null;
    }
  }
  return { step, httpStatus: response.status, answer, text };
}

/** True when the endpoint took the request the way Shopify expects (2xx). */
export function stepSucceeded(outcome: StepOutcome): boolean {
  return outcome.httpStatus >= 200 && outcome.httpStatus < 300;
}
