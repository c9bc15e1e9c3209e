// Installs the demo shop in the demo database the way a real install leaves it: an offline
// session (so authenticate.admin needs no token exchange) and saved settings with an
// encrypted TikTok token. Runs in the demo's app process, after the app build is loaded
// (it shares the app's Prisma client and reads the same DATABASE_URL and ENCRYPTION_KEY).
import prisma from "~/db.server";
import { saveShopSettings } from "~/settings/settings.server";
import { DEFAULT_SETTINGS } from "~/settings/settings-form";
import { DEMO_SCOPES } from "./journey";

export interface DemoShopSeed {
  shop: string;
  /** The offline Admin API token (answered by the demo's Admin API stand-in). */
  adminAccessToken: string;
  pixelCode: string;
  tiktokAccessToken: string;
}

export async function seedDemoShop(seed: DemoShopSeed): Promise<void> {
  await prisma.session.create({
    data: {
      id: `offline_${seed.shop}`,
      shop: seed.shop,
      state: "installed",
      isOnline: false,
      scope: DEMO_SCOPES,
      accessToken: seed.adminAccessToken,
    },
  });
  await saveShopSettings(seed.shop, {
    ...DEFAULT_SETTINGS,
    pixelCode: seed.pixelCode,
    accessToken: seed.tiktokAccessToken,
    consentPolicy: "limited",
  });
}
