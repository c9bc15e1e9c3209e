// The settings page (route app.settings): the shop's pixels as a list, each with its last
// delivery and last test event, the shop-wide purchase trigger, and the key-coverage card.
// Adding and editing a pixel happen on their own page (./pixel-editor.server.ts).
import prisma from "~/db.server";
import {
  loadShopPixels,
  MAX_PIXELS,
  readPixelToken,
  recordTestResult,
  removePixel,
  setPixelEnabled,
  UnreadableTokenError,
} from "~/pixels/pixels.server";
import { sendTestEvent } from "~/tiktok/test-event.server";
import { loadKeyCoverage } from "~/home/key-coverage.server";
import {
  DEFAULT_SETTINGS,
  parsePurchaseTrigger,
  type PurchaseTrigger,
} from "./settings-form";
import { saveShopWide, toPixelView } from "./settings.server";
import { afterPixelChange, type Admin } from "./pixel-changes.server";
import {
  describeLastDelivery,
  describeLastTest,
  type StatusLine,
} from "./pixel-list";

/** One row of the list: never the token or its ciphertext. */
export interface PixelListItem {
  id: string;
  name: string;
  pixelCode: string;
  enabled: boolean;
  accessTokenLast4: string | null;
  lastDelivery: StatusLine;
  lastTest: StatusLine;
}

export async function loadSettingsPage(shop: string, now: Date = new Date()) {
  const shopPixels = await loadShopPixels(shop);
  const [lastDeliveries, keyCoverage] = await Promise.all([
    Promise.all(shopPixels.pixels.map((p) => lastDelivery(shop, p.pixelCode))),
    loadKeyCoverage(shop, now, { settings: shopPixels.settings }),
  ]);
  const pixels: PixelListItem[] = shopPixels.pixels.map((p, i) => ({
    id: p.id,
    name: p.name,
    pixelCode: p.pixelCode,
    enabled: p.enabled,
    accessTokenLast4: p.accessTokenCiphertext ? p.accessTokenLast4 : null,
    lastDelivery: describeLastDelivery(lastDeliveries[i], now),
    lastTest: describeLastTest(toPixelView(p).lastTest, now),
  }));
  return {
    pixels,
    maxPixels: MAX_PIXELS,
    purchaseTrigger:
      (shopPixels.settings?.purchaseTrigger as PurchaseTrigger | undefined) ??
      DEFAULT_SETTINGS.purchaseTrigger,
    keyCoverage,
  };
}

/** The newest delivery to this pixel: one read on the (shop, pixelCode, createdAt) index. */
function lastDelivery(shop: string, pixelCode: string) {
  return prisma.delivery.findFirst({
    where: { shop, pixelCode },
    orderBy: { createdAt: "desc" },
    select: {
      status: true,
      lastError: true,
      createdAt: true,
      deliveredAt: true,
      lastAttemptAt: true,
    },
  });
}

export interface TestEventView {
  pixelName: string;
  ok: boolean;
  summary: string;
  details?: string;
}

export interface SettingsActionResult {
  ok: boolean;
  status: number;
  message?: string;
  warning?: string;
  errors?: { purchaseTrigger?: string };
  testEvent?: TestEventView;
}

export async function handleSettingsAction(
  shop: string,
  admin: Admin,
  form: FormData,
): Promise<SettingsActionResult> {
  const intent = String(form.get("intent") ?? "");
  const id = String(form.get("id") ?? "");
  if (intent === "purchaseTrigger") return saveTrigger(shop, form);
  if (intent === "setEnabled")
    return setEnabled(shop, admin, id, form.get("enabled"));
  if (intent === "remove") return remove(shop, admin, id);
  if (intent === "sendTestEvent") return testEvent(shop, id);
  return { ok: false, status: 400, message: "Unknown action." };
}

const NOT_FOUND: SettingsActionResult = {
  ok: false,
  status: 404,
  message: "No such pixel in this shop.",
};

async function saveTrigger(
  shop: string,
  form: FormData,
): Promise<SettingsActionResult> {
  const parsed = parsePurchaseTrigger(form.get("purchaseTrigger"));
  if (!parsed.ok)
    return {
      ok: false,
      status: 422,
      errors: { purchaseTrigger: parsed.error },
    };
  await saveShopWide(shop, { purchaseTrigger: parsed.value });
  return { ok: true, status: 200 };
}

async function setEnabled(
  shop: string,
  admin: Admin,
  id: string,
  value: FormDataEntryValue | null,
): Promise<SettingsActionResult> {
  if (value !== "true" && value !== "false")
    return { ok: false, status: 400, message: "Say on or off." };
  const before = await loadShopPixels(shop);
  if (!(await setPixelEnabled(shop, id, value === "true"))) return NOT_FOUND;
  return {
    ok: true,
    status: 200,
    ...(await afterPixelChange(shop, admin, before)),
  };
}

/** Removes the pixel and its token; its deliveries stay in the log. */
async function remove(
  shop: string,
  admin: Admin,
  id: string,
): Promise<SettingsActionResult> {
  const before = await loadShopPixels(shop);
  if (!(await removePixel(shop, id))) return NOT_FOUND;
  return {
    ok: true,
    status: 200,
    ...(await afterPixelChange(shop, admin, before)),
  };
}

async function testEvent(
  shop: string,
  id: string,
): Promise<SettingsActionResult> {
  const row = (await loadShopPixels(shop)).pixels.find((p) => p.id === id);
  if (!row) return NOT_FOUND;
  const notSent = (summary: string): SettingsActionResult => ({
    ok: false,
    status: 200,
    testEvent: { pixelName: row.name, ok: false, summary },
  });
  if (!row.accessTokenCiphertext)
    return notSent("Save an access token for this pixel first.");
  if (!row.testEventCode)
    return notSent(
      "Add a test event code to this pixel first (TikTok Events Manager → your pixel → Test events), then save.",
    );
  let accessToken: string | null;
  try {
    accessToken = readPixelToken(row);
  } catch (error) {
    if (error instanceof UnreadableTokenError) return notSent(error.message);
    throw error;
  }
  const result = await sendTestEvent({
    pixelCode: row.pixelCode,
    accessToken: accessToken ?? "",
    testEventCode: row.testEventCode,
    eventName: row.purchaseEventName,
    shopDomain: shop,
  });
  const { outcome } = result;
  await recordTestResult(shop, row.id, {
    ok: result.ok,
    code: outcome.code,
    message: outcome.message,
  });
  const details = [
    outcome.code !== null ? `code ${outcome.code}` : null,
    outcome.message ? `message "${outcome.message}"` : null,
    outcome.requestId ? `request_id ${outcome.requestId}` : null,
    outcome.httpStatus !== null ? `HTTP ${outcome.httpStatus}` : null,
  ]
    .filter(Boolean)
    .join(", ");
  return {
    ok: result.ok,
    status: 200,
    testEvent: {
      pixelName: row.name,
      ok: result.ok,
      summary: result.summary,
      details: details ? `TikTok answered: ${details}.` : undefined,
    },
  };
}
