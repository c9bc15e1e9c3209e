// The app embed's Liquid (extensions/tiktok-pixel/blocks/tiktok-pixel.liquid) rendered by a real
// Liquid engine (test/support/embed-liquid.ts) against the objects Shopify gives a theme: the
// data-tt-config it renders must be exactly what the storefront tests' fixture serves
// (embedConfig), so the Chromium tests run the script on the config the real block produces.
import { describe, expect, it } from "vitest";
import {
  EMBED_ASSET_URL as ASSET,
  renderEmbedBlock,
  type EmbedPage,
} from "../support/embed-liquid";
import { embedConfig, PRODUCT, type EmbedConfig } from "./fixture";

const render = async (
  page: Omit<EmbedPage, "product"> & { product?: boolean },
) => renderEmbedBlock({ ...page, product: page.product ? PRODUCT : undefined });

/** The config the rendered tag carries, decoded as the browser decodes the attribute. */
function renderedConfig(html: string): unknown {
  const match =
    /<script src="([^"]+)" defer data-tt-config="([^"]*)"><\/script>/.exec(
      html,
    );
  expect(match, html).not.toBeNull();
  expect(match![1]).toBe(ASSET);
  // Escaped into the attribute: no value can close the tag or the attribute.
  expect(match![2]).not.toMatch(/[<>"]/);
  // Character references as an HTML parser reads them (numeric, and the five escape writes).
  const named: Record<string, string> = {
    quot: '"',
    apos: "'",
    lt: "<",
    gt: ">",
    amp: "&",
  };
  const text = match![2].replace(
    /&(?:#(\d+)|#x([0-9a-f]+)|(quot|apos|lt|gt|amp));/gi,
    (_m, dec?: string, hex?: string, name?: string) =>
      dec
        ? String.fromCodePoint(Number(dec))
        : hex
          ? String.fromCodePoint(parseInt(hex, 16))
          : named[name!.toLowerCase()],
  );
  return JSON.parse(text);
}

const BASE: EmbedConfig = {
  pixels: ["CPIXELONE00000001"],
  proxy: "/apps/tiktok-events/collect",
  currency: "EUR",
  external: false,
  search: false,
  product: null,
  variants: {},
  attributes: { _tt_sid: null, _tt_ttclid: null, _ttp: null },
};

describe("the app embed's Liquid renders the config the storefront tests serve", () => {
  it("every enabled pixel code from pixel_codes, in order", async () => {
    const html = await render({
      metafields: {
        pixel_codes: ["CPIXELONE00000001", "CPIXELTWO00000002"],
        pixel_code: "CPIXELONE00000001",
      },
    });
    expect(renderedConfig(html)).toEqual(
      embedConfig({
        ...BASE,
        pixels: ["CPIXELONE00000001", "CPIXELTWO00000002"],
      }),
    );
  });

  it("a shop saved before pixel_codes existed: the old pixel_code, as a list of one", async () => {
    const html = await render({
      metafields: { pixel_code: "  CPIXELONE00000001 " },
    });
    expect(renderedConfig(html)).toEqual(embedConfig(BASE));
  });

  it("no pixel code at all (or a blank one): renders nothing", async () => {
    expect((await render({})).trim()).toBe("");
    expect((await render({ metafields: { pixel_code: "   " } })).trim()).toBe(
      "",
    );
    expect((await render({ metafields: { pixel_codes: [] } })).trim()).toBe("");
  });

  it("a product page: the selected variant as a content, every variant's price", async () => {
    const html = await render({
      metafields: { pixel_codes: ["CPIXELONE00000001"] },
      pageType: "product",
      product: true,
    });
    expect(renderedConfig(html)).toEqual(
      embedConfig({
        ...BASE,
        product: {
          content_id: PRODUCT.variants[0].id,
          content_name: PRODUCT.title,
          price: PRODUCT.variants[0].cents / 100,
          quantity: 1,
        },
        variants: Object.fromEntries(
          PRODUCT.variants.map((v) => [v.id, v.cents / 100]),
        ),
      }),
    );
  });

  it("search results, the merchant's 'loaded elsewhere' switch, the cart's attributes and a market's root URL", async () => {
    const html = await render({
      metafields: { pixel_codes: ["CPIXELONE00000001"] },
      pageType: "search",
      external: true,
      rootUrl: "/en-gb",
      cartAttributes: { _tt_sid: "sid_1", _ttp: 'ttp"<&>' },
    });
    expect(renderedConfig(html)).toEqual(
      embedConfig({
        ...BASE,
        proxy: "/en-gb/apps/tiktok-events/collect",
        search: true,
        external: true,
        attributes: { _tt_sid: "sid_1", _tt_ttclid: null, _ttp: 'ttp"<&>' },
      }),
    );
  });
});
