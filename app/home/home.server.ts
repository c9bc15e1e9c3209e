import prisma from "~/db.server";
import { appConfig } from "~/config.server";
import { getShopSettings } from "~/settings/settings.server";
import { loadDeliverySummary } from "~/delivery-log/delivery-log.server";
import { loadLastRun, startRun } from "~/reconciliation/page.server";
import { MAX_BACKFILL_AGE_DAYS } from "~/reconciliation/classify";
import { loadKeyCoverage } from "./key-coverage.server";

export interface ChecklistStep {
  label: string;
  done: boolean;
  to?: string;
  /** A page of the Shopify admin, opened outside the app's frame. */
  href?: string;
  /** Fixed with one click on the home page (the "connect-pixel" action). */
  repair?: boolean;
}

/** The theme editor with our app embed selected (handle = the block's file name). */
export function themeEditorUrl(shop: string, apiKey: string): string {
  return `https://${shop}/admin/themes/current/editor?context=apps&activateAppId=${apiKey}/tiktok-pixel`;
}

export async function loadHome(shop: string, now: Date = new Date()) {
  const [settings, last7Days, storefrontSeen, reconciliation] =
    await Promise.all([
      getShopSettings(shop),
      loadDeliverySummary(shop, { now }),
      // The embed is evidently on when the storefront script reported in the last 7 days.
      prisma.attributionSession.findFirst({
        where: {
          shop,
          lastSeenAt: { gte: new Date(now.getTime() - 7 * 86_400_000) },
        },
        select: { id: true },
      }),
      loadLastRun(shop),
    ]);
  const checklist: ChecklistStep[] = [
    {
      label: "Enter your TikTok pixel code",
      done: Boolean(settings?.pixelCode),
      to: "/app/settings",
    },
    {
      label: "Add an Events API access token",
      done: Boolean(settings?.accessTokenCiphertext),
      to: "/app/settings",
    },
    {
      label: storefrontSeen
        ? "TikTok pixel app embed: storefront events received in the last 7 days"
        : "Turn on the TikTok pixel app embed in your theme (Themes → Customize → App embeds)",
      done: Boolean(storefrontSeen),
      href: themeEditorUrl(shop, appConfig().apiKey),
    },
    settings?.webPixelId && !settings.webPixelError
      ? {
          label: "Checkout web pixel connected",
          done: true,
        }
      : {
          label: settings?.webPixelError
            ? `Checkout web pixel not connected: ${settings.webPixelError}`
            : "Connect the checkout web pixel",
          done: false,
          repair: true,
        },
  ];
  const installRun = await prisma.reconciliationRun.findFirst({
    where: { shop, trigger: "install" },
    orderBy: { startedAt: "desc" },
    select: { status: true, backfilled: true },
  });
  // Optional, off unless the merchant asks: orders from before the app was set up.
  const installBackfill = {
    available: Boolean(settings?.pixelCode && settings.accessTokenCiphertext),
    maxDays: MAX_BACKFILL_AGE_DAYS,
    run: installRun,
  };
  // Which keys the week's Purchases carried, and which journeys lose them (issue 13.3).
  const keyCoverage = await loadKeyCoverage(shop, now, {
    settings,
    storefrontSeen: Boolean(storefrontSeen),
  });
  return { checklist, last7Days, reconciliation, installBackfill, keyCoverage };
}

/** The setup checklist's "send the last N days' orders": validated, then run in the background. */
export async function startInstallBackfill(shop: string, daysInput: unknown) {
  const days = Number(daysInput);
  if (!Number.isInteger(days) || days < 1 || days > MAX_BACKFILL_AGE_DAYS)
    return {
      ok: false,
      status: 400,
      message: `Choose between 1 and ${MAX_BACKFILL_AGE_DAYS} days.`,
    };
  const settings = await getShopSettings(shop);
  if (!settings?.pixelCode || !settings.accessTokenCiphertext)
    return {
      ok: false,
      status: 409,
      message: "Enter your pixel code and access token first.",
    };
  return startRun(shop, "install", { windowDays: days, backfill: true });
}
