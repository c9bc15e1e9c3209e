import { useEffect, useState } from "react";
import { Badge, InlineStack, Text, Tooltip } from "@shopify/polaris";
import type { MatchKey } from "~/tiktok/match-keys";
import type { DeliveryStatus } from "~/delivery/outbox/states";
import {
  formatDateTime,
  MATCH_KEY_HELP,
  MATCH_KEY_LABELS,
  STATUS_BADGES,
} from "./present";

export function StatusBadge({ status }: { status: DeliveryStatus }) {
  const { label, tone } = STATUS_BADGES[status];
  return (
    <Badge tone={tone} toneAndProgressLabelOverride={`Status: ${label}`}>
      {label}
    </Badge>
  );
}

export function MatchKeyBadges({ keys }: { keys: MatchKey[] }) {
  if (keys.length === 0) {
    return (
      <Text as="span" tone="subdued">
        None
      </Text>
    );
  }
  return (
    <InlineStack gap="100" wrap>
      {keys.map((key) => (
        <Tooltip key={key} content={MATCH_KEY_HELP[key]}>
          <Badge size="small">{MATCH_KEY_LABELS[key]}</Badge>
        </Tooltip>
      ))}
    </InlineStack>
  );
}

/**
 * Server-rendered in UTC (the server doesn't know the merchant's zone), then switched to
 * the browser's local time once hydrated, so the first render matches on both sides.
 */
export function DateTime({
  iso,
  fallback = "—",
}: {
  iso: string | null;
  fallback?: string;
}) {
  const [timeZone, setTimeZone] = useState<string | undefined>(undefined);
  useEffect(() => {
    setTimeZone(Intl.DateTimeFormat().resolvedOptions().timeZone);
  }, []);
  if (!iso) return <>{fallback}</>;
  return <time dateTime={iso}>{formatDateTime(iso, timeZone)}</time>;
}
