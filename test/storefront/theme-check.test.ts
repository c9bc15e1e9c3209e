// theme-check over the theme app extension, with the theme-app-extension config
// plus AssetSizeJavaScript (the block renders its own deferred script tag).
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  measureStorefrontScript,
  RAW_LIMIT_BYTES,
} from "../bench/storefront-size";
import {
  EXTENSION_ROOT,
  formatOffense,
  runThemeCheck,
} from "../support/theme-check";

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

describe("theme app extension", () => {
  it("has no theme-check errors", async () => {
    const { offenses, errors } = await runThemeCheck();
    expect(errors.map((o) => formatOffense(o))).toEqual([]);
    // warnings are printed for a reviewer, not hidden
    for (const o of offenses) console.log(formatOffense(o));
  });

  it("keeps the storefront script under the 10,000-byte limit on disk", async () => {
    const { raw } = await measureStorefrontScript();
    expect(raw).toBeLessThan(RAW_LIMIT_BYTES);
  });

  it("would report an oversized script and a parser-blocking tag (the checks are live)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tte-check-"));
    temps.push(dir);
    await cp(EXTENSION_ROOT, dir, { recursive: true });
    await writeFile(
      path.join(dir, "assets/storefront.js"),
      `/*${"x".repeat(RAW_LIMIT_BYTES)}*/`,
    );
    const block = path.join(dir, "blocks/tiktok-pixel.liquid");
    await writeFile(
      block,
      (await readFile(block, "utf8")).replace(
        " defer data-tt-config",
        " data-tt-config",
      ),
    );
    const { errors } = await runThemeCheck(dir);
    expect(errors.map((o) => o.check).sort()).toEqual([
      "AssetSizeJavaScript",
      "ParserBlockingScript",
    ]);
  });
});
