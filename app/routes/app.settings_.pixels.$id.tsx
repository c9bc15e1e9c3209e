// Add (id "new") or edit one of the shop's TikTok pixels. Outside app.settings's layout (the
// trailing underscore), so the list page keeps its own route id.
import { useEffect, useState } from "react";
import { json } from "@remix-run/node";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import {
  isRouteErrorResponse,
  useFetcher,
  useLoaderData,
  useNavigate,
  useRouteError,
} from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Button,
  Card,
  Checkbox,
  ChoiceList,
  InlineStack,
  Layout,
  Link,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { boundary } from "@shopify/shopify-app-remix/server";
import { authenticate } from "~/shopify.server";
import {
  loadPixelEditor,
  savePixel,
  type PixelSaveResult,
} from "~/settings/pixel-editor.server";
import type { PixelView } from "~/settings/settings.server";
import type { FieldErrors } from "~/settings/settings-form";

const NOT_FOUND =
  "This pixel does not exist in this shop (it may have been removed).";

export const loader = async ({ request, params }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  const data = await loadPixelEditor(session.shop, params.id ?? "");
  if (!data) throw json({ message: NOT_FOUND }, { status: 404 });
  return data;
};

export const action = async ({ request, params }: ActionFunctionArgs) => {
  const { session, admin } = await authenticate.admin(request);
  const result = await savePixel(
    session.shop,
    admin,
    params.id ?? "",
    await request.formData(),
  );
  return json(result, { status: result.status });
};

/** The form's switches: the view's booleans but the pixel's on/off and the token flag. */
type Toggle = Exclude<
  {
    [K in keyof PixelView]: PixelView[K] extends boolean ? K : never;
  }[keyof PixelView],
  "enabled" | "accessTokenSet"
>;

const EVENT_LABELS: [Toggle, string, string][] = [
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

const FILTER_LABELS: [Toggle, string][] = [
  ["skipTestOrders", "Skip test orders"],
  ["skipPosOrders", "Skip point of sale (POS) orders"],
  ["skipDraftOrders", "Skip orders created from draft orders"],
  ["skipSubscriptionRecurringOrders", "Skip recurring subscription orders"],
];

/** What the form posts: the view's fields, never the token flags or the test result. */
const NOT_POSTED = new Set<keyof PixelView>([
  "id",
  "enabled",
  "accessTokenSet",
  "accessTokenLast4",
  "lastTest",
  "updatedAt",
]);

export default function PixelPage() {
  const { pixel, isNew, limitReached } = useLoaderData<typeof loader>();
  const shopify = useAppBridge();
  const navigate = useNavigate();
  const fetcher = useFetcher<PixelSaveResult>();
  const [form, setForm] = useState(pixel);
  const [accessToken, setAccessToken] = useState("");
  const [replacingToken, setReplacingToken] = useState(!pixel.accessTokenSet);

  const result = fetcher.data;
  const errors: FieldErrors = result && !result.ok ? (result.errors ?? {}) : {};
  const saving = fetcher.state !== "idle";

  useEffect(() => {
    if (fetcher.state !== "idle" || !result) return;
    if (result.ok) {
      shopify.toast.show(isNew ? "Pixel added" : "Pixel saved");
      navigate("/app/settings", { state: { warning: result.warning } });
    } else if (result.status === 422) {
      shopify.toast.show("Not saved: check the highlighted fields", {
        isError: true,
      });
    }
  }, [fetcher.state, result, shopify, navigate, isNew]);

  const set =
    <K extends keyof PixelView>(key: K) =>
    (value: PixelView[K]) =>
      setForm((f) => ({ ...f, [key]: value }));

  const save = () => {
    const data: Record<string, string> = {};
    for (const [key, value] of Object.entries(form)) {
      if (NOT_POSTED.has(key as keyof PixelView)) continue;
      data[key] = String(value ?? "");
    }
    if (replacingToken && accessToken) data.accessToken = accessToken;
    fetcher.submit(data, { method: "post" });
  };

  return (
    <Page
      title={isNew ? "Add pixel" : pixel.name}
      subtitle={isNew ? undefined : pixel.pixelCode}
      backAction={{ content: "Settings", url: "/app/settings" }}
      primaryAction={{
        content: "Save",
        onAction: save,
        loading: saving,
        disabled: Boolean(limitReached),
      }}
    >
      <Layout>
        {limitReached && (
          <Layout.Section>
            <Banner tone="warning">{limitReached}</Banner>
          </Layout.Section>
        )}
        {result && !result.ok && result.message && (
          <Layout.Section>
            <Banner tone="critical">{result.message}</Banner>
          </Layout.Section>
        )}
        <Layout.AnnotatedSection
          title="TikTok pixel"
          description="From TikTok Events Manager: the pixel's code and an Events API access token generated in the pixel's settings."
        >
          <Card>
            <BlockStack gap="400">
              <TextField
                label="Name"
                value={form.name}
                onChange={set("name")}
                autoComplete="off"
                error={errors.name}
                helpText="Yours to choose, for example the store or agency it reports to."
              />
              <TextField
                label="Pixel code"
                value={form.pixelCode}
                onChange={set("pixelCode")}
                autoComplete="off"
                error={errors.pixelCode}
                helpText="10 to 40 letters and digits."
              />
              {replacingToken ? (
                <TextField
                  label="Access token"
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
                value={form.testEventCode}
                onChange={set("testEventCode")}
                autoComplete="off"
                error={errors.testEventCode}
                helpText="Optional. From Events Manager → Test events. While set, every event to this pixel is sent as a test event."
              />
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Events"
          description="Which events the app sends to this pixel from the server."
        >
          <Card>
            <BlockStack gap="300">
              {EVENT_LABELS.map(([key, label, help]) => (
                <Checkbox
                  key={key}
                  label={label}
                  helpText={help}
                  checked={form[key]}
                  onChange={set(key)}
                  error={errors[key]}
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
                helpText="Use the same name as this pixel's browser events so TikTok can deduplicate."
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
                  set("valueSource")(value as PixelView["valueSource"])
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
                set("consentPolicy")(value as PixelView["consentPolicy"])
              }
              error={errors.consentPolicy}
            />
          </Card>
        </Layout.AnnotatedSection>
        <Layout.AnnotatedSection
          title="Order filters"
          description="Orders that should not count as ad conversions for this pixel."
        >
          <Card>
            <BlockStack gap="300">
              {FILTER_LABELS.map(([key, label]) => (
                <Checkbox
                  key={key}
                  label={label}
                  checked={form[key]}
                  onChange={set(key)}
                  error={errors[key]}
                />
              ))}
            </BlockStack>
          </Card>
        </Layout.AnnotatedSection>
      </Layout>
    </Page>
  );
}

export function ErrorBoundary() {
  const error = useRouteError();
  if (isRouteErrorResponse(error) && error.status === 404) {
    return (
      <Page
        backAction={{ content: "Settings", url: "/app/settings" }}
        title="Pixel not found"
      >
        <Card>
          <BlockStack gap="200">
            <Text as="p">{NOT_FOUND}</Text>
            <Text as="p">
              <Link url="/app/settings">Back to the pixels</Link>
            </Text>
          </BlockStack>
        </Card>
      </Page>
    );
  }
  // Responses thrown by Shopify's authentication (e.g. the session-token bounce) render as before.
  return boundary.error(error);
}
