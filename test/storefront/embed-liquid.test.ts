// The app embed's Liquid (extensions/tiktok-pixel/blocks/tiktok-pixel.liquid) rendered by a real
// Liquid engine (liquidjs, which implements Shopify's Liquid language; Shopify-only filters such
// as asset_url are stood in) against the objects Shopify gives a theme: the data-tt-config it
// renders must be exactly what the storefront tests' fixture serves (embedConfig), so the
// Chromium tests run the script on the config the real block produces.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Liquid, type TagToken, type TopLevelToken } from "liquidjs";
import { embedConfig, PRODUCT, type EmbedConfig } from "./fixture";

const BLOCK = readFileSync(
  "extensions/tiktok-pixel/blocks/tiktok-pixel.liquid",
  "utf8",
);
const ASSET = "https://cdn.shopify.com/extensions/0000/assets/storefront.js";

function engine(): Liquid {
  // Unknown filters throw, so a filter Shopify has and liquidjs lacks cannot pass silently.
  const liquid = new Liquid({ strictFilters: true });
  // Shopify's json renders nil as null (liquidjs's renders nothing); otherwise the same.
  liquid.registerFilter("json", (value: unknown) =>
    JSON.stringify(value ?? null),
  );
  liquid.registerFilter("asset_url", (name: string) =>
    name === "storefront.js" ? ASSET : `unknown asset ${name}`,
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

interface Page {
  metafields?: { pixel_codes?: string[]; pixel_code?: string };
  pageType?: string;
  product?: boolean;
  cartAttributes?: Record<string, string>;
  external?: boolean;
  rootUrl?: string;
}

/** What Shopify hands the block: shop metafields, routes, cart, request, product, settings. */
async function render(page: Page): Promise<string> {
  const variants = PRODUCT.variants.map((v) => ({
    id: Number(v.id),
    title: v.title,
    price: v.cents,
  }));
  const meta = page.metafields ?? {};
  return engine().parseAndRender(BLOCK, {
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
    product: page.product
      ? {
          title: PRODUCT.title,
          variants,
          selected_or_first_available_variant: variants[0],
        }
      : null,
    block: { settings: { pixel_loaded_elsewhere: page.external ?? false } },
  });
}

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
