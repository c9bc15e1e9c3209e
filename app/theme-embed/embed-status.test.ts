import { describe, expect, it } from "vitest";
import { embedSetting, isOurEmbed, parseSettingsData } from "./embed-status";

const UID = "0a4c1e57-5b8d-4c1a-9e11-3f1d2c6b7a90";
const OURS = `shopify://apps/tiktok-events/blocks/tiktok-pixel/${UID}`;

describe("parseSettingsData", () => {
  it("skips Shopify's generated comment before the JSON", () => {
    expect(
      parseSettingsData('/*\n * auto-generated\n */\n{"current":{"a":1}}'),
    ).toEqual({ current: { a: 1 } });
  });

  it("keeps a comment-like string inside a value", () => {
    expect(
      parseSettingsData('{"current":{"note":"/* not a comment */"}}'),
    ).toEqual({ current: { note: "/* not a comment */" } });
  });

  it("accepts a byte-order mark and several leading comments", () => {
    expect(parseSettingsData('\uFEFF/* a */ /* b */ {"x":true}')).toEqual({
      x: true,
    });
  });

  it("reads comments anywhere and a trailing comma, as theme JSON files may have them", () => {
    expect(
      parseSettingsData(
        '{"current": {\n  // a line comment\n  "blocks": {"a": {"type": "x", /* inline */ "disabled": true,},},\n}}',
      ),
    ).toEqual({ current: { blocks: { a: { type: "x", disabled: true } } } });
  });

  it("returns null for an unterminated comment, broken JSON or a non-object", () => {
    expect(parseSettingsData("/* open")).toBeNull();
    expect(parseSettingsData('{"current":')).toBeNull();
    expect(parseSettingsData("[1,2]")).toBeNull();
    expect(parseSettingsData("")).toBeNull();
  });
});

describe("isOurEmbed", () => {
  it("matches our block handle under any app handle, or the exact extension uid", () => {
    expect(isOurEmbed(OURS, null)).toBe(true);
    expect(isOurEmbed(OURS, UID)).toBe(true);
    expect(isOurEmbed(OURS, "another-uid")).toBe(false);
  });

  it("refuses other blocks and non-strings", () => {
    expect(
      isOurEmbed(`shopify://apps/x/blocks/tiktok-pixel-2/${UID}`, null),
    ).toBe(false);
    expect(isOurEmbed(`shopify://apps/x/blocks/tiktok-pixel`, null)).toBe(
      false,
    );
    expect(isOurEmbed("tiktok-pixel", null)).toBe(false);
    expect(isOurEmbed(undefined, null)).toBe(false);
  });
});

describe("embedSetting", () => {
  const withBlocks = (blocks: unknown) => ({ current: { blocks } });

  it("enabled when our block is present and not disabled", () => {
    expect(embedSetting(withBlocks({ a: { type: OURS } }))).toBe("enabled");
    expect(
      embedSetting(withBlocks({ a: { type: OURS, disabled: false } })),
    ).toBe("enabled");
  });

  it("disabled when our block says so (boolean or the string Shopify sometimes writes)", () => {
    expect(
      embedSetting(withBlocks({ a: { type: OURS, disabled: true } })),
    ).toBe("disabled");
    expect(
      embedSetting(withBlocks({ a: { type: OURS, disabled: "true" } })),
    ).toBe("disabled");
  });

  it("enabled when one of two copies of our block is on", () => {
    expect(
      embedSetting(
        withBlocks({
          a: { type: OURS, disabled: true },
          b: { type: OURS, disabled: false },
        }),
      ),
    ).toBe("enabled");
  });

  it("missing without blocks, without ours, or when only another extension uid matches", () => {
    expect(embedSetting({ current: {} })).toBe("missing");
    expect(embedSetting({})).toBe("missing");
    expect(
      embedSetting(
        withBlocks({
          a: { type: "shopify://apps/y/blocks/chat/1", disabled: false },
        }),
      ),
    ).toBe("missing");
    expect(embedSetting(withBlocks({ a: { type: OURS } }), "other-uid")).toBe(
      "missing",
    );
  });

  it("follows `current` when it names a preset", () => {
    expect(
      embedSetting({
        current: "Default",
        presets: { Default: { blocks: { a: { type: OURS, disabled: true } } } },
      }),
    ).toBe("disabled");
  });
});
