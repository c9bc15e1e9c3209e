import { parseSettingsForm, type FieldErrors } from "./settings-form";
import {
  getShopSettings,
  readAccessToken,
  saveShopSettings,
  toSettingsView,
  UnreadableTokenError,
  type SettingsView,
} from "./settings.server";
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
  const settings = await getShopSettings(shop);
  return {
    settings: toSettingsView(settings),
    keyCoverage: await loadKeyCoverage(shop, now, { settings }),
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
  const existing = await getShopSettings(shop);
  const parsed = parseSettingsForm(
    form,
    Boolean(existing?.accessTokenCiphertext),
  );
  if (!parsed.ok) return { ok: false, status: 422, errors: parsed.errors };

  const saved = await saveShopSettings(shop, parsed.value);
  let warning: string | undefined;
  if (existing?.pixelCode !== saved.pixelCode || !existing) {
    try {
      await publishPixelCodes(admin, [parsed.value.pixelCode]);
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
  return { ok: true, status: 200, settings: toSettingsView(saved), warning };
}

async function testEvent(shop: string): Promise<SettingsActionResult> {
  const row = await getShopSettings(shop);
  if (!row?.pixelCode || !row.accessTokenCiphertext) {
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
    accessToken = readAccessToken(row);
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
