import type { LoaderFunctionArgs } from "@remix-run/node";
import prisma from "~/db.server";
import { metricsAccess } from "~/observability/metrics-auth.server";
import { metricsRegistry } from "~/observability/metrics.server";

// Prometheus scrape endpoint: off (404) without METRICS_TOKEN, 401 without the right bearer token.
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const access = metricsAccess(request.headers.get("authorization"));
  if (access === "off") return new Response("Not Found", { status: 404 });
  if (access === "denied")
    return new Response("Unauthorized", {
      status: 401,
      headers: { "WWW-Authenticate": 'Bearer realm="metrics"' },
    });
  const registry = metricsRegistry(prisma);
  return new Response(await registry.metrics(), {
    headers: {
      "Content-Type": registry.contentType,
      "Cache-Control": "no-store",
    },
  });
};
