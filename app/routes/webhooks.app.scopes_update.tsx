import type { ActionFunctionArgs } from "@remix-run/node";
import { postOnlyLoader } from "~/http.server";
import { verifyWebhook } from "~/shopify.server";
import prisma from "~/db.server";

export const action = async ({ request }: ActionFunctionArgs) => {
  const { payload, session, topic, shop } = await verifyWebhook(request);
  console.info(`[webhook] ${topic} for ${shop}`);
  const current = (payload as { current?: unknown }).current;
  if (session && Array.isArray(current)) {
    await prisma.session.updateMany({
      where: { id: session.id, shop },
      data: { scope: current.map(String).join(",") },
    });
  }
  return new Response(null, { status: 200 });
};

export const loader = postOnlyLoader;
