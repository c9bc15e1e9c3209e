import { useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useFetcher, useLoaderData } from "@remix-run/react";
import {
  Link as PolarisLink,
  Banner,
  BlockStack,
  Button,
  Select,
  Box,
  Card,
  Icon,
  InlineGrid,
  InlineStack,
  Layout,
  Page,
  ProgressBar,
  Text,
} from "@shopify/polaris";
import { CheckCircleIcon, MinusCircleIcon } from "@shopify/polaris-icons";
import { authenticate } from "~/shopify.server";
import { loadHome, startInstallBackfill } from "~/home/home.server";
import { connectWebPixel } from "~/checkout/web-pixel.server";
import {
  DEFAULT_FILTERS,
  filtersToSearch,
  type StatusFilter,
} from "~/delivery-log/filters";
import { MATCH_KEY_HELP } from "~/delivery-log/present";
import { KeyCoverageCard } from "~/home/key-coverage-card";
import { PixelFiguresTable, PixelKeysTable } from "~/home/pixel-tables";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session, admin } = await authenticate.admin(request);
  return loadHome(session.shop, new Date(), admin);
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session, admin } = await authenticate.admin(request);
  const form = await request.formData();
  const intent = form.get("intent");
  // The checklist's one-click repair: create or update the checkout web pixel now.
  if (intent === "connect-pixel")
    return json(await connectWebPixel(admin, session.shop));
  if (intent === "install-backfill") {
    const result = await startInstallBackfill(session.shop, form.get("days"));
    return json(
      { ok: result.ok, message: result.message },
      { status: result.status },
    );
  }
  return json({ ok: false, message: "Unknown action." }, { status: 400 });
};

/**
 * The delivery log, showing this summary's orders (and optionally one status): the same whole
 * UTC days, from `since` on, which the log's custom range reads as UTC days too.
 */
function logLink(
  since: string,
  status: StatusFilter = "all",
  pixel = "",
): string {
  return `/app/deliveries${filtersToSearch({ ...DEFAULT_FILTERS, range: "custom", from: since.slice(0, 10), status, pixel })}`;
}

export default function Home() {
  const {
    checklist,
    last7Days,
    last7DaysByPixel,
    reconciliation,
    installBackfill,
    keyCoverage,
  } = useLoaderData<typeof loader>();
  const perPixel = last7DaysByPixel.length > 1;
  const repair = useFetcher<typeof action>();
  const stats: { label: string; value: number; status: StatusFilter }[] = [
    {
      // With several pixels an order has a Purchase at each (see the table by pixel).
      label: perPixel ? "Purchases (all pixels)" : "Orders seen",
      value: last7Days.ordersSeen,
      status: "all",
    },
    { label: "Sent", value: last7Days.sent, status: "delivered" },
    { label: "Failed", value: last7Days.failed, status: "failed" },
    { label: "Pending", value: last7Days.pending, status: "pending" },
    { label: "Skipped", value: last7Days.skipped, status: "skipped" },
  ];
  return (
    <Page title="TikTok server-side tracking">
      <Layout>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Setup
              </Text>
              {checklist.map((step) => (
                <InlineStack
                  key={step.label}
                  gap="200"
                  blockAlign="center"
                  wrap={false}
                >
                  <span aria-label={step.done ? "Done" : "To do"}>
                    <Icon
                      source={step.done ? CheckCircleIcon : MinusCircleIcon}
                      tone={step.done ? "success" : "subdued"}
                    />
                  </span>
                  <Text as="span">
                    {step.to ? (
                      <Link to={step.to}>{step.label}</Link>
                    ) : step.href ? (
                      <PolarisLink url={step.href} target="_top">
                        {step.label}
                      </PolarisLink>
                    ) : (
                      step.label
                    )}
                  </Text>
                  {step.href && !step.done ? (
                    <Button url={step.href} target="_top" size="slim">
                      Open theme editor
                    </Button>
                  ) : null}
                  {step.repair ? (
                    <repair.Form method="post">
                      <input
                        type="hidden"
                        name="intent"
                        value="connect-pixel"
                      />
                      <Button
                        submit
                        size="slim"
                        loading={repair.state !== "idle"}
                      >
                        Connect
                      </Button>
                    </repair.Form>
                  ) : null}
                </InlineStack>
              ))}
              {installBackfill.available && (
                <InstallBackfill {...installBackfill} />
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <KeyCoverageCard coverage={keyCoverage} />
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="400">
              <InlineStack align="space-between" blockAlign="center">
                <Text as="h2" variant="headingMd">
                  Last 7 days
                </Text>
                <Link to="/app/deliveries">View delivery log</Link>
              </InlineStack>
              <InlineGrid columns={{ xs: 2, sm: 3, md: 5 }} gap="400">
                {stats.map((stat) => (
                  <BlockStack key={stat.label} gap="100">
                    <Text as="span" tone="subdued">
                      {stat.label}
                    </Text>
                    <Text
                      as="p"
                      variant="headingLg"
                      tone={
                        stat.status === "failed" && stat.value > 0
                          ? "critical"
                          : undefined
                      }
                    >
                      <Link to={logLink(last7Days.since, stat.status)}>
                        {stat.value}
                      </Link>
                    </Text>
                  </BlockStack>
                ))}
              </InlineGrid>
              {perPixel && (
                <PixelFiguresTable
                  pixels={last7DaysByPixel}
                  total={last7Days}
                  linkTo={(code) => logLink(last7Days.since, "all", code)}
                />
              )}
              <BlockStack gap="200">
                <Text as="h3" variant="headingSm">
                  Match keys on purchases
                </Text>
                {last7Days.matchKeyBase === 0 ? (
                  <Text as="p" tone="subdued">
                    No purchase has been sent in the last 7 days yet. Once
                    orders come in, this shows how many of them carried each
                    identifier TikTok uses to match orders to ads.
                  </Text>
                ) : (
                  <>
                    <Text as="p" tone="subdued">
                      {`Share of the ${last7Days.matchKeyBase} purchases sent or waiting to be sent that carried each identifier. The more identifiers, the more orders TikTok can attribute to your ads.`}
                    </Text>
                    <InlineGrid columns={{ xs: 1, sm: 2, md: 3 }} gap="300">
                      {last7Days.matchKeyShare.map((share) => (
                        <Box key={share.key}>
                          <BlockStack gap="100">
                            <InlineStack align="space-between">
                              <Text as="span" fontWeight="medium">
                                {share.label}
                              </Text>
                              <Text
                                as="span"
                                numeric
                              >{`${share.percent ?? 0}%`}</Text>
                            </InlineStack>
                            <ProgressBar
                              progress={share.percent ?? 0}
                              size="small"
                              tone="primary"
                            />
                            <Text as="span" tone="subdued" variant="bodySm">
                              {MATCH_KEY_HELP[share.key]}
                            </Text>
                          </BlockStack>
                        </Box>
                      ))}
                    </InlineGrid>
                    {perPixel && (
                      <PixelKeysTable
                        pixels={last7DaysByPixel}
                        total={last7Days}
                      />
                    )}
                  </>
                )}
              </BlockStack>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <ReconciliationCard {...reconciliation} />
        </Layout.Section>
      </Layout>
    </Page>
  );
}

/** The last check of Shopify's orders against what reached TikTok (app/reconciliation). */
function ReconciliationCard({
  last,
  problem,
}: Awaited<ReturnType<typeof loadHome>>["reconciliation"]) {
  return (
    <Card>
      <BlockStack gap="200">
        <InlineStack align="space-between" blockAlign="center">
          <Text as="h2" variant="headingMd">
            Reconciliation
          </Text>
          <Link to="/app/reconciliation">View reconciliation</Link>
        </InlineStack>
        {problem && (
          <Text as="p" tone="critical">
            {`Stopped: ${problem}`}
          </Text>
        )}
        {last ? (
          <>
            <Text as="p" variant="headingLg">
              {last.coverage === null
                ? "No eligible orders in the last run"
                : `${Math.floor(last.coverage * 1000) / 10}% of eligible orders reached TikTok`}
            </Text>
            <Text as="p" tone={last.missing > 0 ? "caution" : "subdued"}>
              {`${last.missing} missing (never reached the app), ${last.run.backfilled} sent by reconciliation. Checked ${(last.run.finishedAt ?? last.run.startedAt).slice(0, 16).replace("T", " ")} UTC.`}
            </Text>
          </>
        ) : (
          <Text as="p" tone="subdued">
            Not run yet: the app compares your Shopify orders with what TikTok
            received, every hour.
          </Text>
        )}
      </BlockStack>
    </Card>
  );
}

/** Optional step: send the orders placed before the app was set up. Off unless asked for. */
function InstallBackfill({
  maxDays,
  run,
}: Awaited<ReturnType<typeof loadHome>>["installBackfill"]) {
  const fetcher = useFetcher<{ ok: boolean; message: string }>();
  const [days, setDays] = useState(String(maxDays));
  if (run)
    return (
      <Text as="p" tone="subdued">
        {run.status === "completed"
          ? `Earlier orders: ${run.backfilled} sent to TikTok.`
          : `Sending earlier orders: ${run.status}.`}
      </Text>
    );
  return (
    <BlockStack gap="200">
      <Text as="h3" variant="headingSm">
        Optional: send orders placed before the app was set up
      </Text>
      <Banner tone="warning">
        If another app, a pixel or TikTok&apos;s own Shopify integration already
        sent these orders to TikTok, sending them again counts them twice. Leave
        this off unless this app is your only source of TikTok purchases.
      </Banner>
      <fetcher.Form method="post">
        <input type="hidden" name="intent" value="install-backfill" />
        <InlineStack gap="200" blockAlign="end">
          <Select
            label="Orders from the last"
            name="days"
            options={Array.from({ length: maxDays }, (_, i) => ({
              label: `${i + 1} day${i === 0 ? "" : "s"}`,
              value: String(i + 1),
            }))}
            value={days}
            onChange={setDays}
          />
          <Button submit loading={fetcher.state !== "idle"}>
            Send these orders
          </Button>
        </InlineStack>
      </fetcher.Form>
      {fetcher.data && (
        <Text as="p" tone={fetcher.data.ok ? "success" : "critical"}>
          {fetcher.data.message}
        </Text>
      )}
      <Text as="p" tone="subdued">
        {`TikTok is sent orders up to ${maxDays} days old. Shopify shows apps the last 60 days of orders unless they are granted read_all_orders.`}
      </Text>
    </BlockStack>
  );
}
