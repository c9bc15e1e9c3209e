// Size of the storefront script as shipped by the theme app extension:
// raw bytes on disk (theme-check's AssetSizeJavaScript limit: 10,000) and
// compressed sizes (our goal: under 2 KB gzipped); and what each extra pixel code adds to
// the page: the script is the same for any number of codes, the embed's config grows
// (goal: at most 40 B gzipped per extra pixel).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { renderEmbedBlock } from "../support/embed-liquid";

export type BenchReport = { name: string; lines: string[] };

export const STOREFRONT_SCRIPT = fileURLToPath(
  new URL(
    "../../extensions/tiktok-pixel/assets/storefront.js",
    import.meta.url,
  ),
);
export const RAW_LIMIT_BYTES = 10_000;
export const GZIP_GOAL_BYTES = 2_048;
export const PER_PIXEL_GOAL_BYTES = 40;

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

/** n pixel codes shaped like TikTok's (C + 19 upper-case letters and digits), the same every run. */
export function pixelCodes(n: number): string[] {
  let seed = 0x2545f491;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from(
    { length: n },
    () =>
      "C" +
      Array.from({ length: 19 }, () => alphabet[(next() >>> 8) % 36]).join(""),
  );
}

/** The embed's script tag as blocks/tiktok-pixel.liquid renders it on a home page, with these pixel codes. */
export function embedTag(codes: string[]): string {
  return renderEmbedBlock({ metafields: { pixel_codes: codes } });
}

export type TagSize = { pixels: number; raw: number; gzip: number };

export function measureEmbedTag(counts = [1, 2, 10]): TagSize[] {
  return counts.map((pixels) => {
    const tag = Buffer.from(embedTag(pixelCodes(pixels)));
    return {
      pixels,
      raw: tag.length,
      gzip: gzipSync(tag, { level: 9 }).length,
    };
  });
}

export async function run(): Promise<BenchReport> {
  const s = await measureStorefrontScript();
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(0)}%`;
  const tags = measureEmbedTag();
  const [one] = tags;
  const perExtra = (t: TagSize) => (t.gzip - one.gzip) / (t.pixels - 1);
  const worst = Math.max(...tags.slice(1).map(perExtra));
  return {
    name: "storefront script size",
    lines: [
      `raw ${s.raw} B (limit ${RAW_LIMIT_BYTES} B, ${pct(s.raw, RAW_LIMIT_BYTES)} used)`,
      `gzip -9 ${s.gzip} B (goal < ${GZIP_GOAL_BYTES} B: ${s.gzip < GZIP_GOAL_BYTES ? "met" : "not met"}), the same for any number of pixels`,
      `brotli 11 ${s.brotli} B`,
      ...tags.map(
        (t) =>
          `embed tag with ${t.pixels} pixel${t.pixels > 1 ? "s" : ""}: ${t.raw} B raw, ${t.gzip} B gzipped` +
          (t.pixels > 1
            ? ` (+${(t.raw - one.raw) / (t.pixels - 1)} B raw, +${perExtra(t).toFixed(1)} B gzipped per extra pixel)`
            : ""),
      ),
      `per extra pixel at most ${worst.toFixed(1)} B gzipped (goal <= ${PER_PIXEL_GOAL_BYTES} B: ${worst <= PER_PIXEL_GOAL_BYTES ? "met" : "not met"})`,
    ],
  };
}
