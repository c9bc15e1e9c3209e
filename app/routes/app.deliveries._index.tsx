import { useEffect, useState } from "react";
import type { LoaderFunctionArgs } from "@remix-run/node";
import {
  isRouteErrorResponse,
  useLoaderData,
  useNavigate,
  useNavigation,
  useRouteError,
} from "@remix-run/react";
import { boundary } from "@shopify/shopify-app-remix/server";
import {
  BlockStack,
  Button,
  Card,
  EmptyState,
  IndexTable,
  InlineStack,
  Link,
  List,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { authenticate } from "~/shopify.server";
import { listDeliveries } from "~/delivery-log/delivery-log.server";
import {
  DateTime,
  MatchKeyBadges,
  StatusBadge,
} from "~/delivery-log/components";
import {
  DEFAULT_FILTERS,
  filtersToSearch,
  isFiltered,
  type DeliveryFilters,
  type RangeFilter,
  type SourceFilter,
  type StatusFilter,
} from "~/delivery-log/filters";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  return listDeliveries(session.shop, new URL(request.url).searchParams);
};

const EMPTY_IMAGE =
  "https://cdn.shopify.com/s/files/1/0262/4071/2726/files/emptystate-files.png";

const STATUS_OPTIONS: { label: string; value: StatusFilter }[] = [
  { label: "All statuses", value: "all" },
  { label: "Delivered", value: "delivered" },
  { label: "Pending", value: "pending" },
  { label: "Failed", value: "failed" },
  { label: "Skipped", value: "skipped" },
];

const SOURCE_OPTIONS: { label: string; value: SourceFilter }[] = [
  { label: "Orders", value: "order" },
  { label: "Storefront events", value: "storefront" },
  { label: "Test events", value: "test" },
  { label: "Everything", value: "all" },
];

const RANGE_OPTIONS: { label: string; value: RangeFilter }[] = [
  { label: "All time", value: "all" },
  { label: "Last 24 hours", value: "24h" },
  { label: "Last 7 days", value: "7d" },
  { label: "Last 30 days", value: "30d" },
  { label: "Custom dates (UTC)", value: "custom" },
];

export default function DeliveryLog() {
  const { filters, rows, page, empty, pixels } = useLoaderData<typeof loader>();
  // A shop with one pixel sees no pixel filter or column: every row would say the same.
  const severalPixels = pixels.length > 1;
  const pixelOptions = [
    { label: "All pixels", value: "" },
    ...pixels.map((p) => ({ label: p.label, value: p.code })),
    // A code typed into the URL that the shop's log does not know still shows as chosen.
    ...(filters.pixel && !pixels.some((p) => p.code === filters.pixel)
      ? [{ label: filters.pixel, value: filters.pixel }]
      : []),
  ];
  const navigate = useNavigate();
  const navigation = useNavigation();
  const [query, setQuery] = useState(filters.q);
  const [from, setFrom] = useState(filters.from ?? "");
  const [to, setTo] = useState(filters.to ?? "");

  // Keep the inputs in step with the URL (back/forward, "Clear filters").
  useEffect(() => {
    setQuery(filters.q);
    setFrom(filters.from ?? "");
    setTo(filters.to ?? "");
  }, [filters.q, filters.from, filters.to]);

  const apply = (
    patch: Partial<DeliveryFilters>,
    cursor?: { after?: string; before?: string },
  ) => navigate({ search: filtersToSearch({ ...filters, ...patch }, cursor) });

  const applyTyped = () =>
    apply({ q: query.trim(), from: from || null, to: to || null });

  const loading = navigation.state === "loading";

  return (
    <Page
      title="Delivery log"
      subtitle="Every event the app sends to TikTok from your store's server, with TikTok's answer."
    >
      <BlockStack gap="400">
        <Card>
          <form
            onSubmit={(event) => {
              event.preventDefault();
              applyTyped();
            }}
          >
            <BlockStack gap="300">
              <InlineStack gap="300" wrap blockAlign="end">
                <div style={{ minWidth: 220, flexGrow: 1 }}>
                  <TextField
                    label="Order"
                    name="q"
                    value={query}
                    onChange={setQuery}
                    placeholder="Search by order number, e.g. #1001"
                    helpText="The order's name as Shopify shows it, with or without the #"
                    autoComplete="off"
                    clearButton
                    onClearButtonClick={() => {
                      setQuery("");
                      apply({ q: "" });
                    }}
                  />
                </div>
                <Select
                  label="Status"
                  name="status"
                  options={STATUS_OPTIONS}
                  value={filters.status}
                  onChange={(value) => apply({ status: value as StatusFilter })}
                />
                <Select
                  label="Source"
                  name="source"
                  options={SOURCE_OPTIONS}
                  value={filters.source}
                  onChange={(value) => apply({ source: value as SourceFilter })}
                />
                {(severalPixels || filters.pixel) && (
                  <Select
                    label="Pixel"
                    name="pixel"
                    options={pixelOptions}
                    value={filters.pixel}
                    onChange={(value) => apply({ pixel: value })}
                  />
                )}
                <Select
                  label="Date"
                  name="range"
                  options={RANGE_OPTIONS}
                  value={filters.range}
                  onChange={(value) => apply({ range: value as RangeFilter })}
                />
                {filters.range === "custom" && (
                  <>
                    <TextField
                      label="From"
                      name="from"
                      type="date"
                      value={from}
                      onChange={setFrom}
                      autoComplete="off"
                    />
                    <TextField
                      label="To"
                      name="to"
                      type="date"
                      value={to}
                      onChange={setTo}
                      autoComplete="off"
                    />
                  </>
                )}
                <Button submit loading={loading}>
                  Search
                </Button>
              </InlineStack>
            </BlockStack>
          </form>
        </Card>
        <Card padding="0">
          {empty === "none" ? (
            <IndexTable
              resourceName={{ singular: "event", plural: "events" }}
              itemCount={rows.length}
              selectable={false}
              loading={loading}
              headings={[
                { title: "Order" },
                { title: "Event" },
                ...(severalPixels ? [{ title: "Pixel" }] : []),
                { title: "Status" },
                { title: "Attempts", alignment: "end" },
                { title: "Last attempt" },
                { title: "Match keys" },
              ]}
              pagination={{
                hasPrevious: page.hasPrevious,
                hasNext: page.hasNext,
                onPrevious: () =>
                  page.previousCursor &&
                  apply({}, { before: page.previousCursor }),
                onNext: () =>
                  page.nextCursor && apply({}, { after: page.nextCursor }),
              }}
            >
              {rows.map((row, index) => (
                <IndexTable.Row id={row.id} key={row.id} position={index}>
                  <IndexTable.Cell>
                    <Link
                      url={`/app/deliveries/${row.id}`}
                      dataPrimaryLink
                      removeUnderline
                      monochrome
                    >
                      <Text as="span" fontWeight="semibold">
                        {row.label}
                      </Text>
                    </Link>
                  </IndexTable.Cell>
                  <IndexTable.Cell>{row.eventName}</IndexTable.Cell>
                  {severalPixels && (
                    <IndexTable.Cell>{row.pixel}</IndexTable.Cell>
                  )}
                  <IndexTable.Cell>
                    <StatusBadge status={row.status} />
                  </IndexTable.Cell>
                  <IndexTable.Cell>
                    <Text as="span" alignment="end" numeric>
                      {row.attempts}
                    </Text>
                  </IndexTable.Cell>
                  <IndexTable.Cell>
                    <DateTime
                      iso={row.lastAttemptAt}
                      fallback="Not tried yet"
                    />
                  </IndexTable.Cell>
                  <IndexTable.Cell>
                    <MatchKeyBadges keys={row.matchKeys} />
                  </IndexTable.Cell>
                </IndexTable.Row>
              ))}
            </IndexTable>
          ) : empty === "no-deliveries" ? (
            <EmptyState
              heading="No events yet"
              image={EMPTY_IMAGE}
              action={{ content: "Open settings", url: "/app/settings" }}
            >
              <BlockStack gap="200">
                <Text as="p">
                  Once the app is set up, each new order is sent to TikTok as a
                  Purchase within seconds and listed here with TikTok&apos;s
                  answer.
                </Text>
                <List type="number">
                  <List.Item>
                    In Settings, save your TikTok pixel code and an Events API
                    access token.
                  </List.Item>
                  <List.Item>
                    Turn on the TikTok pixel app embed in your theme (Online
                    Store → Themes → Customize → App embeds), so ad clicks and
                    storefront visits are matched to orders.
                  </List.Item>
                  <List.Item>
                    Place a test order, or use &quot;Send test event&quot; in
                    Settings.
                  </List.Item>
                </List>
              </BlockStack>
            </EmptyState>
          ) : (
            <NoMatches
              filters={filters}
              onShowAllSources={() => apply({ source: "all" })}
            />
          )}
        </Card>
      </BlockStack>
    </Page>
  );
}

function NoMatches({
  filters,
  onShowAllSources,
}: {
  filters: DeliveryFilters;
  onShowAllSources: () => void;
}) {
  const navigate = useNavigate();
  if (!isFiltered(filters)) {
    return (
      <EmptyState
        heading="No orders yet"
        image={EMPTY_IMAGE}
        secondaryAction={{
          content: "Show all events",
          onAction: onShowAllSources,
        }}
      >
        <Text as="p">
          The app has recorded storefront or test events, but no order has come
          in yet. New orders appear here within seconds of being placed.
        </Text>
      </EmptyState>
    );
  }
  return (
    <EmptyState
      heading="No events match these filters"
      image={EMPTY_IMAGE}
      action={{
        content: "Clear filters",
        onAction: () => navigate({ search: filtersToSearch(DEFAULT_FILTERS) }),
      }}
      secondaryAction={
        filters.source !== "all"
          ? { content: "Search all sources", onAction: onShowAllSources }
          : undefined
      }
    >
      <Text as="p">
        Try another status, pixel, date range or order number. Order numbers can
        be searched with or without the #.
      </Text>
    </EmptyState>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  // Responses thrown by Shopify's authentication (e.g. the session-token bounce) render as before.
  if (isRouteErrorResponse(error)) return boundary.error(error);
  return <DeliveryLogError />;
}

function DeliveryLogError() {
  return (
    <Page title="Delivery log">
      <Card>
        <BlockStack gap="200">
          <Text as="h2" variant="headingMd">
            The delivery log could not be loaded
          </Text>
          <Text as="p">
            Nothing was lost: events keep being sent in the background. Reload
            the page in a moment; if this keeps happening, contact the
            app&apos;s support.
          </Text>
        </BlockStack>
      </Card>
    </Page>
  );
}
