import { useEffect, useState } from "react";
import { json } from "@remix-run/node";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { useFetcher, useLoaderData, useLocation } from "@remix-run/react";
import {
  Badge,
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  Checkbox,
  ChoiceList,
  Divider,
  InlineStack,
  Layout,
  Page,
  Text,
} from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { authenticate } from "~/shopify.server";
import {
  loadSettingsPage,
  handleSettingsAction,
  type PixelListItem,
  type SettingsActionResult,
} from "~/settings/settings-page.server";
import type { PurchaseTrigger } from "~/settings/settings-form";
import type { LineTone } from "~/settings/pixel-list";
import { KeyCoverageCard } from "~/home/key-coverage-card";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  return loadSettingsPage(session.shop);
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session, admin } = await authenticate.admin(request);
  const result = await handleSettingsAction(
    session.shop,
    admin,
    await request.formData(),
  );
  return json(result, { status: result.status });
};

const NEW_PIXEL_URL = "/app/settings/pixels/new";

/** Polaris Text tones for a status line. */
const TEXT_TONES = {
  success: "success",
  critical: "critical",
  caution: "caution",
  subdued: "subdued",
} as const satisfies Record<LineTone, string>;

export default function SettingsPage() {
  const { pixels, maxPixels, purchaseTrigger, keyCoverage } =
    useLoaderData<typeof loader>();
  // A warning from the pixel page's save (the storefront metafield), shown on arrival.
  const location = useLocation();
  const arrivedWith = (location.state as { warning?: string } | null)?.warning;
  const full = pixels.length >= maxPixels;
  // One removal at a time, kept here: the removed pixel's row is gone once the list reloads,
  // and its outcome (a storefront warning, say) must still show.
  const shopify = useAppBridge();
  const removal = useFetcher<SettingsActionResult>();
  const removingId = removal.formData?.get("id");
  const removed = removal.data;
  useEffect(() => {
    if (removal.state === "idle" && removed?.ok)
      shopify.toast.show("Pixel removed");
  }, [removal.state, removed, shopify]);

  return (
    <Page
      title="Settings"
      primaryAction={{
        content: "Add pixel",
        url: NEW_PIXEL_URL,
        disabled: full,
        helpText: full
          ? `A shop can send to at most ${maxPixels} pixels. Remove one to add another.`
          : undefined,
      }}
    >
      <Layout>
        {(arrivedWith || removed?.warning) && (
          <Layout.Section>
            <Banner tone="warning">{removed?.warning ?? arrivedWith}</Banner>
          </Layout.Section>
        )}
        {removed && !removed.ok && removed.message && (
          <Layout.Section>
            <Banner tone="critical">{removed.message}</Banner>
          </Layout.Section>
        )}
        <Layout.AnnotatedSection
          title="TikTok pixels"
          description="Every event goes to each pixel that is on and takes that event, under the same event id. Codes and Events API access tokens come from TikTok Events Manager."
        >
          {pixels.length === 0 ? (
            <EmptyPixels />
          ) : (
            <Card padding="0">
              <BlockStack as="ul" aria-label="TikTok pixels">
                {pixels.map((pixel, i) => (
                  <PixelRow
                    key={pixel.id}
                    pixel={pixel}
                    first={i === 0}
                    removing={removingId === pixel.id}
                    onRemove={() =>
                      removal.submit(
                        { intent: "remove", id: pixel.id },
                        { method: "post" },
                      )
                    }
                  />
                ))}
              </BlockStack>
            </Card>
          )}
          {full && (
            <Box paddingBlockStart="200">
              <Text as="p" tone="subdued">
                {`This shop sends to ${maxPixels} pixels, the most it can. Remove one to add another.`}
              </Text>
            </Box>
          )}
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Purchases"
          description="For every pixel: when an order is reported as a purchase."
        >
          <PurchaseTriggerCard saved={purchaseTrigger} />
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Match keys"
          description="Which of the keys TikTok matches shoppers on your Purchases carried, and which ways of checking out lose them."
        >
          <KeyCoverageCard coverage={keyCoverage} />
        </Layout.AnnotatedSection>
      </Layout>
    </Page>
  );
}

function EmptyPixels() {
  return (
    <Card>
      <BlockStack gap="300" inlineAlign="start">
        <Text as="h2" variant="headingMd">
          No TikTok pixel yet
        </Text>
        <Text as="p">
          Add the pixel your TikTok ads report to: its code and an Events API
          access token from TikTok Events Manager. Nothing is sent to TikTok
          until then.
        </Text>
        <Button variant="primary" url={NEW_PIXEL_URL}>
          Add pixel
        </Button>
      </BlockStack>
    </Card>
  );
}

function StatusText({ line }: { line: { tone: LineTone; text: string } }) {
  return (
    <Text as="p" tone={TEXT_TONES[line.tone]}>
      {line.text}
    </Text>
  );
}

function PixelRow({
  pixel,
  first,
  removing,
  onRemove,
}: {
  pixel: PixelListItem;
  first: boolean;
  removing: boolean;
  onRemove: () => void;
}) {
  const shopify = useAppBridge();
  const toggle = useFetcher<SettingsActionResult>();
  const test = useFetcher<SettingsActionResult>();
  const [confirming, setConfirming] = useState(false);
  // While the switch's request runs, show what was asked for.
  const enabled = toggle.formData
    ? toggle.formData.get("enabled") === "true"
    : pixel.enabled;
  const failed = toggle.data && !toggle.data.ok ? toggle.data.message : null;
  const warning = toggle.data?.ok ? toggle.data.warning : null;
  const testResult = test.data?.testEvent;
  const [dismissed, setDismissed] = useState<typeof testResult>();

  useEffect(() => {
    if (test.state === "idle" && testResult)
      shopify.toast.show(
        testResult.ok
          ? `${testResult.pixelName}: TikTok accepted the test event`
          : `${testResult.pixelName}: the test event was not accepted`,
        { isError: !testResult.ok },
      );
  }, [test.state, testResult, shopify]);

  return (
    <Box as="li" aria-label={pixel.name}>
      {!first && <Divider />}
      <Box padding="400">
        <BlockStack gap="300">
          <InlineStack align="space-between" blockAlign="start" gap="300">
            <BlockStack gap="100">
              <InlineStack gap="200" blockAlign="center">
                <Text as="h3" variant="headingSm">
                  {pixel.name}
                </Text>
                <Badge tone={enabled ? "success" : undefined}>
                  {enabled ? "On" : "Off"}
                </Badge>
              </InlineStack>
              <Text as="p" tone="subdued">
                {`Code ${pixel.pixelCode} · ${
                  pixel.accessTokenLast4
                    ? `token ending in …${pixel.accessTokenLast4}`
                    : "no access token"
                }`}
              </Text>
              <StatusText line={pixel.lastDelivery} />
              <StatusText line={pixel.lastTest} />
            </BlockStack>
            <InlineStack gap="200" blockAlign="center">
              <Button url={`/app/settings/pixels/${pixel.id}`}>Edit</Button>
              <Button
                onClick={() =>
                  test.submit(
                    { intent: "sendTestEvent", id: pixel.id },
                    { method: "post" },
                  )
                }
                loading={test.state !== "idle"}
              >
                Send test event
              </Button>
              <Button
                tone="critical"
                variant="plain"
                onClick={() => setConfirming(true)}
                disabled={confirming}
              >
                Remove
              </Button>
            </InlineStack>
          </InlineStack>
          <Checkbox
            label="Send events to this pixel"
            helpText="Off: nothing new is sent to it and the storefront stops loading it. Its settings and delivery log stay."
            checked={enabled}
            disabled={toggle.state !== "idle"}
            onChange={(checked) =>
              toggle.submit(
                {
                  intent: "setEnabled",
                  id: pixel.id,
                  enabled: String(checked),
                },
                { method: "post" },
              )
            }
          />
          {confirming && (
            <Banner
              tone="critical"
              title={`Remove ${pixel.name}?`}
              action={{
                content: "Remove pixel",
                loading: removing,
                onAction: onRemove,
              }}
              secondaryAction={{
                content: "Cancel",
                onAction: () => setConfirming(false),
              }}
            >
              <Text as="p">
                Nothing more is sent to this pixel and its access token is
                erased. Its deliveries stay in the delivery log.
              </Text>
            </Banner>
          )}
          {testResult && testResult !== dismissed && (
            <Banner
              tone={testResult.ok ? "success" : "critical"}
              title={
                testResult.ok
                  ? "TikTok accepted the test event"
                  : "The test event was not accepted"
              }
              onDismiss={() => setDismissed(testResult)}
            >
              <BlockStack gap="100">
                {/* A refusal is told in words in the pixel's line above; this is TikTok's own
                    answer, for support. Nothing sent: the summary says what is missing. */}
                {testResult.ok && (
                  <Text as="p">
                    It should appear in TikTok Events Manager under Test Events
                    within a few minutes.
                  </Text>
                )}
                <Text as="p" tone={testResult.details ? "subdued" : undefined}>
                  {testResult.details ?? testResult.summary}
                </Text>
              </BlockStack>
            </Banner>
          )}
          {failed && <Banner tone="critical">{failed}</Banner>}
          {warning && <Banner tone="warning">{warning}</Banner>}
        </BlockStack>
      </Box>
    </Box>
  );
}

function PurchaseTriggerCard({ saved }: { saved: PurchaseTrigger }) {
  const shopify = useAppBridge();
  const fetcher = useFetcher<SettingsActionResult>();
  const [trigger, setTrigger] = useState<PurchaseTrigger>(saved);
  const result = fetcher.data;

  useEffect(() => {
    if (fetcher.state !== "idle" || !result) return;
    if (result.ok) shopify.toast.show("Purchase setting saved");
    else shopify.toast.show("Not saved", { isError: true });
  }, [fetcher.state, result, shopify]);

  return (
    <Card>
      <BlockStack gap="300" inlineAlign="start">
        <ChoiceList
          title="Send the purchase when"
          choices={[
            {
              label: "The order is created (matches the browser pixel)",
              value: "orders/create",
            },
            { label: "The order is paid", value: "orders/paid" },
          ]}
          selected={[trigger]}
          onChange={([value]) => setTrigger(value as PurchaseTrigger)}
          error={
            result && !result.ok ? result.errors?.purchaseTrigger : undefined
          }
        />
        <Button
          onClick={() =>
            fetcher.submit(
              { intent: "purchaseTrigger", purchaseTrigger: trigger },
              { method: "post" },
            )
          }
          loading={fetcher.state !== "idle"}
          disabled={trigger === saved}
        >
          Save purchase setting
        </Button>
      </BlockStack>
    </Card>
  );
}
