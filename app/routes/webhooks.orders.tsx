import { json } from "@remix-run/node";
import type { ActionFunctionArgs } from "@remix-run/node";
import { postOnlyLoader } from "~/http.server";
import { verifySignedWebhook } from "~/shopify.server";
import { ingestOrderWebhook } from "~/orders/order-webhook.server";
import { OrderPayloadError } from "~/orders/order";
import { recordWebhook } from "~/observability/metrics.server";
import {
  clip,
  errorSummary,
  requestLogger,
} from "~/observability/logger.server";

// orders/create and orders/paid. Verify, queue durably, answer: TikTok is called later by the worker.
// One log line per request: ids and the outcome, never the order's contents.
export const action = async ({ request }: ActionFunctionArgs) => {
  const log = requestLogger(request, { route: "webhooks.orders" });
  // No Admin API call here, so the library's signature check without the offline session
  // (verifySignedWebhook); the raw text it returns keeps 18-digit ids exact.
  const { shop, topic, webhookId, eventId, rawBody } =
    await verifySignedWebhook(request).catch((error: unknown) => {
      if (error instanceof Response) {
        recordWebhook(null, "rejected");
        log.info(
          { outcome: "rejected", status: error.status },
          "order webhook refused (signature or shop)",
        );
      }
      throw error;
    });
  const ids = {
    shop,
    topic: clip(topic),
    webhookId: clip(webhookId),
    shopifyEventId: clip(eventId),
  };
  try {
    const result = await ingestOrderWebhook({
      shop,
      topic,
      webhookId,
      eventId,
      rawBody,
    });
    recordWebhook(topic, result.status);
    log.info(
      {
        ...ids,
        outcome: result.status,
        status: 200,
        ...("pixels" in result
          ? {
              eventId: result.eventId,
              ...(result.pixels.length === 1
                ? { deliveryId: result.pixels[0].deliveryId }
                : { deliveryIds: result.pixels.map((p) => p.deliveryId) }),
            }
          : {}),
        ...(result.reason ? { reason: result.reason } : {}),
      },
      "order webhook",
    );
    return json(result, { status: 200 });
  } catch (error) {
    if (error instanceof OrderPayloadError) {
      recordWebhook(topic, "rejected");
      log.info(
        { ...ids, outcome: "rejected", status: 400, reason: error.message },
        "order webhook",
      );
      return json(
        { status: "rejected", reason: error.message },
        { status: 400 },
      );
    }
    log.error(
      { ...ids, outcome: "error", error: errorSummary(error) },
      "order webhook failed",
    );
    throw error;
  }
};

export const loader = postOnlyLoader;
