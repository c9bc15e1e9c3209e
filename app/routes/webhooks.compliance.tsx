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

// The three mandatory compliance topics share one endpoint (compliance_topics in shopify.app.toml).
export const action = async ({ request }: ActionFunctionArgs) => {
  // The raw text keeps 18-digit ids exact; authenticate.webhook's payload is a plain JSON.parse.
  const rawBody = await request.clone().text();
  const { shop, topic } = await verifyWebhook(request);
  try {
    return await handle(shop, topic, rawBody);
  } catch (error) {
    if (error instanceof CompliancePayloadError)
      return new Response(error.message, { status: 400 });
    throw error;
  }
};

async function handle(
  shop: string,
  topic: string,
  rawBody: string,
): Promise<Response> {
  switch (topic) {
    case "SHOP_REDACT":
      await purgeShop(shop);
      console.info(`[compliance] ${topic}: deleted all data of ${shop}`);
      break;
    case "CUSTOMERS_REDACT": {
      const removed = await redactCustomer(shop, parseCustomerRequest(rawBody));
      console.info(
        `[compliance] ${topic} for ${shop}: removed ${removed} deliveries`,
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
      console.info(
        `[compliance] ${topic} for ${shop}: ${report.deliveries.length} deliveries, ` +
          `${report.attributionSessions} storefront sessions held`,
      );
      return json(report, { status: 200 });
    }
    default:
      return new Response("Unhandled compliance topic", { status: 404 });
  }
  return new Response(null, { status: 200 });
}

export const loader = postOnlyLoader;
