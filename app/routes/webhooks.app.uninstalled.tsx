import type { ActionFunctionArgs } from "@remix-run/node";
import { postOnlyLoader } from "~/http.server";
import { verifyWebhook } from "~/shopify.server";
import { clip, requestLogger } from "~/observability/logger.server";
import { handleUninstall } from "~/compliance/compliance.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const log = requestLogger(request, { route: "webhooks.app.uninstalled" });
  const { shop, topic, webhookId } = await verifyWebhook(request);
  // Runs even when the session is already gone: the webhook can arrive more than once.
  await handleUninstall(shop);
  log.info(
    {
      shop,
      topic: clip(topic),
      webhookId: clip(webhookId),
      outcome: "uninstalled",
      status: 200,
    },
    "app uninstalled: sessions removed, pending deliveries skipped",
  );
  return new Response(null, { status: 200 });
};

export const loader = postOnlyLoader;
