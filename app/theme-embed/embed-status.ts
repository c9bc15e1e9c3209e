// Whether the live theme has our app embed turned on, read from the theme's
// config/settings_data.json: every app embed the merchant has touched is an entry of
// `current.blocks`, typed `shopify://apps/<app>/blocks/<block handle>/<extension uid>`, with
// `disabled: true` while it is off; an embed never turned on has no entry at all
// (https://shopify.dev/docs/apps/build/online-store/theme-app-extensions/configuration#detecting-app-blocks-and-app-embed-blocks).
// Embeds are off by default, so "missing" is the state of every new install.
import { parse, type ParseError } from "jsonc-parser";

/** Our embed's block handle: the file name of extensions/tiktok-pixel/blocks/tiktok-pixel.liquid. */
export const EMBED_BLOCK_HANDLE = "tiktok-pixel";

export type EmbedSetting = "enabled" | "disabled" | "missing";

export type EmbedStatus =
  | { state: EmbedSetting; themeName: string }
  | { state: "unknown"; reason: string };

/**
 * settings_data.json as Shopify stores it: JSON with comments (the theme editor writes a
 * generated `/* … *\/` header; theme developers may add more), read by a JSONC parser.
 * Returns null when the text is not such a document holding an object.
 */
export function parseSettingsData(
  text: string,
): Record<string, unknown> | null {
  const errors: ParseError[] = [];
  const value: unknown = parse(text.replace(/^\uFEFF/, ""), errors, {
    allowTrailingComma: true,
  });
  return errors.length === 0 && isRecord(value) ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * True when a block type names our embed. With the extension's uid (Shopify CLI's
 * SHOPIFY_TIKTOK_PIXEL_ID) the match is exact; without it, any app's `tiktok-pixel` block would
 * match, which is why production should set it.
 */
export function isOurEmbed(
  type: unknown,
  extensionId: string | null | undefined,
): boolean {
  if (typeof type !== "string") return false;
  const match = /^shopify:\/\/apps\/[^/]+\/blocks\/([^/]+)\/([^/]+)$/.exec(
    type,
  );
  if (!match || match[1] !== EMBED_BLOCK_HANDLE) return false;
  return !extensionId || match[2] === extensionId;
}

/**
 * The embed's setting in a parsed settings_data.json. `current` is the settings object, or the
 * name of one of `presets` (themes whose settings were never edited).
 */
export function embedSetting(
  settingsData: Record<string, unknown>,
  extensionId?: string | null,
): EmbedSetting {
  let current = settingsData.current;
  if (typeof current === "string" && isRecord(settingsData.presets))
    current = settingsData.presets[current];
  if (!isRecord(current) || !isRecord(current.blocks)) return "missing";
  let found = false;
  for (const block of Object.values(current.blocks)) {
    if (!isRecord(block) || !isOurEmbed(block.type, extensionId)) continue;
    found = true;
    // A theme may hold the block twice (e.g. after a theme import); one enabled copy runs.
    if (block.disabled !== true && block.disabled !== "true") return "enabled";
  }
  return found ? "disabled" : "missing";
}
