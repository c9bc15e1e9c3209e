import { getShopSettings } from "~/settings/settings.server";

export interface ChecklistStep {
  label: string;
  done: boolean;
  to?: string;
}

export async function loadHome(shop: string) {
  const settings = await getShopSettings(shop);
  const checklist: ChecklistStep[] = [
    { label: "Enter your TikTok pixel code", done: Boolean(settings?.pixelCode), to: "/app/settings" },
    { label: "Add an Events API access token", done: Boolean(settings?.accessTokenCiphertext), to: "/app/settings" },
    {
      label: "Turn on the TikTok pixel app embed in your theme (Online Store → Themes → Customize → App embeds)",
      done: false,
    },
  ];
  return { checklist };
}
