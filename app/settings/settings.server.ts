import type { ShopSettings } from "@prisma/client";
import prisma from "~/db.server";
import { appConfig } from "~/config.server";
import { decryptSecret, encryptSecret } from "~/credentials/encryption.server";
import {
  DEFAULT_SETTINGS,
  type ConsentPolicy,
  type PurchaseTrigger,
  type SettingsInput,
  type ValueSource,
} from "./settings-form";

/** What the admin UI may see: never the token or its ciphertext. */
export interface SettingsView {
  pixelCode: string;
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
  purchaseTrigger: PurchaseTrigger;
  consentPolicy: ConsentPolicy;
  valueSource: ValueSource;
  skipTestOrders: boolean;
  skipPosOrders: boolean;
  skipDraftOrders: boolean;
  skipSubscriptionRecurringOrders: boolean;
  updatedAt: string | null;
}

const DEFAULTS: Omit<SettingsView, "updatedAt"> = {
  ...DEFAULT_SETTINGS,
  pixelCode: "",
  accessTokenSet: false,
  accessTokenLast4: null,
  testEventCode: "",
};

export function getShopSettings(shop: string): Promise<ShopSettings | null> {
  return prisma.shopSettings.findUnique({ where: { shop } });
}

// The webhook and app proxy hot paths read settings on every request; a short in-process
// cache saves that read. A save in this process invalidates it at once; other processes
// (a separate worker) see a change within SETTINGS_CACHE_MS.
const SETTINGS_CACHE_MS = 2_000;
const settingsCache = new Map<
  string,
  { row: ShopSettings | null; expires: number }
>();

export async function getShopSettingsCached(
  shop: string,
): Promise<ShopSettings | null> {
  const hit = settingsCache.get(shop);
  if (hit && hit.expires > Date.now()) return hit.row;
  const row = await getShopSettings(shop);
  settingsCache.set(shop, { row, expires: Date.now() + SETTINGS_CACHE_MS });
  if (settingsCache.size > 10_000)
    settingsCache.delete(settingsCache.keys().next().value!);
  return row;
}

export function forgetCachedSettings(shop: string): void {
  settingsCache.delete(shop);
}

export function toSettingsView(row: ShopSettings | null): SettingsView {
  if (!row) return { ...DEFAULTS, updatedAt: null };
  return {
    pixelCode: row.pixelCode ?? "",
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
    purchaseTrigger: row.purchaseTrigger as PurchaseTrigger,
    consentPolicy: row.consentPolicy as ConsentPolicy,
    valueSource: row.valueSource as ValueSource,
    skipTestOrders: row.skipTestOrders,
    skipPosOrders: row.skipPosOrders,
    skipDraftOrders: row.skipDraftOrders,
    skipSubscriptionRecurringOrders: row.skipSubscriptionRecurringOrders,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function saveShopSettings(
  shop: string,
  input: SettingsInput,
): Promise<ShopSettings> {
  const { accessToken, ...rest } = input;
  const tokenFields = accessToken
    ? {
        accessTokenCiphertext: encryptSecret(
          accessToken,
          appConfig().encryptionKey,
          shop,
        ),
        accessTokenLast4: accessToken.slice(-4),
      }
    : {};
  const saved = await prisma.shopSettings.upsert({
    where: { shop },
    create: { shop, ...rest, ...tokenFields, uninstalledAt: null },
    update: { ...rest, ...tokenFields, uninstalledAt: null },
  });
  forgetCachedSettings(shop);
  return saved;
}

export class UnreadableTokenError extends Error {
  constructor() {
    super(
      "The saved access token cannot be decrypted (was ENCRYPTION_KEY changed?). Enter the token again.",
    );
  }
}

/** Decrypts the shop's token for a send. Never log or return the result to a browser. */
export function readAccessToken(
  row: Pick<ShopSettings, "shop" | "accessTokenCiphertext">,
): string | null {
  if (!row.accessTokenCiphertext) return null;
  try {
    return decryptSecret(
      row.accessTokenCiphertext,
      appConfig().encryptionKey,
      row.shop,
    );
  } catch {
    throw new UnreadableTokenError();
  }
}
