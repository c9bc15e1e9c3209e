import { useEffect, useState } from "react";
import { json } from "@remix-run/node";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Button,
  Card,
  Checkbox,
  ChoiceList,
  InlineStack,
  Layout,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { authenticate } from "~/shopify.server";
import {
  loadSettingsPage,
  handleSettingsAction,
  type SettingsActionResult,
} from "~/settings/settings-page.server";
import type { SettingsView } from "~/settings/settings.server";
import type { FieldErrors } from "~/settings/settings-form";
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

const EVENT_LABELS: [keyof SettingsView, string, string][] = [
  [
    "sendPurchase",
    "Purchase",
    "Sent from the order webhook for every qualifying order.",
  ],
  [
    "sendViewContent",
    "ViewContent",
    "Product page views, mirrored from the storefront.",
  ],
  ["sendAddToCart", "AddToCart", "Add to cart, mirrored from the storefront."],
  [
    "sendInitiateCheckout",
    "InitiateCheckout",
    "Checkout started, from the checkout web pixel, once per checkout.",
  ],
  [
    "sendAddPaymentInfo",
    "AddPaymentInfo",
    "Payment info submitted, from the checkout web pixel, once per checkout.",
  ],
  [
    "sendCheckoutSteps",
    "Contact and shipping steps (custom events)",
    "Sends CheckoutContactInfo and CheckoutShippingInfo once per checkout. TikTok has no standard event for these steps: custom events show in reports and audiences but cannot be optimised for. Off, they still add what they know (contact hashes, click id) to the checkout's other events and its Purchase.",
  ],
  [
    "sendSearch",
    "Search",
    "Storefront searches, mirrored from the storefront.",
  ],
];

const FILTER_LABELS: [keyof SettingsView, string][] = [
  ["skipTestOrders", "Skip test orders"],
  ["skipPosOrders", "Skip point of sale (POS) orders"],
  ["skipDraftOrders", "Skip orders created from draft orders"],
  ["skipSubscriptionRecurringOrders", "Skip recurring subscription orders"],
];

export default function SettingsPage() {
  const { settings, keyCoverage } = useLoaderData<typeof loader>();
  const shopify = useAppBridge();
  const saveFetcher = useFetcher<SettingsActionResult>();
  const testFetcher = useFetcher<SettingsActionResult>();
  const [form, setForm] = useState(settings);
  const [accessToken, setAccessToken] = useState("");
  const [replacingToken, setReplacingToken] = useState(
    !settings.accessTokenSet,
  );

  const saveResult = saveFetcher.data;
  const errors: FieldErrors =
    saveResult && !saveResult.ok ? (saveResult.errors ?? {}) : {};
  const saving = saveFetcher.state !== "idle";

  useEffect(() => {
    if (saveFetcher.state !== "idle" || !saveResult) return;
    if (saveResult.ok && saveResult.settings) {
      setForm(saveResult.settings);
      setAccessToken("");
      setReplacingToken(!saveResult.settings.accessTokenSet);
      shopify.toast.show("Settings saved");
    } else if (!saveResult.ok) {
      shopify.toast.show("Settings not saved: check the highlighted fields", {
        isError: true,
      });
    }
  }, [saveFetcher.state, saveResult, shopify]);

  const set =
    <K extends keyof SettingsView>(key: K) =>
    (value: SettingsView[K]) =>
      setForm((f) => ({ ...f, [key]: value }));

  const save = () => {
    const data: Record<string, string> = { intent: "save" };
    for (const [key, value] of Object.entries(form)) {
      if (
        key === "accessTokenSet" ||
        key === "accessTokenLast4" ||
        key === "updatedAt"
      )
        continue;
      data[key] = String(value ?? "");
    }
    if (replacingToken && accessToken) data.accessToken = accessToken;
    saveFetcher.submit(data, { method: "post" });
  };

  const testResult = testFetcher.data?.testEvent;

  return (
    <Page
      title="Settings"
      primaryAction={{ content: "Save", onAction: save, loading: saving }}
      secondaryActions={[
        {
          content: "Send test event",
          onAction: () =>
            testFetcher.submit({ intent: "sendTestEvent" }, { method: "post" }),
          loading: testFetcher.state !== "idle",
        },
      ]}
    >
      <Layout>
        {testResult && (
          <Layout.Section>
            <Banner
              tone={testResult.ok ? "success" : "critical"}
              title={
                testResult.ok
                  ? "TikTok accepted the test event"
                  : "The test event was not accepted"
              }
            >
              <BlockStack gap="100">
                <Text as="p">{testResult.summary}</Text>
                {testResult.details && (
                  <Text as="p" tone="subdued">
                    {testResult.details}
                  </Text>
                )}
              </BlockStack>
            </Banner>
          </Layout.Section>
        )}
        {saveResult && !saveResult.ok && saveResult.message && (
          <Layout.Section>
            <Banner tone="critical">{saveResult.message}</Banner>
          </Layout.Section>
        )}
        {saveResult?.ok && saveResult.warning && (
          <Layout.Section>
            <Banner tone="warning">{saveResult.warning}</Banner>
          </Layout.Section>
        )}
        <Layout.AnnotatedSection
          title="TikTok pixel"
          description="From TikTok Events Manager: your pixel's code and an Events API access token generated in the pixel's settings."
        >
          <Card>
            <BlockStack gap="400">
              <TextField
                label="Pixel code"
                name="pixelCode"
                value={form.pixelCode}
                onChange={set("pixelCode")}
                autoComplete="off"
                error={errors.pixelCode}
                helpText="10 to 40 letters and digits."
              />
              {replacingToken ? (
                <TextField
                  label="Access token"
                  name="accessToken"
                  type="password"
                  value={accessToken}
                  onChange={setAccessToken}
                  autoComplete="off"
                  error={errors.accessToken}
                  helpText="Stored encrypted. It is never shown again."
                  connectedRight={
                    form.accessTokenSet ? (
                      <Button
                        onClick={() => {
                          setReplacingToken(false);
                          setAccessToken("");
                        }}
                      >
                        Cancel
                      </Button>
                    ) : undefined
                  }
                />
              ) : (
                <BlockStack gap="100">
                  <Text as="p" variant="bodyMd" fontWeight="medium">
                    Access token
                  </Text>
                  <InlineStack gap="300" blockAlign="center">
                    <Text as="span" tone="subdued">
                      {`Set, ending in …${form.accessTokenLast4 ?? ""}`}
                    </Text>
                    <Button onClick={() => setReplacingToken(true)}>
                      Replace
                    </Button>
                  </InlineStack>
                </BlockStack>
              )}
              <TextField
                label="Test event code"
                name="testEventCode"
                value={form.testEventCode}
                onChange={set("testEventCode")}
                autoComplete="off"
                error={errors.testEventCode}
                helpText="Optional. From Events Manager → Test events. While set, every event is sent as a test event."
              />
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Events"
          description="Which events the app sends to TikTok from the server."
        >
          <Card>
            <BlockStack gap="300">
              {EVENT_LABELS.map(([key, label, help]) => (
                <Checkbox
                  key={key}
                  label={label}
                  helpText={help}
                  checked={Boolean(form[key])}
                  onChange={(checked) =>
                    setForm((f) => ({ ...f, [key]: checked }))
                  }
                />
              ))}
              <Select
                label="Purchase event name"
                options={[
                  { label: "Purchase (recommended)", value: "Purchase" },
                  {
                    label: "CompletePayment (legacy name)",
                    value: "CompletePayment",
                  },
                  { label: "PlaceAnOrder", value: "PlaceAnOrder" },
                ]}
                value={form.purchaseEventName}
                onChange={set("purchaseEventName")}
                error={errors.purchaseEventName}
                helpText="Use the same name as your browser pixel so TikTok can deduplicate."
              />
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Purchases"
          description="When an order is reported, and with which amount."
        >
          <Card>
            <BlockStack gap="300">
              <ChoiceList
                title="Send the purchase when"
                choices={[
                  {
                    label: "The order is created (matches the browser pixel)",
                    value: "orders/create",
                  },
                  { label: "The order is paid", value: "orders/paid" },
                ]}
                selected={[form.purchaseTrigger]}
                onChange={([value]) =>
                  set("purchaseTrigger")(
                    value as SettingsView["purchaseTrigger"],
                  )
                }
                error={errors.purchaseTrigger}
              />
              <Select
                label="Purchase value"
                options={[
                  {
                    label: "Order total (with tax and shipping)",
                    value: "total",
                  },
                  {
                    label:
                      "Subtotal (after discounts, before tax and shipping)",
                    value: "subtotal",
                  },
                ]}
                value={form.valueSource}
                onChange={(value) =>
                  set("valueSource")(value as SettingsView["valueSource"])
                }
                error={errors.valueSource}
              />
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Consent"
          description="Shoppers who decline marketing cookies are never sent. This decides what happens when we do not know a shopper's choice, for example an order placed without a storefront visit we saw."
        >
          <Card>
            <ChoiceList
              title="When consent is unknown"
              choices={[
                { label: "Send with limited data use", value: "limited" },
                { label: "Send normally", value: "send" },
                { label: "Do not send", value: "skip" },
              ]}
              selected={[form.consentPolicy]}
              onChange={([value]) =>
                set("consentPolicy")(value as SettingsView["consentPolicy"])
              }
              error={errors.consentPolicy}
            />
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Order filters"
          description="Orders that should not count as ad conversions."
        >
          <Card>
            <BlockStack gap="300">
              {FILTER_LABELS.map(([key, label]) => (
                <Checkbox
                  key={key}
                  label={label}
                  checked={Boolean(form[key])}
                  onChange={(checked) =>
                    setForm((f) => ({ ...f, [key]: checked }))
                  }
                />
              ))}
            </BlockStack>
          </Card>
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
