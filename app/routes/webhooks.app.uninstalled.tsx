import type { ActionFunctionArgs } from "@remix-run/node";
import { postOnlyLoader } from "~/http.server";
import { verifyWebhook } from "~/shopify.server";
import { handleUninstall } from "~/compliance/compliance.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const { shop, topic } = await verifyWebhook(request);
  console.info(`[webhook] ${topic} for ${shop}`);
  // Runs even when the session is already gone: the webhook can arrive more than once.
  await handleUninstall(shop);
  return new Response(null, { status: 200 });
};

export const loader = postOnlyLoader;
