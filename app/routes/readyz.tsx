import { json } from "@remix-run/node";
import prisma from "~/db.server";
import { checkReadiness } from "~/observability/readiness.server";

// Readiness: the database answers and its migrations are current; 503 with the reason otherwise.
export const loader = async () => {
  const readiness = await checkReadiness(prisma);
  const { ready, ...reason } = readiness;
  return json(
    ready ? { status: "ready" } : { status: "not_ready", ...reason },
    {
      status: ready ? 200 : 503,
      headers: { "Cache-Control": "no-store" },
    },
  );
};
