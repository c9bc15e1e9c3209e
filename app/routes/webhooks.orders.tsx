import { json } from "@remix-run/node";
import type { ActionFunctionArgs } from "@remix-run/node";
import { postOnlyLoader } from "~/http.server";
import { verifyWebhook } from "~/shopify.server";
import { ingestOrderWebhook } from "~/orders/order-webhook.server";
import { OrderPayloadError } from "~/orders/order";
import { recordWebhook } from "~/observability/metrics.server";

// orders/create and orders/paid. Verify, queue durably, answer: TikTok is called later by the worker.
export const action = async ({ request }: ActionFunctionArgs) => {
  // The raw text keeps 18-digit ids exact; authenticate.webhook's payload is a plain JSON.parse.
  const rawBody = await request.clone().text();
  const { shop, topic, webhookId, eventId } = await verifyWebhook(
    request,
  ).catch((error: unknown) => {
    if (error instanceof Response) recordWebhook(null, "rejected");
    throw error;
  });
  try {
    const result = await ingestOrderWebhook({
      shop,
      topic,
      webhookId,
      eventId,
      rawBody,
    });
    recordWebhook(topic, result.status);
    return json(result, { status: 200 });
  } catch (error) {
    if (error instanceof OrderPayloadError) {
      recordWebhook(topic, "rejected");
      return json(
        { status: "rejected", reason: error.message },
        { status: 400 },
      );
    }
    throw error;
  }
};

export const loader = postOnlyLoader;
