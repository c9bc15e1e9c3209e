import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import {
  useFetcher,
  useLoaderData,
  useNavigate,
  useRevalidator,
} from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Button,
  Card,
  DataTable,
  EmptyState,
  InlineStack,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { authenticate } from "~/shopify.server";
import {
  loadReconciliationPage,
  resendFailed,
  sendOrderNow,
  startRun,
} from "~/reconciliation/page.server";
import { rowAction, type ListFilter } from "~/reconciliation/report";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  return loadReconciliationPage(
    session.shop,
    new URL(request.url).searchParams,
  );
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = await request.formData();
  const intent = form.get("intent");
  const id = String(form.get("id") ?? "").slice(0, 200);
  const result =
    intent === "run"
      ? await startRun(session.shop, "manual")
      : intent === "send" && id
        ? await sendOrderNow(session.shop, id)
        : intent === "resend" && id
          ? await resendFailed(session.shop, id)
          : { ok: false, status: 400, message: "Unknown action." };
  return json(
    { ok: result.ok, message: result.message },
    { status: result.status },
  );
};

const EMPTY_IMAGE =
  "https://cdn.shopify.com/s/files/1/0262/4071/2726/files/emptystate-files.png";

const STATUS_OPTIONS: { label: string; value: ListFilter }[] = [
  { label: "Everything not sent", value: "all" },
  { label: "Missing (no webhook)", value: "missing" },
  { label: "Failed", value: "failed" },
  { label: "Pending", value: "pending" },
  { label: "Skipped (filter or consent)", value: "skipped" },
  { label: "Too old to send", value: "too_old" },
];

const STATUS_LABEL: Record<string, string> = {
  missing: "Missing",
  failed: "Failed",
  pending: "Pending",
  skipped: "Skipped",
  too_old: "Too old",
};

const percent = (value: number | null) =>
  value === null ? "—" : `${Math.floor(value * 1000) / 10}%`;
const when = (iso: string) => `${iso.slice(0, 16).replace("T", " ")} UTC`;

function RowAction({
  row,
}: {
  row: {
    status: string;
    backfill: string | null;
    orderId: string;
    deliveryId: string | null;
  };
}) {
  const fetcher = useFetcher<{ ok: boolean; message: string }>();
  const action = rowAction(row);
  if (fetcher.data) return <Text as="span">{fetcher.data.message}</Text>;
  if (!action) return null;
  const id = action === "resend" ? row.deliveryId : row.orderId;
  if (!id) return null;
  return (
    <fetcher.Form method="post">
      <input type="hidden" name="intent" value={action} />
      <input type="hidden" name="id" value={id} />
      <Button submit size="slim" loading={fetcher.state !== "idle"}>
        {action === "resend" ? "Resend" : "Send now"}
      </Button>
    </fetcher.Form>
  );
}

export default function Reconciliation() {
  const data = useLoaderData<typeof loader>();
  const navigate = useNavigate();
  const run = useFetcher<{ ok: boolean; message: string }>();
  const revalidator = useRevalidator();
  const [q, setQ] = useState(data.q);
  useEffect(() => setQ(data.q), [data.q]);
  const inProgress = data.latest?.status === "running";
  // Follow a run in progress.
  useEffect(() => {
    if (!inProgress) return;
    const timer = setInterval(() => revalidator.revalidate(), 3000);
    return () => clearInterval(timer);
  }, [inProgress, revalidator]);

  const search = (patch: { status?: string; q?: string }) => {
    const params = new URLSearchParams();
    const status = patch.status ?? data.filter;
    const text = patch.q ?? data.q;
    if (status !== "all") params.set("status", status);
    if (text) params.set("q", text);
    return params.toString();
  };
  const exportCsv = async () => {
    // App Bridge adds the session token to fetch; a plain link would not carry it.
    const res = await fetch(`/app/reconciliation/csv?${search({})}`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = "orders-not-sent.csv";
    a.click();
    URL.revokeObjectURL(url);
  };

  const runButton = (
    <run.Form method="post">
      <input type="hidden" name="intent" value="run" />
      <Button submit loading={run.state !== "idle" || inProgress}>
        Run now
      </Button>
    </run.Form>
  );

  return (
    <Page
      title="Reconciliation"
      subtitle="Your Shopify orders compared with the purchases TikTok received from this app."
    >
      <BlockStack gap="400">
        {run.data && (
          <Banner tone={run.data.ok ? "info" : "warning"}>
            {run.data.message}
          </Banner>
        )}
        {data.latest?.status === "stopped" && (
          <Banner tone="critical" title="Reconciliation stopped">
            {`${data.latest.reason ?? "Access to the shop's orders was lost."} Scheduled runs try again once a day; Run now tries at once.`}
          </Banner>
        )}
        {data.latest?.status === "interrupted" && (
          <Banner tone="warning" title="Last run interrupted">
            {data.latest.reason}
          </Banner>
        )}
        {inProgress && (
          <Banner tone="info">{`A run is in progress: ${data.latest?.ordersSeen ?? 0} orders read so far.`}</Banner>
        )}
        {data.settings.windowNeedsAllOrders && (
          <Banner tone="warning">
            {`The window is ${data.settings.windowDays} days: Shopify returns orders older than 60 days only to apps granted the read_all_orders scope.`}
          </Banner>
        )}
        {!data.completed ? (
          <Card>
            <EmptyState
              heading="No reconciliation yet"
              image={EMPTY_IMAGE}
              action={{
                content: "Run now",
                onAction: () =>
                  run.submit({ intent: "run" }, { method: "post" }),
              }}
            >
              <p>
                {`The app checks your last ${data.settings.windowDays} days of orders against what reached TikTok${data.settings.intervalMinutes > 0 ? ` every ${data.settings.intervalMinutes} minutes` : ""}${data.settings.backfill ? ", and sends the orders it never heard of" : ""}.`}
              </p>
            </EmptyState>
          </Card>
        ) : (
          <>
            <Card>
              <BlockStack gap="300">
                <InlineStack align="space-between" blockAlign="center">
                  <Text as="h2" variant="headingMd">
                    {`Last run: ${when(data.completed.finishedAt ?? data.completed.startedAt)}`}
                  </Text>
                  <InlineStack gap="200">
                    <Button onClick={exportCsv}>Export CSV</Button>
                    {runButton}
                  </InlineStack>
                </InlineStack>
                <Text as="p">
                  {`Coverage ${percent(data.totals?.coverage ?? null)}: ${data.totals?.sent ?? 0} of ${data.totals?.eligible ?? 0} eligible orders sent. ${data.totals?.missing ?? 0} missing, ${data.completed.backfilled} sent by reconciliation. Revenue in Shopify ${data.totals?.revenueShopify}, sent to TikTok ${data.totals?.revenueSent}.`}
                </Text>
                <Text as="p" tone="subdued">
                  {`Orders created ${when(data.completed.windowStart)} – ${when(data.completed.windowEnd)}; ${data.completed.ordersSeen} read, ${data.completed.costUsed} API cost points.`}
                </Text>
              </BlockStack>
            </Card>
            <Card padding="0">
              <DataTable
                columnContentTypes={[
                  "text",
                  "numeric",
                  "numeric",
                  "numeric",
                  "numeric",
                  "numeric",
                  "numeric",
                  "numeric",
                  "numeric",
                  "numeric",
                ]}
                headings={[
                  "Day (UTC)",
                  "Shopify orders",
                  "Eligible",
                  "Sent",
                  "Failed",
                  "Skipped",
                  "Missing",
                  "Coverage",
                  "Revenue in Shopify",
                  "Revenue sent",
                ]}
                rows={data.days.map((d) => [
                  d.day,
                  d.orders,
                  d.eligible,
                  d.sent,
                  d.failed,
                  d.skipped,
                  d.missing,
                  percent(d.coverage),
                  d.revenueShopify,
                  d.revenueSent,
                ])}
              />
            </Card>
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Orders that did not go out
                </Text>
                <InlineStack gap="300" blockAlign="end">
                  <Select
                    label="Status"
                    options={STATUS_OPTIONS}
                    value={data.filter}
                    onChange={(value) =>
                      navigate({ search: search({ status: value }) })
                    }
                  />
                  <form
                    onSubmit={(event) => {
                      event.preventDefault();
                      navigate({ search: search({ q: q.trim() }) });
                    }}
                  >
                    <TextField
                      label="Order"
                      value={q}
                      onChange={setQ}
                      placeholder="#1001"
                      autoComplete="off"
                    />
                  </form>
                </InlineStack>
                {data.rows.length === 0 ? (
                  <Text as="p" tone="subdued">
                    Every order of the last run matching this filter reached
                    TikTok.
                  </Text>
                ) : (
                  <DataTable
                    columnContentTypes={[
                      "text",
                      "text",
                      "text",
                      "text",
                      "numeric",
                      "text",
                    ]}
                    headings={[
                      "Order",
                      "Created",
                      "Status",
                      "Reason",
                      "Value",
                      "",
                    ]}
                    rows={data.rows.map((row) => [
                      row.orderName ?? row.orderId,
                      when(row.orderCreatedAt),
                      STATUS_LABEL[row.status] ?? row.status,
                      row.reason ?? "",
                      `${row.value ?? ""} ${row.currency ?? ""}`.trim(),
                      <RowAction key={row.orderId} row={row} />,
                    ])}
                    footerContent={
                      data.matching > data.rows.length
                        ? `Showing ${data.rows.length} of ${data.matching}; the CSV export has them all.`
                        : undefined
                    }
                  />
                )}
              </BlockStack>
            </Card>
          </>
        )}
      </BlockStack>
    </Page>
  );
}
