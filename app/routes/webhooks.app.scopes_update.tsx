import type { ActionFunctionArgs } from "@remix-run/node";
import { postOnlyLoader } from "~/http.server";
import { verifyWebhook } from "~/shopify.server";
import { clip, requestLogger } from "~/observability/logger.server";
import prisma from "~/db.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const log = requestLogger(request, { route: "webhooks.app.scopes_update" });
  const { payload, session, topic, shop, webhookId } =
    await verifyWebhook(request);
  const current = (payload as { current?: unknown }).current;
  const update = Boolean(session && Array.isArray(current));
  if (session && Array.isArray(current)) {
    await prisma.session.updateMany({
      where: { id: session.id, shop },
      data: { scope: current.map(String).join(",") },
    });
  }
  log.info(
    {
      shop,
      topic: clip(topic),
      webhookId: clip(webhookId),
      outcome: update ? "updated" : "ignored",
      status: 200,
    },
    "scopes update",
  );
  return new Response(null, { status: 200 });
};

export const loader = postOnlyLoader;
