import { getShopSettings } from "~/settings/settings.server";
import { loadDeliverySummary } from "~/delivery-log/delivery-log.server";

export interface ChecklistStep {
  label: string;
  done: boolean;
  to?: string;
}

export async function loadHome(shop: string, now: Date = new Date()) {
  const [settings, last7Days] = await Promise.all([
    getShopSettings(shop),
    loadDeliverySummary(shop, { now }),
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
      label:
        "Turn on the TikTok pixel app embed in your theme (Online Store → Themes → Customize → App embeds)",
      done: false,
    },
  ];
  return { checklist, last7Days };
}
