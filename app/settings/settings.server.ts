import type { Pixel, ShopSettings } from "@prisma/client";
import prisma from "~/db.server";
import {
  createPixel,
  forgetCachedPixels,
  loadShopPixels,
  updatePixel,
  type PixelWriteResult,
} from "~/pixels/pixels.server";
import {
  DEFAULT_SETTINGS,
  type ConsentPolicy,
  type PurchaseTrigger,
  type SettingsInput,
  type ValueSource,
} from "./settings-form";

/** One pixel as the admin UI may see it: never the token or its ciphertext. */
export interface PixelView {
  id: string | null;
  name: string;
  pixelCode: string;
  enabled: boolean;
  accessTokenSet: boolean;
  accessTokenLast4: string | null;
  testEventCode: string;
  sendPurchase: boolean;
  sendViewContent: boolean;
  sendAddToCart: boolean;
  sendInitiateCheckout: boolean;
  sendAddPaymentInfo: boolean;
  sendCheckoutSteps: boolean;
  sendSearch: boolean;
  purchaseEventName: string;
  consentPolicy: ConsentPolicy;
  valueSource: ValueSource;
  skipTestOrders: boolean;
  skipPosOrders: boolean;
  skipDraftOrders: boolean;
  skipSubscriptionRecurringOrders: boolean;
  /** TikTok's answer to this pixel's last test event. */
  lastTest: {
    at: string;
    ok: boolean;
    code: number | null;
    message: string | null;
  } | null;
  updatedAt: string | null;
}

const { purchaseTrigger: _trigger, ...PIXEL_DEFAULTS } = DEFAULT_SETTINGS;

export function toPixelView(row: Pixel | null): PixelView {
  if (!row)
    return {
      ...PIXEL_DEFAULTS,
      id: null,
      pixelCode: "",
      enabled: true,
      accessTokenSet: false,
      accessTokenLast4: null,
      testEventCode: "",
      lastTest: null,
      updatedAt: null,
    };
  return {
    id: row.id,
    name: row.name,
    pixelCode: row.pixelCode,
    enabled: row.enabled,
    accessTokenSet: Boolean(row.accessTokenCiphertext),
    accessTokenLast4: row.accessTokenCiphertext ? row.accessTokenLast4 : null,
    testEventCode: row.testEventCode ?? "",
    sendPurchase: row.sendPurchase,
    sendViewContent: row.sendViewContent,
    sendAddToCart: row.sendAddToCart,
    sendInitiateCheckout: row.sendInitiateCheckout,
    sendAddPaymentInfo: row.sendAddPaymentInfo,
    sendCheckoutSteps: row.sendCheckoutSteps,
    sendSearch: row.sendSearch,
    purchaseEventName: row.purchaseEventName,
    consentPolicy: row.consentPolicy as ConsentPolicy,
    valueSource: row.valueSource as ValueSource,
    skipTestOrders: row.skipTestOrders,
    skipPosOrders: row.skipPosOrders,
    skipDraftOrders: row.skipDraftOrders,
    skipSubscriptionRecurringOrders: row.skipSubscriptionRecurringOrders,
    lastTest: row.lastTestAt
      ? {
          at: row.lastTestAt.toISOString(),
          ok: row.lastTestOk ?? false,
          code: row.lastTestCode,
          message: row.lastTestMessage,
        }
      : null,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function getShopSettings(shop: string): Promise<ShopSettings | null> {
  return prisma.shopSettings.findUnique({ where: { shop } });
}

/** The shop-wide settings (the purchase trigger); reinstalling clears the uninstall mark. */
export async function saveShopWide(
  shop: string,
  input: { purchaseTrigger: PurchaseTrigger },
): Promise<ShopSettings> {
  const saved = await prisma.shopSettings.upsert({
    where: { shop },
    create: { shop, ...input },
    update: { ...input, uninstalledAt: null },
  });
  forgetCachedPixels(shop);
  return saved;
}

/**
 * Saves the one-form settings: the shop's purchase trigger and its first pixel (created when
 * the shop has none). The demo and the tests configure a shop this way.
 */
export async function saveShopSettings(
  shop: string,
  input: SettingsInput,
): Promise<PixelWriteResult> {
  const { purchaseTrigger, ...pixel } = input;
  await saveShopWide(shop, { purchaseTrigger });
  const { pixels } = await loadShopPixels(shop);
  return pixels[0]
    ? updatePixel(shop, pixels[0].id, pixel)
    : createPixel(shop, pixel);
}
