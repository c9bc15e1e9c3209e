// Builds the shipped storefront script, assets/storefront.js, from its readable source,
// src/storefront.js: esbuild minifies it (no bundling: the script has no imports).
//
//   node extensions/tiktok-pixel/build.mjs          writes the asset
//   node extensions/tiktok-pixel/build.mjs --check  exits 1 when the asset is out of date
//
// test/storefront/build.test.ts runs the same check, so the two cannot drift apart.
// Shopify CLI leaves this file alone (it uploads only files inside the extension's
// folders) and skips src/ through .shopifyignore.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";

export const SOURCE = fileURLToPath(
  new URL("src/storefront.js", import.meta.url),
);
export const ASSET = fileURLToPath(
  new URL("assets/storefront.js", import.meta.url),
);

/** @type {import("esbuild").TransformOptions} */
export const ESBUILD_OPTIONS = {
  loader: "js",
  minify: true,
  // ES2021 keeps `||=`, `?.` and `??` as written (Safari 14+); crypto.randomUUID in the
  // script already needs Safari 15.4 / Chrome 92 / Firefox 95.
  target: "es2021",
  legalComments: "none",
  // keep the project's tsconfig (strict mode) out of this browser script
  tsconfigRaw: {},
};

/** The asset as the current source builds it. @returns {Promise<string>} */
export async function buildStorefront() {
  const { code } = await transform(
    await readFile(SOURCE, "utf8"),
    ESBUILD_OPTIONS,
  );
  return code;
}

async function main() {
  const code = await buildStorefront();
  if (process.argv.includes("--check")) {
    if ((await readFile(ASSET, "utf8")) !== code) {
      console.error(
        `${ASSET} is out of date: run node extensions/tiktok-pixel/build.mjs`,
      );
      process.exit(1);
    }
    return;
  }
  await writeFile(ASSET, code);
  console.log(`wrote ${ASSET} (${Buffer.byteLength(code)} bytes)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
