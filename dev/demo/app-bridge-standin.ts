// A stand-in for Shopify's App Bridge script (https://cdn.shopify.com/shopifycloud/app-bridge.js)
// so the embedded admin pages open in an ordinary browser tab, served only by the demo server.
// It gives the pages the surface they use: `window.shopify` (config, idToken, toast), session
// tokens on same-origin fetches, the <ui-nav-menu> navigation, and the session-token bounce page.

export const APP_BRIDGE_CDN_URL =
  "https://cdn.shopify.com/shopifycloud/app-bridge.js";
export const DEMO_PREFIX = "/__demo/";
export const STANDIN_SCRIPT_PATH = "/__demo/app-bridge.js";
export const SESSION_TOKEN_PATH = "/__demo/session-token";
export const EMPTY_CSS_PATH = "/__demo/empty.css";
export const OFFLINE_PATH = "/__demo/offline";

/**
 * Points Shopify CDN URLs in a page at the stand-in or at empty local answers: the demo has no
 * internet. Attribute values change, elements stay, so React hydration still matches.
 */
export function rewriteShopifyCdn(html: string): string {
  return html
    .replaceAll(APP_BRIDGE_CDN_URL, STANDIN_SCRIPT_PATH)
    .replace(/https:\/\/cdn\.shopify\.com\/[^"'\s<>]*\.css/g, EMPTY_CSS_PATH)
    .replace(/https:\/\/cdn\.shopify\.com(\/[^"'\s<>]*)?/g, OFFLINE_PATH);
}

/** The library preloads App Bridge from the CDN through a Link header; preload the stand-in instead. */
export function rewriteLinkHeader(value: string): string | null {
  const rewritten = value.replaceAll(APP_BRIDGE_CDN_URL, STANDIN_SCRIPT_PATH);
  return /cdn\.shopify\.com/.test(rewritten) ? null : rewritten;
}

export interface StandinScriptConfig {
  apiKey: string;
  shop: string;
}

/** The stand-in's source, with the demo shop baked in. Plain ES2020, no build step. */
export function appBridgeStandinScript(config: StandinScriptConfig): string {
  const json = JSON.stringify({
    ...config,
    tokenPath: SESSION_TOKEN_PATH,
  }).replace(/</g, "\\u003c");
  return `/* Demo stand-in for Shopify App Bridge. Never served in production. */
(function () {
  "use strict";
  if (window.shopify) return;
  var cfg = ${json};
  var script = document.currentScript;
  var params = new URLSearchParams(location.search);
  var apiKey = (script && script.getAttribute("data-api-key")) || cfg.apiKey;
  var host = params.get("host") || "";
  var nativeFetch = window.fetch.bind(window);
  var cached = null;
  var pending = null;

  // Session tokens live 60 s; fetch a fresh one when less than 15 s are left.
  function idToken() {
    if (cached && cached.exp * 1000 - Date.now() > 15000) return Promise.resolve(cached.token);
    if (pending) return pending;
    pending = nativeFetch(cfg.tokenPath + "?shop=" + encodeURIComponent(cfg.shop), {
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (r) {
        if (!r.ok) throw new Error("Demo App Bridge: no session token (HTTP " + r.status + ")");
        return r.json();
      })
      .then(function (body) {
        cached = body;
        pending = null;
        return body.token;
      }, function (error) {
        pending = null;
        throw error;
      });
    return pending;
  }

  // Like App Bridge: same-origin requests carry "Authorization: Bearer <session token>".
  window.fetch = function (input, init) {
    var url;
    try {
      url = new URL(input instanceof Request ? input.url : String(input), location.href);
    } catch (e) {
      return nativeFetch(input, init);
    }
    if (url.origin !== location.origin || url.pathname.indexOf("${DEMO_PREFIX}") === 0) {
      return nativeFetch(input, init);
    }
    return idToken().then(function (token) {
      var headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
      if (!headers.has("Authorization")) headers.set("Authorization", "Bearer " + token);
      var next = Object.assign({}, init, { headers: headers });
      return input instanceof Request ? nativeFetch(new Request(input, next)) : nativeFetch(input, next);
    });
  };

  var toastHost = null;
  var toastTimer = 0;
  var toastCount = 0;
  function showToast(message, options) {
    var opts = options || {};
    if (!toastHost) {
      toastHost = document.createElement("div");
      toastHost.id = "demo-app-bridge-toast";
      toastHost.setAttribute("role", "status");
      toastHost.setAttribute("aria-live", "polite");
      toastHost.style.cssText =
        "position:fixed;left:50%;bottom:24px;transform:translateX(-50%);z-index:2147483647;" +
        "padding:10px 16px;border-radius:10px;font:500 14px/20px system-ui,sans-serif;" +
        "box-shadow:0 4px 16px rgba(0,0,0,.25);max-width:90vw";
      document.body.appendChild(toastHost);
    }
    toastHost.textContent = String(message);
    toastHost.dataset.error = opts.isError ? "true" : "false";
    toastHost.style.background = opts.isError ? "#8e1f0b" : "#1a1a1a";
    toastHost.style.color = "#fff";
    toastHost.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(hideToast, opts.duration || 5000);
    toastCount += 1;
    return "toast-" + toastCount;
  }
  function hideToast() {
    if (toastHost) toastHost.hidden = true;
  }

  function noop() {}
  var shopify = {
    config: { apiKey: apiKey, shop: cfg.shop, host: host, locale: "en" },
    environment: { embedded: true, mobile: false, pos: false },
    origin: location.origin,
    idToken: idToken,
    toast: { show: showToast, hide: hideToast },
    loading: noop,
    saveBar: { show: noop, hide: noop, toggle: noop, leaveConfirmation: function () { return Promise.resolve(); } },
    user: function () { return Promise.resolve({ id: 12345, name: "Demo merchant", accountAccess: "Account owner" }); },
  };
  Object.defineProperty(window, "shopify", { value: shopify, configurable: false, writable: false });

  // The admin renders <ui-nav-menu> links in its own sidebar and tells the app through a
  // "shopify:navigate" event (handled by AppProvider). Here they show as a bar above the page.
  // Shadow DOM only: nothing is added to the light DOM React hydrates.
  function define(name, setup) {
    if (window.customElements && !customElements.get(name)) {
      customElements.define(name, class extends HTMLElement {
        connectedCallback() {
          if (!this.shadowRoot) setup(this, this.attachShadow({ mode: "open" }));
        }
      });
    }
  }
  define("ui-nav-menu", function (el, root) {
    root.innerHTML =
      "<style>:host{display:flex;align-items:center;gap:20px;padding:10px 20px;background:#1a1a1a;" +
      "color:#e3e3e3;font:14px/20px system-ui,sans-serif}" +
      "b{color:#fff;margin-right:12px}::slotted(a){color:#fff;text-decoration:none}" +
      "::slotted(a:hover){text-decoration:underline}span{margin-left:auto;opacity:.7}</style>" +
      "<b>Demo admin</b><slot></slot><span></span>";
    root.querySelector("span").textContent = cfg.shop + " (local stand-in for the Shopify admin)";
    el.addEventListener("click", function (event) {
      var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
      if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      event.stopPropagation();
      link.dispatchEvent(new CustomEvent("shopify:navigate", { bubbles: true }));
    }, true);
  });
  // Rendered by the admin outside the app's frame: hidden here (an empty shadow root shows nothing).
  ["ui-title-bar", "ui-save-bar", "ui-modal"].forEach(function (name) { define(name, noop); });

  // Bounce page (/auth/session-token?...&shopify-reload=<url>): reload the page with a token.
  var reload = params.get("shopify-reload");
  if (reload) {
    idToken().then(function (token) {
      var target = new URL(reload, location.href);
      if (target.origin !== location.origin) throw new Error("Demo App Bridge: shopify-reload is not same-origin");
      target.searchParams.set("id_token", token);
      location.replace(target.toString());
    }).catch(function (error) {
      document.body.textContent = String(error && error.message ? error.message : error);
    });
  }
})();
`;
}
