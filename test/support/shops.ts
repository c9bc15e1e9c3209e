// Saves a shop's settings the way the settings page does, defaults filled in.
import type { Prisma, PrismaClient } from "@prisma/client";
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

/**
 * Gives a shop a pixel row as it is stored (the settings row created when missing), for tests
 * that seed fields directly, token ciphertext included; the in-process pixel cache is dropped.
 */
export async function seedPixel(
  prisma: PrismaClient,
  shop: string,
  data: Omit<Prisma.PixelUncheckedCreateInput, "shop" | "name"> & {
    name?: string;
  },
  shopWide: Omit<Prisma.ShopSettingsUncheckedCreateInput, "shop"> = {},
) {
  await prisma.shopSettings.upsert({
    where: { shop },
    create: { shop, ...shopWide },
    update: shopWide,
  });
  const pixel = await prisma.pixel.create({
    data: { name: "TikTok pixel", ...data, shop },
  });
  await forgetPixels(shop);
  return pixel;
}

/** Drops the app's in-process cache of a shop's pixels (after a test wrote them directly). */
export async function forgetPixels(shop: string): Promise<void> {
  const { forgetCachedPixels } = await import("../../app/pixels/pixels.server");
  forgetCachedPixels(shop);
}
