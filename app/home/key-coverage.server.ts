// Loads what the key-coverage text needs: the 7-day summary groups (from the day summary, a
// few rows), whether the checkout web pixel is connected and whether the app embed reported.
import prisma from "~/db.server";
import { loadSummaryGroups } from "~/delivery-log/delivery-log.server";
import { summaryWindowStart } from "~/delivery-log/summary";
import { getShopSettings } from "~/settings/settings.server";
import { describeKeyCoverage, type KeyCoverage } from "./key-coverage";

type Settings = Awaited<ReturnType<typeof getShopSettings>>;

/** The embed is evidently on when the storefront script reported since `since`. */
export async function storefrontReportedSince(
  shop: string,
  since: Date,
): Promise<boolean> {
  const seen = await prisma.attributionSession.findFirst({
    where: { shop, lastSeenAt: { gte: since } },
    select: { id: true },
  });
  return Boolean(seen);
}

/** For the settings page (the home page reuses its own reads); `known.settings` if loaded already. */
export async function loadKeyCoverage(
  shop: string,
  now: Date = new Date(),
  known: { settings?: Settings } = {},
): Promise<KeyCoverage> {
  const since = summaryWindowStart(now);
  const [groups, settings, storefrontSeen] = await Promise.all([
    loadSummaryGroups(shop, since),
    known.settings !== undefined ? known.settings : getShopSettings(shop),
    storefrontReportedSince(shop, since),
  ]);
  return describeKeyCoverage(groups, {
    webPixelConnected: Boolean(settings?.webPixelId && !settings.webPixelError),
    storefrontSeen,
  });
}
