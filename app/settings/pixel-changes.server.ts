// What follows any change to a shop's pixels (added, edited, turned on or off, removed): the
// storefront learns the enabled codes, and the checkout web pixel is (re)connected.
import {
  loadShopPixels,
  sendingPixels,
  type ShopPixels,
} from "~/pixels/pixels.server";
import { errorSummary, logger } from "~/observability/logger.server";
import { connectWebPixel } from "~/checkout/web-pixel.server";
import { publishPixelCodes } from "./pixel-metafield.server";

export type Admin = Parameters<typeof publishPixelCodes>[0] &
  Parameters<typeof connectWebPixel>[0];

export const METAFIELD_WARNING =
  "Saved, but Shopify did not accept the pixel codes for the storefront, so it still loads the previous ones. Save again in a minute.";

const enabledCodes = (shopPixels: ShopPixels) =>
  sendingPixels(shopPixels).map((p) => p.pixelCode);

/**
 * Publishes the enabled codes, in the list's order, when they differ from `before` (or the shop
 * had no settings row yet); then connects the checkout web pixel. Neither failure undoes the
 * change: a metafield failure comes back as a warning for the merchant, a web pixel failure
 * shows in the home page's setup checklist, which offers a repair.
 */
export async function afterPixelChange(
  shop: string,
  admin: Admin,
  before: ShopPixels,
): Promise<{ warning?: string }> {
  const after = await loadShopPixels(shop);
  const codes = enabledCodes(after);
  let warning: string | undefined;
  if (!before.settings || codes.join(",") !== enabledCodes(before).join(",")) {
    try {
      await publishPixelCodes(admin, codes);
    } catch (error) {
      logger().error(
        { shop, error: errorSummary(error) },
        "pixel metafield update failed",
      );
      warning = METAFIELD_WARNING;
    }
  }
  const pixel = await connectWebPixel(admin, shop);
  if (!pixel.ok)
    logger().error(
      { component: "settings", shop, reason: pixel.message },
      "checkout web pixel not connected",
    );
  return { warning };
}
