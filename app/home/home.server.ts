import prisma from "~/db.server";
import { appConfig } from "~/config.server";
import { loadShopPixels, sendingPixels } from "~/pixels/pixels.server";
import { loadSummaryGroups } from "~/delivery-log/delivery-log.server";
import {
  summarizeByPixel,
  summarizeDeliveries,
  summaryWindowStart,
} from "~/delivery-log/summary";
import { pixelChoices } from "~/delivery-log/pixels";
import { loadLastRun, startRun } from "~/reconciliation/page.server";
import { MAX_BACKFILL_AGE_DAYS } from "~/reconciliation/classify";
import type { GraphqlAdmin } from "~/checkout/web-pixel.server";
import {
  EMBED_BLOCK_HANDLE,
  type EmbedStatus,
} from "~/theme-embed/embed-status";
import { readEmbedStatus } from "~/theme-embed/embed-status.server";
import { describeKeyCoverage } from "./key-coverage";
import { storefrontReportedSince } from "./key-coverage.server";

export interface ChecklistStep {
  label: string;
  done: boolean;
  to?: string;
  /** A page of the Shopify admin, opened outside the app's frame. */
  href?: string;
  /** Fixed with one click on the home page (the "connect-pixel" action). */
  repair?: boolean;
}

/**
 * The live theme's editor on the App embeds panel with our embed selected and switched on, for the
 * merchant to save (https://shopify.dev/docs/apps/build/online-store/theme-app-extensions/configuration#app-embed-block-deep-linking).
 */
export function themeEditorUrl(shop: string, apiKey: string): string {
  return `https://${shop}/admin/themes/current/editor?context=apps&activateAppId=${apiKey}/${EMBED_BLOCK_HANDLE}`;
}

/**
 * The setup step for the theme app embed: what the live theme's settings say (when Shopify could
 * be asked), and whether storefront events arrived in the last 7 days, which proves it runs.
 */
export function embedStep(
  embed: EmbedStatus,
  storefrontSeen: boolean,
  editorUrl: string,
  webPixelConnected = false,
): ChecklistStep & { embed: EmbedStatus } {
  // Without the embed the checkout web pixel still reports the storefront's events, server-side
  // only (README, "Storefront fallback"); the browser pixel and its _ttp need the embed.
  const meanwhile =
    webPixelConnected && embed.state !== "enabled" && !storefrontSeen
      ? ". Meanwhile the checkout web pixel reports page views, product views, add-to-carts and searches to TikTok from the server, without the browser pixel."
      : "";
  const step = (label: string, done: boolean) => ({
    label: done ? label : label + meanwhile,
    done,
    href: editorUrl,
    embed,
  });
  switch (embed.state) {
    case "enabled":
      return step(
        storefrontSeen
          ? `TikTok pixel app embed is on in your live theme “${embed.themeName}”, and storefront events arrived in the last 7 days`
          : `TikTok pixel app embed is on in your live theme “${embed.themeName}”; no storefront events in the last 7 days yet (visit your store to check)`,
        true,
      );
    case "disabled":
      return step(
        `TikTok pixel app embed is turned off in your live theme “${embed.themeName}”: turn it on (Customize → App embeds)`,
        false,
      );
    case "missing":
      return step(
        `Turn on the TikTok pixel app embed in your live theme “${embed.themeName}” (Customize → App embeds)`,
        false,
      );
    case "unknown":
      return step(
        storefrontSeen
          ? `TikTok pixel app embed: storefront events arrived in the last 7 days (the theme could not be checked: ${embed.reason})`
          : `Turn on the TikTok pixel app embed in your theme (Customize → App embeds); the theme could not be checked: ${embed.reason}`,
        storefrontSeen,
      );
  }
}

export async function loadHome(
  shop: string,
  now: Date = new Date(),
  admin?: GraphqlAdmin,
) {
  const since = summaryWindowStart(now);
  // One read of the week's summary groups feeds both the figures and the key coverage.
  const [shopPixels, groups, storefrontSeen, reconciliation, embed] =
    await Promise.all([
      loadShopPixels(shop),
      loadSummaryGroups(shop, since),
      // The embed is evidently on when the storefront script reported in the last 7 days.
      storefrontReportedSince(shop, new Date(now.getTime() - 7 * 86_400_000)),
      loadLastRun(shop),
      admin
        ? readEmbedStatus(admin)
        : Promise.resolve<EmbedStatus>({
            state: "unknown",
            reason: "not checked",
          }),
    ]);
  const { settings, pixels } = shopPixels;
  const tokensSet = pixelsReady(shopPixels);
  const webPixelConnected = Boolean(
    settings?.webPixelId && !settings.webPixelError,
  );
  const checklist: ChecklistStep[] = [
    {
      label: "Enter your TikTok pixel code",
      done: pixels.length > 0,
      to: pixels.length > 0 ? "/app/settings" : "/app/settings/pixels/new",
    },
    {
      label:
        pixels.length > 1
          ? "Add each pixel's Events API access token"
          : "Add an Events API access token",
      done: tokensSet,
      to: "/app/settings",
    },
    embedStep(
      embed,
      storefrontSeen,
      themeEditorUrl(shop, appConfig().apiKey),
      webPixelConnected,
    ),
    webPixelConnected
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
    available: tokensSet,
    maxDays: MAX_BACKFILL_AGE_DAYS,
    run: installRun,
  };
  // Per pixel only when there is more than one to tell apart (a pixel removed during the week
  // counts): one pixel's page stays as it was.
  const choices = pixelChoices(
    pixels,
    groups.flatMap((g) => (g.pixelCode ? [g.pixelCode] : [])),
  );
  return {
    checklist,
    last7Days: summarizeDeliveries(groups, since),
    last7DaysByPixel:
      choices.length > 1 ? summarizeByPixel(groups, since, choices) : [],
    reconciliation,
    installBackfill,
    embed,
    // Which keys the week's Purchases carried, and which journeys lose them.
    keyCoverage: describeKeyCoverage(groups, {
      webPixelConnected,
      storefrontSeen,
    }),
  };
}

/** Every pixel that is on has its token (and there is one). */
function pixelsReady(shopPixels: Parameters<typeof sendingPixels>[0]): boolean {
  const on = sendingPixels(shopPixels);
  return on.length > 0 && on.every((p) => Boolean(p.accessTokenCiphertext));
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
  if (!pixelsReady(await loadShopPixels(shop)))
    return {
      ok: false,
      status: 409,
      message: "Enter your pixel code and access token first.",
    };
  return startRun(shop, "install", { windowDays: days, backfill: true });
}
