// The app embed's Liquid (extensions/tiktok-pixel/blocks/tiktok-pixel.liquid) rendered by a real
// Liquid engine: liquidjs implements Shopify's Liquid language; where Shopify's filters differ they
// are stood in (asset_url; json, which Shopify renders as null for nil; escape's entities). Used by the
// block's test and by the storefront size bench, which measures the tag the block renders.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Liquid, type TagToken, type TopLevelToken } from "liquidjs";

const BLOCK = readFileSync(
  fileURLToPath(
    new URL(
      "../../extensions/tiktok-pixel/blocks/tiktok-pixel.liquid",
      import.meta.url,
    ),
  ),
  "utf8",
);
export const EMBED_ASSET_URL =
  "https://cdn.shopify.com/extensions/0000/assets/storefront.js";

function engine(): Liquid {
  // Unknown filters throw, so a filter Shopify has and liquidjs lacks cannot pass silently.
  const liquid = new Liquid({ strictFilters: true });
  liquid.registerFilter("json", (value: unknown) =>
    JSON.stringify(value ?? null),
  );
  // Shopify's escape writes the entities of Ruby's CGI.escapeHTML (liquidjs writes &#34; for ").
  liquid.registerFilter("escape", (value: unknown) =>
    String(value ?? "")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;"),
  );
  liquid.registerFilter("asset_url", (name: string) =>
    name === "storefront.js" ? EMBED_ASSET_URL : `unknown asset ${name}`,
  );
  // {% schema %}: read by Shopify, renders nothing.
  liquid.registerTag("schema", {
    parse(_token: TagToken, remainTokens: TopLevelToken[]) {
      while (remainTokens.length) {
        const token = remainTokens.shift() as { name?: string };
        if (token.name === "endschema") return;
      }
      throw new Error("schema not closed");
    },
    render: () => "",
  });
  return liquid;
}

export interface EmbedPage {
  metafields?: { pixel_codes?: string[]; pixel_code?: string };
  pageType?: string;
  /** The product page's product: title and variants (price in cents); the first is selected. */
  product?: {
    title: string;
    variants: { id: string; title: string; cents: number }[];
  };
  cartAttributes?: Record<string, string>;
  external?: boolean;
  rootUrl?: string;
}

/** The block's output with the objects Shopify hands a theme for this page. */
export function renderEmbedBlock(page: EmbedPage): string {
  const variants = page.product?.variants.map((v) => ({
    id: Number(v.id),
    title: v.title,
    price: v.cents,
  }));
  const meta = page.metafields ?? {};
  return engine()
    .parseAndRenderSync(BLOCK, {
      shop: {
        metafields: {
          "$app:tiktok": {
            ...(meta.pixel_codes
              ? { pixel_codes: { value: meta.pixel_codes } }
              : {}),
            ...(meta.pixel_code !== undefined
              ? { pixel_code: { value: meta.pixel_code } }
              : {}),
          },
        },
      },
      routes: { root_url: page.rootUrl ?? "/" },
      cart: {
        currency: { iso_code: "EUR" },
        attributes: page.cartAttributes ?? {},
      },
      request: { page_type: page.pageType ?? "index" },
      product:
        page.product && variants
          ? {
              title: page.product.title,
              variants,
              selected_or_first_available_variant: variants[0],
            }
          : null,
      block: { settings: { pixel_loaded_elsewhere: page.external ?? false } },
    })
    .trim();
}
