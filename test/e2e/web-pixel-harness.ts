// A stand-in for Shopify's web pixel manager on a storefront page, for the browser tests: it runs
// the web pixel's real bundle (extensions/tiktok-web-pixel, as built) in a Web Worker, like the
// strict sandbox (no DOM; cookies only through the async browser.cookie API, answered by the page),
// and publishes the storefront's standard events in their documented shape
// (https://shopify.dev/docs/api/web-pixels-api/standard-events): page_viewed as soon as the page
// starts (before the embed's deferred script), product_viewed on the product page,
// search_submitted on search results, and product_added_to_cart when the test reports an add.
// window.__shopifyRefire() publishes every event of the page again, with the same ids.
import { PRODUCT } from "../storefront/fixture";

export interface HarnessOptions {
  /** The built pixel (buildWebPixel()). */
  bundle: string;
  /** The pixel's relayUrl setting, as a path on the storefront (made absolute on the page). */
  relayPath: string;
  /** Cookies the pixel is told are missing (a signal that failed: an old cached embed script). */
  hideCookies?: string[];
}

/** The <script> to put in the page's <head> (the fixture's headHtml). */
export function webPixelHarnessHtml(options: HarnessOptions): string {
  // Runs in the worker before the bundle: `shopify.extend` hands the pixel its api at once.
  const prelude = `
    var waiting = new Map(), n = 0, subscribers = {};
    var ask = function (op, arg) {
      return new Promise(function (resolve) {
        var id = ++n; waiting.set(id, resolve); postMessage({ ask: id, op: op, arg: arg });
      });
    };
    onmessage = function (m) {
      var d = m.data;
      if (d.answer) { waiting.get(d.answer)(d.value); waiting.delete(d.answer); }
      if (d.event) (subscribers[d.event.name] || []).forEach(function (cb) { cb(d.event); });
    };
    var granted = { analyticsProcessingAllowed: true, marketingAllowed: true,
      preferencesProcessingAllowed: true, saleOfDataAllowed: true };
    self.shopify = { extend: function (_point, cb) {
      cb({
        settings: { relayUrl: RELAY_URL },
        analytics: { subscribe: function (name, cb) { (subscribers[name] = subscribers[name] || []).push(cb); } },
        browser: {
          cookie: { get: function (name) { return ask("cookie", name); }, set: function (cookie) { return ask("setCookie", cookie); } },
          localStorage: {}, sessionStorage: {}
        },
        init: { context: {}, data: { customer: null, cart: null, shop: {} }, customerPrivacy: granted },
        customerPrivacy: { subscribe: function () {} }
      });
    } };
  `;
  const product = {
    title: PRODUCT.title,
    variants: PRODUCT.variants.map((v) => ({
      id: v.id,
      title: v.title,
      price: v.cents / 100,
    })),
  };
  return `<script>
(function () {
  var code = "var RELAY_URL = " + JSON.stringify(new URL(${JSON.stringify(options.relayPath)}, location.href).href) + ";" +
    ${JSON.stringify(prelude + "\n" + options.bundle).replace(/</g, "\\u003c")};
  var hidden = ${JSON.stringify(options.hideCookies ?? [])};
  var worker = new Worker(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
  worker.onmessage = function (m) {
    var d = m.data;
    if (d.op === "setCookie") {
      document.cookie = d.arg;
      worker.postMessage({ answer: d.ask, value: "" });
    }
    if (d.op === "cookie") {
      var found = hidden.indexOf(d.arg) < 0 && document.cookie.match("(^|; )" + d.arg + "=([^;]*)");
      worker.postMessage({ answer: d.ask, value: found ? found[2] : "" });
    }
  };
  var product = ${JSON.stringify(product)};
  var variant = function (id) {
    var v = product.variants.filter(function (x) { return x.id === id; })[0] || product.variants[0];
    return { id: v.id, image: null, price: { amount: v.price, currencyCode: "EUR" },
      product: { id: "8912345670001", title: product.title, type: null, untranslatedTitle: product.title,
        url: "/products/shirt", vendor: "Example" },
      sku: null, title: v.title, untranslatedTitle: v.title };
  };
  var seq = 0, published = [];
  var publish = function (name, data) {
    var url = new URL(location.href);
    var event = { id: "sh-" + crypto.randomUUID(), name: name, type: "standard", seq: ++seq,
      clientId: "client-harness", timestamp: new Date().toISOString(), data: data,
      context: { document: { characterSet: "UTF-8", referrer: document.referrer, title: document.title,
        location: { href: url.href, hash: url.hash, host: url.host, hostname: url.hostname, origin: url.origin,
          pathname: url.pathname, port: url.port, protocol: url.protocol, search: url.search } } } };
    published.push(event);
    worker.postMessage({ event: event });
  };
  publish("page_viewed", {});
  if (location.pathname === "/products/shirt")
    publish("product_viewed", { productVariant: variant(new URLSearchParams(location.search).get("variant")) });
  if (location.pathname === "/search")
    publish("search_submitted", { searchResult: { query: new URLSearchParams(location.search).get("q") || "", productVariants: [] } });
  window.__shopifyCartAdded = function (id, quantity) {
    var v = variant(id);
    publish("product_added_to_cart", { cartLine: { quantity: quantity, merchandise: v,
      cost: { totalAmount: { amount: +(v.price.amount * quantity).toFixed(2), currencyCode: "EUR" } } } });
  };
  window.__shopifyRefire = function () {
    published.forEach(function (event) { worker.postMessage({ event: event }); });
  };
})();
</script>`;
}
