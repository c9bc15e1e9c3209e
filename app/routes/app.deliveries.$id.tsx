import { useEffect } from "react";
import {
  json,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
} from "@remix-run/node";
import {
  isRouteErrorResponse,
  useFetcher,
  useLoaderData,
  useRouteError,
} from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  DataTable,
  DescriptionList,
  Layout,
  Link,
  Page,
  Text,
} from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { authenticate } from "~/shopify.server";
import {
  getDeliveryDetail,
  resendDelivery,
  type AttemptView,
  type OrderPixelView,
  type ResendResult,
} from "~/delivery-log/delivery-log.server";
import {
  DateTime,
  MatchKeyBadges,
  StatusBadge,
} from "~/delivery-log/components";
import {
  formatDuration,
  keySourceRows,
  NOT_FOUND_MESSAGE,
  outcomeBadge,
  payloadHeading,
} from "~/delivery-log/present";

function notFound(): Response {
  return json({ message: NOT_FOUND_MESSAGE }, { status: 404 });
}

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const delivery = await getDeliveryDetail(session.shop, params.id ?? "");
  if (!delivery) throw notFound();
  return { delivery };
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const form = await request.formData();
  if (form.get("intent") !== "resend") {
    return json(
      { ok: false, status: 400, message: "Unknown action." },
      { status: 400 },
    );
  }
  const result = await resendDelivery(session.shop, params.id ?? "");
  return json(result, { status: result.status });
};

export default function DeliveryDetail() {
  const { delivery } = useLoaderData<typeof loader>();
  const shopify = useAppBridge();
  const fetcher = useFetcher<ResendResult>();
  const result = fetcher.data;

  useEffect(() => {
    if (fetcher.state !== "idle" || !result) return;
    if (result.ok) shopify.toast.show("Queued for resend");
    else shopify.toast.show(result.message, { isError: true });
  }, [fetcher.state, result, shopify]);

  const resending = fetcher.state !== "idle";
  const { explanation, resend } = delivery;

  return (
    <Page
      backAction={{ content: "Delivery log", url: "/app/deliveries" }}
      title={delivery.label}
      titleMetadata={<StatusBadge status={delivery.status} />}
      subtitle={`${delivery.eventName} event`}
    >
      <Layout>
        <Layout.Section>
          <Banner tone={explanation.tone} title={explanation.title}>
            <Text as="p">{explanation.body}</Text>
          </Banner>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Details
              </Text>
              <DescriptionList
                items={[
                  {
                    term: "Order",
                    description: delivery.orderAdminUrl ? (
                      <Link url={delivery.orderAdminUrl} target="_top">
                        {delivery.label}
                      </Link>
                    ) : (
                      delivery.label
                    ),
                  },
                  { term: "Event", description: delivery.eventName },
                  {
                    term: "Event ID",
                    description: (
                      <BlockStack gap="100">
                        <Text as="span" breakWord>
                          <code>{delivery.eventId}</code>
                        </Text>
                        <Text as="span" tone="subdued" variant="bodySm">
                          TikTok uses this id to count the event only once, even
                          if it arrives again.
                        </Text>
                      </BlockStack>
                    ),
                  },
                  {
                    term: "Pixel",
                    description:
                      delivery.pixel === delivery.pixelCode ? (
                        <code>{delivery.pixelCode}</code>
                      ) : (
                        <Text as="span">
                          {delivery.pixel} <code>{delivery.pixelCode}</code>
                        </Text>
                      ),
                  },
                  {
                    term: "Match keys",
                    description: <MatchKeyBadges keys={delivery.matchKeys} />,
                  },
                  ...(delivery.keySources
                    ? [
                        {
                          term: "Where the keys came from",
                          description: (
                            <BlockStack gap="050">
                              {keySourceRows(delivery.keySources).map(
                                ({ key, source }) => (
                                  <Text as="span" key={key}>
                                    <code>{key}</code>: {source}
                                  </Text>
                                ),
                              )}
                            </BlockStack>
                          ),
                        },
                      ]
                    : []),
                  ...(delivery.lateCheckoutRelayAt
                    ? [
                        {
                          term: "Checkout pixel",
                          description: (
                            <Text as="span">
                              The completed checkout arrived from the web pixel
                              at <DateTime iso={delivery.lateCheckoutRelayAt} />
                              , after this Purchase had been queued with the
                              keys it had: nothing sent changed.
                            </Text>
                          ),
                        },
                      ]
                    : []),
                  {
                    term: "Attempts",
                    description: String(delivery.attemptCount),
                  },
                  {
                    term: "Event time",
                    description: <DateTime iso={delivery.eventTime} />,
                  },
                  {
                    term: "Recorded",
                    description: <DateTime iso={delivery.createdAt} />,
                  },
                  {
                    term: "Last attempt",
                    description: (
                      <DateTime
                        iso={delivery.lastAttemptAt}
                        fallback="Not tried yet"
                      />
                    ),
                  },
                  ...(delivery.deliveredAt
                    ? [
                        {
                          term: "Delivered",
                          description: <DateTime iso={delivery.deliveredAt} />,
                        },
                      ]
                    : []),
                ]}
              />
            </BlockStack>
          </Card>
        </Layout.Section>
        {delivery.orderPixels && (
          <Layout.Section>
            <OrderAtEveryPixel
              current={delivery.id}
              rows={delivery.orderPixels}
            />
          </Layout.Section>
        )}
        <Layout.Section variant="oneThird">
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Resend
              </Text>
              <Text as="p">
                Sends the same event again with the same event ID, so TikTok
                never counts it twice.
              </Text>
              <fetcher.Form method="post">
                <input type="hidden" name="intent" value="resend" />
                <Button submit disabled={!resend.allowed} loading={resending}>
                  Resend
                </Button>
              </fetcher.Form>
              {resend.reason && (
                <Text as="p" tone="subdued">
                  {resend.reason}
                </Text>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Attempts
              </Text>
              {delivery.attempts.length === 0 ? (
                <Text as="p" tone="subdued">
                  {delivery.status === "skipped"
                    ? "Nothing was sent to TikTok for this event."
                    : "No request has been made to TikTok for this event yet."}
                </Text>
              ) : (
                <>
                  {delivery.attemptsOmitted > 0 && (
                    <Text as="p" tone="subdued">
                      {`Showing the latest ${delivery.attempts.length} attempts; ${delivery.attemptsOmitted} older ones are not shown.`}
                    </Text>
                  )}
                  <DataTable
                    columnContentTypes={[
                      "text",
                      "numeric",
                      "numeric",
                      "numeric",
                      "text",
                      "text",
                      "text",
                    ]}
                    headings={[
                      "Time",
                      "Duration",
                      "HTTP status",
                      "TikTok code",
                      "Outcome",
                      "TikTok's message",
                      "Request ID",
                    ]}
                    rows={delivery.attempts.map(attemptRow)}
                    verticalAlign="top"
                  />
                </>
              )}
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section>
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                {payloadHeading(delivery.status, delivery.attemptCount)}
              </Text>
              <Text as="p" tone="subdued">
                The exact event object, as it goes into TikTok&apos;s Events API
                request. Email, phone and customer ID are SHA-256 hashes; the
                raw values are never stored.
              </Text>
              <Box
                background="bg-surface-secondary"
                padding="300"
                borderRadius="200"
                overflowX="scroll"
              >
                <pre
                  style={{
                    margin: 0,
                    fontSize: 12,
                    lineHeight: 1.5,
                    whiteSpace: "pre-wrap",
                    wordBreak: "break-all",
                  }}
                >
                  {delivery.payloadJson}
                </pre>
              </Box>
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}

function attemptRow(attempt: AttemptView) {
  const outcome = outcomeBadge(attempt.outcome);
  return [
    <DateTime key="time" iso={attempt.startedAt} />,
    formatDuration(attempt.durationMs),
    attempt.httpStatus ?? "—",
    attempt.tiktokCode ?? "—",
    <Badge key="outcome" tone={outcome.tone}>
      {outcome.label}
    </Badge>,
    attempt.message || "—",
    attempt.requestId ? <code key="request">{attempt.requestId}</code> : "—",
  ];
}

/** The order's Purchase at each of the shop's pixels, one row per pixel. */
function OrderAtEveryPixel({
  current,
  rows,
}: {
  current: string;
  rows: OrderPixelView[];
}) {
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          This order at every pixel
        </Text>
        <Text as="p" tone="subdued">
          Each pixel gets its own Purchase of the order, sent and answered on
          its own.
        </Text>
        <DataTable
          columnContentTypes={["text", "text", "text", "numeric", "text"]}
          headings={["Pixel", "Event", "Status", "Attempts", "Last attempt"]}
          rows={rows.map((row) => [
            row.id === current ? (
              <Text as="span" fontWeight="semibold" key={row.id}>
                {`${row.pixel} (this event)`}
              </Text>
            ) : (
              <Link url={`/app/deliveries/${row.id}`} key={row.id}>
                {row.pixel}
              </Link>
            ),
            row.eventName,
            <StatusBadge status={row.status} key={`${row.id}-status`} />,
            row.attempts,
            <DateTime
              iso={row.lastAttemptAt}
              fallback="Not tried yet"
              key={`${row.id}-last`}
            />,
          ])}
        />
      </BlockStack>
    </Card>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <Page
        backAction={{ content: "Delivery log", url: "/app/deliveries" }}
        title="Event not found"
      >
        <Card>
          <BlockStack gap="200">
            <Text as="p">{NOT_FOUND_MESSAGE}</Text>
            <Text as="p">
              <Link url="/app/deliveries">Back to the delivery log</Link>
            </Text>
          </BlockStack>
        </Card>
      </Page>
    );
  }
  // Responses thrown by Shopify's authentication (e.g. the session-token bounce) render as before.
  if (isRouteErrorResponse(error)) return boundary.error(error);
  return (
    <Page
      backAction={{ content: "Delivery log", url: "/app/deliveries" }}
      title="Event"
    >
      <Card>
        <Text as="p">
          This event could not be loaded. Nothing was lost: events keep being
          sent in the background. Reload the page in a moment.
        </Text>
      </Card>
    </Page>
  );
}
