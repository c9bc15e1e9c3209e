import type { LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { BlockStack, Card, Icon, InlineStack, Layout, Page, Text } from "@shopify/polaris";
import { CheckCircleIcon, MinusCircleIcon } from "@shopify/polaris-icons";
import { authenticate } from "~/shopify.server";
import { loadHome } from "~/home/home.server";

export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  return loadHome(session.shop);
};

export default function Home() {
  const { checklist } = useLoaderData<typeof loader>();
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
                <InlineStack key={step.label} gap="200" blockAlign="center" wrap={false}>
                  <span aria-label={step.done ? "Done" : "To do"}>
                    <Icon source={step.done ? CheckCircleIcon : MinusCircleIcon} tone={step.done ? "success" : "subdued"} />
                  </span>
                  <Text as="span">
                    {step.to ? <Link to={step.to}>{step.label}</Link> : step.label}
                  </Text>
                </InlineStack>
              ))}
            </BlockStack>
          </Card>
        </Layout.Section>
      </Layout>
    </Page>
  );
}
