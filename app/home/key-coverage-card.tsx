// The key-coverage text (./key-coverage.ts) as a short Polaris card, on the home page beside
// the setup checklist and on the settings page.
import { BlockStack, Card, List, Text } from "@shopify/polaris";
import type { KeyCoverage } from "./key-coverage";

export function KeyCoverageCard({ coverage }: { coverage: KeyCoverage }) {
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          What your Purchases told TikTok (last 7 days)
        </Text>
        {coverage.empty ? (
          <Text as="p" tone="subdued">
            {coverage.empty}
          </Text>
        ) : (
          <>
            <List type="bullet">
              {coverage.keys.map((line) => (
                <List.Item key={line.key}>{line.text}</List.Item>
              ))}
            </List>
            {coverage.journeys.length > 0 && (
              <BlockStack gap="200">
                <Text as="h3" variant="headingSm">
                  By how shoppers checked out
                </Text>
                {coverage.journeys.map((line) => (
                  <Text
                    as="p"
                    key={line.journey}
                    tone={line.fix ? "caution" : undefined}
                  >
                    {line.text}
                  </Text>
                ))}
              </BlockStack>
            )}
          </>
        )}
      </BlockStack>
    </Card>
  );
}
