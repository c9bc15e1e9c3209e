// The home page's last 7 days per pixel, shown only when the shop has more than one pixel: the
// figures and the match-key shares of each pixel, with the whole shop's in the footer.
import { Link } from "@remix-run/react";
import { BlockStack, DataTable, Text } from "@shopify/polaris";
import type { DeliverySummary, PixelSummary } from "~/delivery-log/summary";

type PixelRow = Pick<PixelSummary, "code" | "label" | "removed"> & {
  summary: Pick<
    DeliverySummary,
    | "ordersSeen"
    | "sent"
    | "failed"
    | "pending"
    | "skipped"
    | "matchKeyBase"
    | "matchKeyShare"
  >;
};

type Total = PixelRow["summary"];

const pct = (value: number | null) => (value === null ? "—" : `${value}%`);

export function PixelFiguresTable({
  pixels,
  total,
  linkTo,
}: {
  pixels: PixelRow[];
  total: Total;
  /** The delivery log of this window for one pixel. */
  linkTo: (code: string) => string;
}) {
  return (
    <BlockStack gap="200">
      <Text as="h3" variant="headingSm">
        By pixel
      </Text>
      <DataTable
        columnContentTypes={[
          "text",
          "numeric",
          "numeric",
          "numeric",
          "numeric",
          "numeric",
        ]}
        headings={[
          "Pixel",
          "Purchases",
          "Sent",
          "Failed",
          "Pending",
          "Skipped",
        ]}
        rows={pixels.map((p) => [
          <Link key={p.code} to={linkTo(p.code)}>
            {p.label}
          </Link>,
          p.summary.ordersSeen,
          p.summary.sent,
          p.summary.failed,
          p.summary.pending,
          p.summary.skipped,
        ])}
        totals={[
          "",
          total.ordersSeen,
          total.sent,
          total.failed,
          total.pending,
          total.skipped,
        ]}
        totalsName={{ singular: "All pixels", plural: "All pixels" }}
        showTotalsInFooter
      />
      <Text as="p" tone="subdued" variant="bodySm">
        Each pixel gets its own Purchase of an order, so the total counts an
        order once per pixel that received it.
      </Text>
    </BlockStack>
  );
}

export function PixelKeysTable({
  pixels,
  total,
}: {
  pixels: PixelRow[];
  total: Total;
}) {
  // The keys any Purchase of the week carried; the others would be columns of zeros.
  const keys = total.matchKeyShare.filter((share) => share.count > 0);
  const shareOf = (summary: Total, key: string) =>
    summary.matchKeyShare.find((s) => s.key === key)?.percent ?? null;
  return (
    <BlockStack gap="200">
      <Text as="h3" variant="headingSm">
        Match keys by pixel
      </Text>
      <DataTable
        columnContentTypes={[
          "text",
          "numeric",
          ...keys.map(() => "numeric" as const),
        ]}
        headings={["Pixel", "Sent or pending", ...keys.map((k) => k.label)]}
        rows={pixels.map((p) => [
          p.label,
          p.summary.matchKeyBase,
          ...keys.map((k) => pct(shareOf(p.summary, k.key))),
        ])}
        totals={["", total.matchKeyBase, ...keys.map((k) => pct(k.percent))]}
        totalsName={{ singular: "All pixels", plural: "All pixels" }}
        showTotalsInFooter
      />
    </BlockStack>
  );
}
