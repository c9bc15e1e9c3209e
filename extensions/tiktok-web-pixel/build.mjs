// Bundles the web pixel (src/index.ts) the way Shopify CLI does (esbuild, one minified
// script) and reports its size against the 4 KB gzip goal. Shopify CLI builds and uploads
// the extension itself (`npm run deploy`); this is the size check and the bundle tests load.
//
//   node extensions/tiktok-web-pixel/build.mjs   prints the size, exits 1 over the goal
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const ENTRY = fileURLToPath(new URL("src/index.ts", import.meta.url));
export const GZIP_GOAL_BYTES = 4096;

/** The bundled pixel as text. @returns {Promise<string>} */
export async function buildWebPixel() {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2020",
    legalComments: "none",
    write: false,
  });
  return result.outputFiles[0].text;
}

/** Raw and gzipped byte sizes of the bundle. */
export async function measureWebPixel() {
  const code = await buildWebPixel();
  return {
    raw: Buffer.byteLength(code),
    gzip: gzipSync(code, { level: 9 }).length,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { raw, gzip } = await measureWebPixel();
  const ok = gzip <= GZIP_GOAL_BYTES;
  console.log(
    `web pixel: ${raw} B raw, ${gzip} B gzipped (goal <= ${GZIP_GOAL_BYTES} gzipped: ${ok ? "met" : "NOT met"})`,
  );
  if (!ok) process.exit(1);
}
