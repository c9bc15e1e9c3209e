// Saves a shop's settings the way the settings page does, defaults filled in.
import type { SettingsInput } from "../../app/settings/settings-form";

export async function configureShop(
  shop: string,
  settings: Pick<SettingsInput, "pixelCode" | "accessToken"> &
    Partial<SettingsInput>,
): Promise<void> {
  const { DEFAULT_SETTINGS } = await import("../../app/settings/settings-form");
  const { saveShopSettings } =
    await import("../../app/settings/settings.server");
  await saveShopSettings(shop, { ...DEFAULT_SETTINGS, ...settings });
}
