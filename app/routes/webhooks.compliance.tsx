import { json } from "@remix-run/node";
import type { ActionFunctionArgs } from "@remix-run/node";
import { postOnlyLoader } from "~/http.server";
import { verifyWebhook } from "~/shopify.server";
import {
  CompliancePayloadError,
  customerDataReport,
  parseCustomerRequest,
  purgeShop,
  redactCustomer,
} from "~/compliance/compliance.server";
import {
  clip,
  requestLogger,
  type Logger,
} from "~/observability/logger.server";

// The three mandatory compliance topics share one endpoint (compliance_topics in shopify.app.toml).
export const action = async ({ request }: ActionFunctionArgs) => {
  // The raw text keeps 18-digit ids exact; authenticate.webhook's payload is a plain JSON.parse.
  const log = requestLogger(request, { route: "webhooks.compliance" });
  const rawBody = await request.clone().text();
  const { shop, topic, webhookId } = await verifyWebhook(request);
  const topicLog = log.child({
    shop,
    topic: clip(topic),
    webhookId: clip(webhookId),
  });
  try {
    return await handle(topicLog, shop, topic, rawBody);
  } catch (error) {
    if (error instanceof CompliancePayloadError) {
      topicLog.warn(
        { outcome: "rejected", status: 400, reason: error.message },
        "compliance webhook",
      );
      return new Response(error.message, { status: 400 });
    }
    throw error;
  }
};

async function handle(
  log: Logger,
  shop: string,
  topic: string,
  rawBody: string,
): Promise<Response> {
  switch (topic) {
    case "SHOP_REDACT":
      await purgeShop(shop);
      log.info(
        { outcome: "redacted", status: 200 },
        "compliance webhook: deleted all data of the shop",
      );
      break;
    case "CUSTOMERS_REDACT": {
      const removed = await redactCustomer(shop, parseCustomerRequest(rawBody));
      log.info(
        { outcome: "redacted", status: 200, deliveries: removed },
        "compliance webhook: customer's deliveries removed",
      );
      break;
    }
    case "CUSTOMERS_DATA_REQUEST": {
      const report = await customerDataReport(
        shop,
        parseCustomerRequest(rawBody),
      );
      // Shopify expects the merchant to be given the data; we hold only hashes and
      // order facts, summarised here for the operator to forward.
      log.info(
        {
          outcome: "reported",
          status: 200,
          deliveries: report.deliveries.length,
          attributionSessions: report.attributionSessions,
        },
        "compliance webhook: customer data report",
      );
      return json(report, { status: 200 });
    }
    default:
      log.warn({ outcome: "unhandled", status: 404 }, "compliance webhook");
      return new Response("Unhandled compliance topic", { status: 404 });
  }
  return new Response(null, { status: 200 });
}

export const loader = postOnlyLoader;
