import type { LoaderFunctionArgs } from "@remix-run/node";
import { authenticate } from "~/shopify.server";
import { notSentRows } from "~/reconciliation/page.server";
import { toCsv } from "~/reconciliation/report";

/** The Reconciliation page's list of orders not sent, as CSV (same filters as the page). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const rows = await notSentRows(
    session.shop,
    new URL(request.url).searchParams,
  );
  return new Response(toCsv(rows), {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": 'attachment; filename="orders-not-sent.csv"',
      "Cache-Control": "no-store",
    },
  });
};
