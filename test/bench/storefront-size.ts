// Size of the storefront script as shipped by the theme app extension:
// raw bytes on disk (theme-check's AssetSizeJavaScript limit: 10,000) and
// compressed sizes (our goal: under 2 KB gzipped).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

export type BenchReport = { name: string; lines: string[] };

export const STOREFRONT_SCRIPT = fileURLToPath(
  new URL(
    "../../extensions/tiktok-pixel/assets/storefront.js",
    import.meta.url,
  ),
);
export const RAW_LIMIT_BYTES = 10_000;
export const GZIP_GOAL_BYTES = 2_048;

export type StorefrontSize = { raw: number; gzip: number; brotli: number };

export async function measureStorefrontScript(
  file: string = STOREFRONT_SCRIPT,
): Promise<StorefrontSize> {
  const source = await readFile(file);
  return {
    raw: source.length,
    gzip: gzipSync(source, { level: 9 }).length,
    brotli: brotliCompressSync(source, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
    }).length,
  };
}

export async function run(): Promise<BenchReport> {
  const s = await measureStorefrontScript();
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(0)}%`;
  return {
    name: "storefront script size",
    lines: [
      `raw ${s.raw} B (limit ${RAW_LIMIT_BYTES} B, ${pct(s.raw, RAW_LIMIT_BYTES)} used)`,
      `gzip -9 ${s.gzip} B (goal < ${GZIP_GOAL_BYTES} B: ${s.gzip < GZIP_GOAL_BYTES ? "met" : "not met"})`,
      `brotli 11 ${s.brotli} B`,
    ],
  };
}
