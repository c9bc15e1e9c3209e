import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { Link, useFetcher, useLoaderData } from "@remix-run/react";
import {
  Link as PolarisLink,
  BlockStack,
  Box,
  Button,
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
import { loadHome } from "~/home/home.server";
import { connectWebPixel } from "~/checkout/web-pixel.server";
import {
  DEFAULT_FILTERS,
  filtersToSearch,
  type StatusFilter,
} from "~/delivery-log/filters";
import { MATCH_KEY_HELP } from "~/delivery-log/present";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  return loadHome(session.shop);
};

/** The checklist's one-click repair: create or update the checkout web pixel now. */
export const action = async ({ request }: ActionFunctionArgs) => {
  const { session, admin } = await authenticate.admin(request);
  const form = await request.formData();
  if (form.get("intent") !== "connect-pixel")
    return Response.json(
      { ok: false, message: "Unknown action." },
      { status: 400 },
    );
  return Response.json(await connectWebPixel(admin, session.shop));
};

/** The delivery log, showing this summary's orders (and optionally one status). */
function logLink(status: StatusFilter = "all"): string {
  return `/app/deliveries${filtersToSearch({ ...DEFAULT_FILTERS, range: "7d", status })}`;
}

export default function Home() {
  const { checklist, last7Days } = useLoaderData<typeof loader>();
  const repair = useFetcher<typeof action>();
  const stats: { label: string; value: number; status: StatusFilter }[] = [
    { label: "Orders seen", value: last7Days.ordersSeen, status: "all" },
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
            </BlockStack>
          </Card>
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
                      <Link to={logLink(stat.status)}>{stat.value}</Link>
                    </Text>
                  </BlockStack>
                ))}
              </InlineGrid>
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
                  </>
                )}
              </BlockStack>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
