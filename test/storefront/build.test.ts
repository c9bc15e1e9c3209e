// The shipped storefront script is a build output: assets/storefront.js must be exactly
// what extensions/tiktok-pixel/build.mjs makes of src/storefront.js, so nobody edits one
// without the other. Also holds the script to its size goal (under 2 KB gzipped), and each
// extra pixel code to at most 40 B gzipped in the embed's tag.
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ASSET,
  SOURCE,
  buildStorefront,
} from "../../extensions/tiktok-pixel/build.mjs";
import {
  GZIP_GOAL_BYTES,
  PER_PIXEL_GOAL_BYTES,
  STOREFRONT_SCRIPT,
  embedTag,
  measureEmbedTag,
  measureStorefrontScript,
  pixelCodes,
} from "../bench/storefront-size";

const BUILD_SCRIPT = fileURLToPath(
  new URL("../../extensions/tiktok-pixel/build.mjs", import.meta.url),
);

describe("storefront script build", () => {
  it("ships exactly what build.mjs makes of src/storefront.js", async () => {
    expect(ASSET).toBe(STOREFRONT_SCRIPT);
    const [source, asset, built] = await Promise.all([
      readFile(SOURCE, "utf8"),
      readFile(ASSET, "utf8"),
      buildStorefront(),
    ]);
    // the source is the readable one: comments and full names, not the minified text
    expect(source.length).toBeGreaterThan(2 * built.length);
    // on failure: run `node extensions/tiktok-pixel/build.mjs` and commit both files
    expect(asset).toBe(built);
  });

  it("has a --check mode for CI that agrees", () => {
    const run = spawnSync(process.execPath, [BUILD_SCRIPT, "--check"], {
      encoding: "utf8",
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("keeps the shipped script under the 2 KB gzip goal", async () => {
    const { gzip } = await measureStorefrontScript();
    expect(gzip).toBeLessThan(GZIP_GOAL_BYTES);
  });

  it("adds at most 40 B gzipped to the page per extra pixel code (the script itself does not grow)", () => {
    // the measured tag is the block's own output (rendered by liquidjs), carrying the codes
    const codes = pixelCodes(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^C[A-Z0-9]{19}$/);
    expect(embedTag(codes)).toContain(
      `data-tt-config="[[${codes.map((c) => `&quot;${c}&quot;`).join(",")}]`,
    );
    const [one, ...more] = measureEmbedTag([1, 2, 10]);
    for (const t of more) {
      expect(t.gzip).toBeGreaterThan(one.gzip);
      expect((t.gzip - one.gzip) / (t.pixels - 1)).toBeLessThanOrEqual(
        PER_PIXEL_GOAL_BYTES,
      );
    }
  });
});
