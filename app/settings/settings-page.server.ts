import { parseSettingsForm, type FieldErrors } from "./settings-form";
import {
  saveShopSettings,
  toSettingsView,
  type SettingsView,
} from "./settings.server";
import {
  loadShopPixels,
  readPixelToken,
  recordTestResult,
  sendingPixels,
  UnreadableTokenError,
} from "~/pixels/pixels.server";
import { publishPixelCodes } from "./pixel-metafield.server";
import { sendTestEvent } from "~/tiktok/test-event.server";
import { errorSummary, logger } from "~/observability/logger.server";
import { connectWebPixel } from "~/checkout/web-pixel.server";
import { loadKeyCoverage } from "~/home/key-coverage.server";

export interface TestEventView {
  ok: boolean;
  summary: string;
  details?: string;
}

export interface SettingsActionResult {
  ok: boolean;
  status: number;
  settings?: SettingsView;
  errors?: FieldErrors;
  message?: string;
  warning?: string;
  testEvent?: TestEventView;
}

type Admin = Parameters<typeof publishPixelCodes>[0];

export async function loadSettingsPage(shop: string, now: Date = new Date()) {
  const shopPixels = await loadShopPixels(shop);
  return {
    settings: toSettingsView(shopPixels),
    keyCoverage: await loadKeyCoverage(shop, now, {
      settings: shopPixels.settings,
    }),
  };
}

export async function handleSettingsAction(
  shop: string,
  admin: Admin,
  form: FormData,
): Promise<SettingsActionResult> {
  const intent = form.get("intent");
  if (intent === "save") return save(shop, admin, form);
  if (intent === "sendTestEvent") return testEvent(shop);
  return { ok: false, status: 400, message: "Unknown action." };
}

async function save(
  shop: string,
  admin: Admin,
  form: FormData,
): Promise<SettingsActionResult> {
  const existing = await loadShopPixels(shop);
  const first = existing.pixels[0];
  const parsed = parseSettingsForm(form, Boolean(first?.accessTokenCiphertext));
  if (!parsed.ok) return { ok: false, status: 422, errors: parsed.errors };

  const saved = await saveShopSettings(shop, parsed.value);
  if (!saved.ok)
    return { ok: false, status: 422, errors: { [saved.field]: saved.message } };
  let warning: string | undefined;
  const codes = (shopPixels: typeof existing) =>
    sendingPixels(shopPixels)
      .map((p) => p.pixelCode)
      .join(",");
  const now = await loadShopPixels(shop);
  if (codes(existing) !== codes(now) || !existing.settings) {
    try {
      await publishPixelCodes(
        admin,
        sendingPixels(now).map((p) => p.pixelCode),
      );
    } catch (error) {
      // The settings are saved; the storefront keeps the previous pixel until the next save.
      logger().error(
        { shop, error: errorSummary(error) },
        "pixel metafield update failed",
      );
      warning =
        "Saved, but Shopify did not accept the pixel code for the storefront. Save again in a minute.";
    }
  }
  // Create or update the checkout web pixel; the outcome shows in the setup checklist, which
  // offers a repair when it failed, so the save itself does not depend on it.
  const pixel = await connectWebPixel(admin, shop);
  if (!pixel.ok)
    logger().error(
      { component: "settings", shop, reason: pixel.message },
      "checkout web pixel not connected",
    );
  return { ok: true, status: 200, settings: toSettingsView(now), warning };
}

async function testEvent(shop: string): Promise<SettingsActionResult> {
  const row = (await loadShopPixels(shop)).pixels[0];
  if (!row?.accessTokenCiphertext) {
    return {
      ok: false,
      status: 200,
      testEvent: {
        ok: false,
        summary: "Save a pixel code and an access token first.",
      },
    };
  }
  if (!row.testEventCode) {
    return {
      ok: false,
      status: 200,
      testEvent: {
        ok: false,
        summary:
          "Add a test event code first (TikTok Events Manager → your pixel → Test events), then save.",
      },
    };
  }
  let accessToken: string | null;
  try {
    accessToken = readPixelToken(row);
  } catch (error) {
    if (error instanceof UnreadableTokenError) {
      return {
        ok: false,
        status: 200,
        testEvent: { ok: false, summary: error.message },
      };
    }
    throw error;
  }
  const result = await sendTestEvent({
    pixelCode: row.pixelCode,
    accessToken: accessToken ?? "",
    testEventCode: row.testEventCode,
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
      ok: result.ok,
      summary: result.summary,
      details: details ? `TikTok answered: ${details}.` : undefined,
    },
  };
}
