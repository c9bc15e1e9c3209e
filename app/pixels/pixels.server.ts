// A shop's TikTok pixels: every write the settings pages make (uninstall and shop/redact, in
// app/compliance, erase tokens and rows), and the cached read the ingest routes fan events out from.
import { Prisma, type Pixel, type ShopSettings } from "@prisma/client";
import prisma from "~/db.server";
import { appConfig } from "~/config.server";
import { decryptSecret, encryptSecret } from "~/credentials/encryption.server";
import type { PixelInput } from "~/settings/settings-form";

/** A shop feeds at most this many pixels (the settings page refuses the next one). */
export const MAX_PIXELS = 10;

export interface ShopPixels {
  /** The shop's own settings (purchase trigger, install state); null before the first save. */
  settings: ShopSettings | null;
  /** Every pixel, enabled or not, oldest first. */
  pixels: Pixel[];
}

export async function loadShopPixels(shop: string): Promise<ShopPixels> {
  const settings = await prisma.shopSettings.findUnique({
    where: { shop },
    include: { pixels: { orderBy: [{ createdAt: "asc" }, { id: "asc" }] } },
  });
  if (!settings) return { settings: null, pixels: [] };
  const { pixels, ...rest } = settings;
  return { settings: rest, pixels };
}

// The webhook and app proxy hot paths read a shop's pixels on every request; a short in-process
// cache saves that read. A save in this process invalidates it at once; other processes (a
// separate worker, other web processes) see a change within PIXELS_CACHE_MS.
const PIXELS_CACHE_MS = 2_000;
const cache = new Map<string, { value: ShopPixels; expires: number }>();

export async function loadShopPixelsCached(shop: string): Promise<ShopPixels> {
  const hit = cache.get(shop);
  if (hit && hit.expires > Date.now()) return hit.value;
  const value = await loadShopPixels(shop);
  cache.set(shop, { value, expires: Date.now() + PIXELS_CACHE_MS });
  if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
  return value;
}

export function forgetCachedPixels(shop: string): void {
  cache.delete(shop);
}

/** The pixels new events go to: the app installed, the pixel on. */
export function sendingPixels({ settings, pixels }: ShopPixels): Pixel[] {
  if (!settings || settings.uninstalledAt) return [];
  return pixels.filter((p) => p.enabled);
}

/** After an (re)install: the shop's pixels take events again. */
export async function markInstalled(shop: string): Promise<void> {
  const changed = await prisma.shopSettings.updateMany({
    where: { shop, uninstalledAt: { not: null } },
    data: { uninstalledAt: null },
  });
  if (changed.count > 0) forgetCachedPixels(shop);
}

export type PixelWriteResult =
  | { ok: true; pixel: Pixel }
  | { ok: false; field: "pixelCode" | "pixels" | "id"; message: string };

const DUPLICATE_CODE =
  "This shop already sends to a pixel with this code. Edit that pixel instead.";

function tokenFields(shop: string, accessToken: string | undefined) {
  if (!accessToken) return {};
  return {
    accessTokenCiphertext: encryptSecret(
      accessToken,
      appConfig().encryptionKey,
      shop,
    ),
    accessTokenLast4: accessToken.slice(-4),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof Prisma.PrismaClientKnownRequestError &&
    error.code === "P2002"
  );
}

/** Adds a pixel; refuses a code the shop already has, and an 11th pixel. */
export async function createPixel(
  shop: string,
  input: PixelInput,
): Promise<PixelWriteResult> {
  const { accessToken, ...fields } = input;
  try {
    const pixel = await prisma.$transaction(async (tx) => {
      await tx.shopSettings.upsert({
        where: { shop },
        create: { shop },
        update: { uninstalledAt: null },
      });
      // Counted inside the transaction that inserts: two tabs adding at once cannot pass 10 on
      // SQLite (one writer); on PostgreSQL the settings row's upsert above serialises them.
      const count = await tx.pixel.count({ where: { shop } });
      if (count >= MAX_PIXELS) return null;
      return tx.pixel.create({
        data: { shop, ...fields, ...tokenFields(shop, accessToken) },
      });
    });
    forgetCachedPixels(shop);
    if (!pixel)
      return {
        ok: false,
        field: "pixels",
        message: `A shop can send to at most ${MAX_PIXELS} pixels. Remove one first.`,
      };
    return { ok: true, pixel };
  } catch (error) {
    if (isUniqueViolation(error))
      return { ok: false, field: "pixelCode", message: DUPLICATE_CODE };
    throw error;
  }
}

/** Changes one of the shop's pixels; an empty token keeps the saved one. */
export async function updatePixel(
  shop: string,
  id: string,
  input: PixelInput,
): Promise<PixelWriteResult> {
  const { accessToken, ...fields } = input;
  // Only a merchant in the installed app saves a pixel (the same as createPixel's upsert).
  await markInstalled(shop);
  try {
    const updated = await prisma.$transaction(async (tx) => {
      // Another code is another TikTok pixel: it gets events from now on.
      await tx.pixel.updateMany({
        where: { id, shop, pixelCode: { not: fields.pixelCode } },
        data: { sendingSince: new Date() },
      });
      return tx.pixel.updateMany({
        where: { id, shop },
        data: { ...fields, ...tokenFields(shop, accessToken) },
      });
    });
    forgetCachedPixels(shop);
    if (updated.count === 0)
      return { ok: false, field: "id", message: "No such pixel in this shop." };
    return {
      ok: true,
      pixel: await prisma.pixel.findUniqueOrThrow({ where: { id } }),
    };
  } catch (error) {
    if (isUniqueViolation(error))
      return { ok: false, field: "pixelCode", message: DUPLICATE_CODE };
    throw error;
  }
}

/** Turns a pixel on or off without touching anything else. */
export async function setPixelEnabled(
  shop: string,
  id: string,
  enabled: boolean,
): Promise<boolean> {
  const updated = await prisma.$transaction(async (tx) => {
    // Turned back on: it gets events from now on (what it missed while off is not owed).
    if (enabled)
      await tx.pixel.updateMany({
        where: { id, shop, enabled: false },
        data: { sendingSince: new Date() },
      });
    return tx.pixel.updateMany({ where: { id, shop }, data: { enabled } });
  });
  forgetCachedPixels(shop);
  return updated.count > 0;
}

/**
 * Removes a pixel and its token. Its deliveries stay in the log (they name the pixel code) until
 * retention removes them; what is still queued for it fails with a reason (the worker finds no
 * pixel for the code).
 */
export async function removePixel(shop: string, id: string): Promise<boolean> {
  const removed = await prisma.pixel.deleteMany({ where: { id, shop } });
  forgetCachedPixels(shop);
  return removed.count > 0;
}

export interface TestResult {
  ok: boolean;
  code: number | null;
  message: string | null;
}

/** TikTok's answer to the pixel's last test event, shown next to the pixel. */
export async function recordTestResult(
  shop: string,
  id: string,
  result: TestResult,
  at: Date = new Date(),
): Promise<void> {
  await prisma.pixel.updateMany({
    where: { id, shop },
    data: {
      lastTestAt: at,
      lastTestOk: result.ok,
      lastTestCode: result.code,
      lastTestMessage: result.message?.slice(0, 500) ?? null,
    },
  });
}

export class UnreadableTokenError extends Error {
  constructor() {
    super(
      "The saved access token cannot be decrypted (was ENCRYPTION_KEY changed?). Enter the token again.",
    );
  }
}

/** Decrypts a pixel's token for a send. Never log or return the result to a browser. */
export function readPixelToken(
  pixel: Pick<Pixel, "shop" | "accessTokenCiphertext">,
): string | null {
  if (!pixel.accessTokenCiphertext) return null;
  try {
    // The ciphertext is bound to the shop (associated data), not to the row: tokens saved
    // before pixels had rows of their own still decrypt.
    return decryptSecret(
      pixel.accessTokenCiphertext,
      appConfig().encryptionKey,
      pixel.shop,
    );
  } catch {
    throw new UnreadableTokenError();
  }
}
