// A local imitation of a Shopify storefront for the storefront script tests:
// pages that carry the app embed's config as blocks/tiktok-pixel.liquid renders
// it, a stub Shopify Customer Privacy API, stub /cart/add(.js), /cart/update.js
// and /cart endpoints, and a stub app proxy endpoint that records every body.
import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

export const SCRIPT_PATH = fileURLToPath(
  new URL(
    "../../extensions/tiktok-pixel/assets/storefront.js",
    import.meta.url,
  ),
);
export const SCRIPT_URL_PATH =
  "/cdn/extensions/tiktok-pixel/assets/storefront.js";
export const PROXY_PATH = "/apps/tiktok-events/collect";
export const PIXEL_CODE = "CTEST0PIXEL0001";
/** A shop's second pixel, for the pages with several. */
export const PIXEL_CODE_2 = "CTEST0PIXEL0002";
export const TTP = "stub.ttp.0001";

export type ConsentMode =
  | "granted" // visitor accepted marketing in the banner
  | "denied" // visitor declined marketing
  | "pending" // banner shown, no decision yet
  | "no-banner" // region without a banner, no decision
  | "sale-opt-out"; // no banner, but the visitor opted out of the sale of data

export type ProxyEvent = {
  event: string;
  event_id: string;
  event_time: number;
  properties: Record<string, unknown>;
};
export type ProxyBody = {
  v: number;
  session_id: string;
  consent: string;
  ttclid?: string;
  ttp?: string;
  cart_token?: string;
  page: { url: string; referrer?: string };
  events: ProxyEvent[];
};
export type CartLine = { id: string; name: string; price: number; qty: number };

/** A content in TikTok's shape, as the block renders it. */
export type Content = {
  content_id: string;
  content_name?: string;
  price?: number;
  quantity: number;
};
export const CART_ATTRIBUTE_NAMES = ["_tt_sid", "_tt_ttclid", "_ttp"] as const;

/** data-tt-config, named; see blocks/tiktok-pixel.liquid. */
export type EmbedConfig = {
  pixels: string[];
  proxy: string;
  currency: string;
  external: boolean;
  search: boolean;
  product: Content | null;
  variants: Record<string, number>;
  attributes: Record<(typeof CART_ATTRIBUTE_NAMES)[number], string | null>;
};

/** The JSON array the block renders: the same fields, by position. */
export function embedConfig(c: EmbedConfig): unknown[] {
  return [
    c.pixels,
    c.proxy,
    c.currency,
    c.external,
    c.search,
    c.product,
    c.variants,
    0, // once the cart lines; no longer rendered
    c.attributes,
  ];
}

type Variant = { id: string; title: string; cents: number };
export const PRODUCT = {
  title: "Shirt",
  variants: [
    { id: "4440000000001", title: "M", cents: 1999 },
    { id: "4440000000002", title: "L", cents: 2450 },
  ] satisfies Variant[],
};

export type StorefrontOptions = {
  consent?: ConsentMode;
  /** the shop's enabled pixel codes; [PIXEL_CODE] unless given */
  pixels?: string[];
  /** merchant setting "another app already loads the TikTok pixel" */
  external?: boolean;
  /** extra HTML at the top of <head>, before the app embed (e.g. a page-defined ttq) */
  headHtml?: string;
  /** theme scripts that throw, before and after the app embed, and a throwing click handler */
  themeErrors?: boolean;
  /** false: the merchant never enabled the app embed, so pages carry no script of ours */
  embed?: boolean;
};

export type Storefront = {
  origin: string;
  url: (path: string) => string;
  consent: ConsentMode;
  proxyBodies: ProxyBody[];
  /** every proxied event, flattened, with the body it came in */
  events: () => (ProxyEvent & { body: ProxyBody })[];
  cartUpdates: { attributes: Record<string, string> }[];
  /** the cart's attributes as Shopify keeps them (/cart/update.js merges, blank deletes) */
  cartAttributes: Record<string, string>;
  cartAdds: { path: string; contentType: string; body: string }[];
  cartLines: CartLine[];
  /** request log "METHOD path" in arrival order */
  requests: string[];
  close: () => Promise<void>;
};

const esc = (s: string) =>
  s
    .replace(/&/g, "&amp;")
    .replace(/"/g, "&quot;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function cookie(req: http.IncomingMessage, name: string): string | undefined {
  const m = (req.headers.cookie ?? "").match(
    new RegExp(`(?:^|; )${name}=([^;]*)`),
  );
  return m ? decodeURIComponent(m[1]) : undefined;
}

// Shopify's Customer Privacy API as the tests need it; window.__consent(bool)
// plays the banner: it records the choice and fires visitorConsentCollected.
function privacyStub(mode: ConsentMode): string {
  const state = {
    granted: {
      marketing: "yes",
      sale: "",
      banner: true,
      marketingAllowed: true,
      saleAllowed: true,
    },
    // declined, and the banner is no longer due: the "no" must still win
    denied: {
      marketing: "no",
      sale: "",
      banner: false,
      marketingAllowed: false,
      saleAllowed: true,
    },
    pending: {
      marketing: "",
      sale: "",
      banner: true,
      marketingAllowed: false,
      saleAllowed: true,
    },
    // the script must not rely on marketingAllowed() here: no banner + no decision = allowed
    "no-banner": {
      marketing: "",
      sale: "",
      banner: false,
      marketingAllowed: false,
      saleAllowed: true,
    },
    "sale-opt-out": {
      marketing: "",
      sale: "no",
      banner: false,
      marketingAllowed: true,
      saleAllowed: false,
    },
  }[mode];
  return `<script>
  (function () {
    var st = ${JSON.stringify(state)};
    var cp = {
      marketingAllowed: function () { return st.marketingAllowed; },
      saleOfDataAllowed: function () { return st.saleAllowed; },
      shouldShowBanner: function () { return st.banner; },
      currentVisitorConsent: function () { return { marketing: st.marketing, analytics: st.marketing, preferences: "", sale_of_data: st.sale }; }
    };
    window.Shopify = { loadFeatures: function (features, cb) {
      window.__loadFeatures = features;
      setTimeout(function () { window.Shopify.customerPrivacy = cp; cb(); }, 0);
    } };
    window.__consent = function (yes) {
      st.marketing = yes ? "yes" : "no"; st.marketingAllowed = yes;
      document.dispatchEvent(new CustomEvent("visitorConsentCollected", { detail: {
        analyticsAllowed: yes, marketingAllowed: yes, preferencesAllowed: yes, saleOfDataAllowed: true,
        firstPartyMarketingAllowed: yes, thirdPartyMarketingAllowed: yes } }));
    };
  })();
  </script>`;
}

const THEME_ERRORS_HEAD = `<script>window.themeBug.init(); /* theme bug before the embed */</script>`;
const THEME_ERRORS_BODY = `<script>
  document.addEventListener("click", function () { throw new Error("theme bug in click handler"); });
  throw new Error("theme bug after the embed");
</script>`;

export async function startStorefront(
  options: StorefrontOptions = {},
): Promise<Storefront> {
  const script = await readFile(SCRIPT_PATH, "utf8");
  const s: Omit<Storefront, "origin" | "url" | "close"> = {
    consent: options.consent ?? "granted",
    proxyBodies: [],
    events: () =>
      s.proxyBodies.flatMap((body) => body.events.map((e) => ({ ...e, body }))),
    cartUpdates: [],
    cartAttributes: {},
    cartAdds: [],
    cartLines: [],
    requests: [],
  };

  // The app embed as Liquid renders it (see blocks/tiktok-pixel.liquid).
  function embed(
    pageType: string,
    product: boolean,
    hasCart: boolean,
    variantParam: string | null,
  ): string {
    const selected =
      PRODUCT.variants.find((v) => v.id === variantParam) ??
      PRODUCT.variants[0];
    const config = embedConfig({
      pixels: options.pixels ?? [PIXEL_CODE],
      proxy: PROXY_PATH,
      currency: "EUR",
      external: options.external ?? false,
      search: pageType === "search",
      product: product
        ? {
            content_id: selected.id,
            content_name: PRODUCT.title,
            price: selected.cents / 100,
            quantity: 1,
          }
        : null,
      variants: product
        ? Object.fromEntries(PRODUCT.variants.map((v) => [v.id, v.cents / 100]))
        : {},
      // Liquid renders null for an attribute the cart does not have
      attributes: {
        _tt_sid: (hasCart && s.cartAttributes._tt_sid) || null,
        _tt_ttclid: (hasCart && s.cartAttributes._tt_ttclid) || null,
        _ttp: (hasCart && s.cartAttributes._ttp) || null,
      },
    });
    return `<script src="${SCRIPT_URL_PATH}" defer data-tt-config="${esc(JSON.stringify(config))}"></script>`;
  }

  function page(
    title: string,
    pageType: string,
    body: string,
    req: http.IncomingMessage,
    url: URL,
  ): string {
    const product = pageType === "product";
    return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
${privacyStub(s.consent)}
${options.headHtml ?? ""}
${options.themeErrors ? THEME_ERRORS_HEAD : ""}
${options.embed === false ? "" : embed(pageType, product, cookie(req, "cart") !== undefined, url.searchParams.get("variant"))}
</head><body><h1>${esc(title)}</h1>
<nav><a id="home" href="/">Home</a> <a id="about" href="/pages/about">About</a> <a id="cart-link" href="/cart">Cart</a></nav>
${body}
${options.themeErrors ? THEME_ERRORS_BODY : ""}
</body></html>`;
  }

  const productBody = `
<form id="plain-form" action="/cart/add" method="post">
  <select name="id">${PRODUCT.variants.map((v) => `<option value="${v.id}">${v.title}</option>`).join("")}</select>
  <input name="quantity" value="1">
  <button id="plain-add" type="submit">Add to cart</button>
</form>
<form id="ajax-form" action="/cart/add" method="post">
  <input type="hidden" name="id" value="4440000000002">
  <input name="quantity" value="2">
  <button id="ajax-add" type="submit">Add to cart (AJAX)</button>
</form>
<script>
  // Like Dawn's product-form: prevent the navigation, POST the form data by fetch.
  document.getElementById("ajax-form").addEventListener("submit", function (e) {
    e.preventDefault();
    fetch("/cart/add", { method: "POST", headers: { Accept: "application/javascript", "X-Requested-With": "XMLHttpRequest" }, body: new FormData(e.target) })
      .then(function (r) { return r.json(); })
      .then(function (j) { window.__themeAdded = j; });
  });
</script>`;

  const cartBody = () => `
<form id="cart-form" action="/cart" method="post">
  <ul>${s.cartLines.map((l) => `<li>${esc(l.name)} × ${l.qty}</li>`).join("")}</ul>
  <button id="checkout" type="submit" name="checkout">Check out</button>
</form>`;

  function addLines(items: { id: string; quantity: number }[]) {
    return items.map(({ id, quantity }) => {
      const v = PRODUCT.variants.find((x) => x.id === String(id));
      if (!v) throw new Error(`unknown variant ${id}`);
      const line = s.cartLines.find((l) => l.id === v.id);
      if (line) line.qty += quantity;
      else
        s.cartLines.push({
          id: v.id,
          name: PRODUCT.title,
          price: v.cents / 100,
          qty: quantity,
        });
      // the shape of Shopify's /cart/add.js line item (prices in cents)
      return {
        id: Number(v.id),
        variant_id: Number(v.id),
        quantity,
        price: v.cents,
        final_price: v.cents,
        product_title: PRODUCT.title,
        title: `${PRODUCT.title} - ${v.title}`,
      };
    });
  }

  function parseAdd(
    contentType: string,
    body: string,
  ): { id: string; quantity: number }[] {
    if (contentType.includes("application/json")) {
      const j = JSON.parse(body) as {
        items?: { id: number | string; quantity?: number }[];
        id?: string;
        quantity?: number;
      };
      const items = j.items ?? [{ id: j.id ?? "", quantity: j.quantity }];
      return items.map((i) => ({
        id: String(i.id),
        quantity: Number(i.quantity ?? 1),
      }));
    }
    if (contentType.includes("multipart/form-data")) {
      const get = (n: string) =>
        body.match(new RegExp(`name="${n}"\\r\\n\\r\\n([^\\r]*)`))?.[1];
      return [{ id: get("id") ?? "", quantity: Number(get("quantity") ?? 1) }];
    }
    const p = new URLSearchParams(body);
    return [
      { id: p.get("id") ?? "", quantity: Number(p.get("quantity") ?? 1) },
    ];
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      s.requests.push(`${req.method} ${url.pathname}`);
      const body = req.method === "POST" ? await readBody(req) : "";
      const contentType = req.headers["content-type"] ?? "";
      const html = (h: string, headers: http.OutgoingHttpHeaders = {}) => {
        res.writeHead(200, {
          "content-type": "text/html; charset=utf-8",
          ...headers,
        });
        res.end(h);
      };
      const json = (j: unknown, headers: http.OutgoingHttpHeaders = {}) => {
        res.writeHead(200, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(j));
      };
      // Shopify creates the cart on the first add and sets the cart cookie (token?key=secret).
      const cartCookie = (): http.OutgoingHttpHeaders =>
        cookie(req, "cart")
          ? {}
          : {
              "set-cookie": `cart=${encodeURIComponent("c1-7a2abe82733a?key=824bdj25")}; Path=/; SameSite=Lax`,
            };

      if (url.pathname === SCRIPT_URL_PATH) {
        res.writeHead(200, { "content-type": "application/javascript" });
        return res.end(script);
      }
      if (url.pathname === PROXY_PATH && req.method === "POST") {
        s.proxyBodies.push(JSON.parse(body) as ProxyBody);
        res.writeHead(204);
        return res.end();
      }
      if (url.pathname === "/cart/update.js" && req.method === "POST") {
        const update = JSON.parse(body) as {
          attributes: Record<string, string>;
        };
        s.cartUpdates.push(update);
        for (const [n, v] of Object.entries(update.attributes)) {
          if (v) s.cartAttributes[n] = v;
          else delete s.cartAttributes[n];
        }
        return json({
          token: "c1-7a2abe82733a",
          attributes: s.cartUpdates.at(-1)?.attributes,
        });
      }
      if (
        (url.pathname === "/cart/add" || url.pathname === "/cart/add.js") &&
        req.method === "POST"
      ) {
        s.cartAdds.push({ path: url.pathname, contentType, body });
        const lines = addLines(parseAdd(contentType, body));
        const wantsJson =
          url.pathname.endsWith(".js") ||
          /javascript|json/.test(req.headers.accept ?? "");
        if (!wantsJson) {
          res.writeHead(302, { location: "/cart", ...cartCookie() });
          return res.end();
        }
        return json(
          lines.length === 1 && !contentType.includes("json")
            ? lines[0]
            : { items: lines },
          cartCookie(),
        );
      }
      if (url.pathname === "/cart" && req.method === "POST") {
        res.writeHead(302, {
          location: new URLSearchParams(body).has("checkout")
            ? "/checkout"
            : "/cart",
        });
        return res.end();
      }
      if (url.pathname === "/checkout") {
        // Theme app extensions do not run on checkout.
        return html("<!doctype html><title>Checkout</title><h1>Checkout</h1>");
      }
      if (url.pathname === "/")
        return html(page("Home", "index", "", req, url));
      if (url.pathname === "/products/shirt")
        return html(page("Shirt", "product", productBody, req, url));
      if (url.pathname === "/search")
        return html(page("Search", "search", "<p>results</p>", req, url));
      if (url.pathname === "/pages/about")
        return html(page("About", "page", "<p>about</p>", req, url));
      if (url.pathname === "/cart")
        return html(page("Cart", "cart", cartBody(), req, url));
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    })().catch((err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(s, {
    origin,
    url: (path: string) => origin + path,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

// Replaces https://analytics.tiktok.com/i18n/pixel/events.js: takes over the
// ttq queue and each pixel's queue (ttq._i[code], what ttq.instance(code) records before
// the load) like the real pixel, sets its _ttp cookie and reports every call (queued
// before load or made after) through window.__ttqCall(method, args, code), where code is
// the pixel an instance call addresses (undefined for a call on ttq itself, which would
// reach every pixel). The loader requests it once per pixel code; the first copy takes over.
export const EVENTS_JS_STUB = `(function () {
  var q = window.ttq, M = ["page", "track", "identify", "instances", "debug", "on", "off", "once", "ready",
    "alias", "group", "enableCookie", "disableCookie", "holdConsent", "revokeConsent", "grantConsent"];
  if (q.loaded) return;
  q.loaded = true;
  if (!/(^|; )_ttp=/.test(document.cookie)) document.cookie = "_ttp=${TTP}; path=/; max-age=34164000";
  function takeOver(o, code) {
    var queued = o.filter(function (x) { return Array.isArray(x); });
    o.length = 0;
    M.forEach(function (m) { o[m] = function () { window.__ttqCall(m, [].slice.call(arguments), code); }; });
    queued.forEach(function (x) { window.__ttqCall(x[0], x.slice(1), code); });
  }
  var instances = {};
  takeOver(q);
  Object.keys(q._i || {}).forEach(function (code) { takeOver(q._i[code], code); instances[code] = q._i[code]; });
  // a code that was never loaded has no pixel: its calls go nowhere
  q.instance = function (code) { return instances[code] || { page: function () {}, track: function () {} }; };
})();`;

// A ttq that "another app" put on the page before the embed (already loaded, with our first
// pixel); asked to load another code, it reports the call and addresses that pixel from then on.
export const PAGE_TTQ = `<script>
  window.ttq = { _i: {}, page: function () { window.__ttqCall("page", [].slice.call(arguments)); },
    track: function () { window.__ttqCall("track", [].slice.call(arguments)); },
    load: function (code) { window.ttq._i[code] = []; window.__ttqCall("load", [code]); },
    instance: function (code) { return {
      page: function () { window.__ttqCall("page", [].slice.call(arguments), code); },
      track: function () { window.__ttqCall("track", [].slice.call(arguments), code); } }; } };
  window.ttq._i["${PIXEL_CODE}"] = [];
</script>`;
