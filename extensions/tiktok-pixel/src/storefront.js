// TikTok Events storefront capture: the readable source of assets/storefront.js.
// Do not edit the asset: edit this file, then `node extensions/tiktok-pixel/build.mjs`
// (esbuild minifies it; test/storefront/build.test.ts fails when the two differ).
// Behaviour, config (data-tt-config) and cookies are documented in blocks/tiktok-pixel.liquid.
//
// Size matters (goal: under 2 KB gzipped), so the code takes short paths:
// - every entry point from the page (listeners, hooks, callbacks) runs inside `guard` or
//   a promise's catch, or does nothing that can throw before handing over to a guarded
//   function, so nothing we do can throw into the theme;
// - values that may be missing stay `undefined`, which JSON.stringify drops (the app
//   proxy rejects empty strings and nulls);
// - the block renders contents in TikTok's shape, so they pass through as they are;
// - names are spelled out here; the minifier shortens them (string literals stay).
((w, d) => {
  if (w.__ttsf) return; // the embed was rendered twice
  w.__ttsf = 1;

  const realFetch = w.fetch;
  const THIRTY_DAYS = 2592e3; // cookie max-age, seconds
  // Ajax API and form endpoints that change the cart (/cart/add, /cart/add.js, ...)
  const CART = /\/cart\/(add|change|update|clear)\b/;

  // data-tt-config: a JSON array in this order (positions, not keys, keep it small); the
  // block documents each entry.
  let pixels; // the pixel codes: every event goes to each of them
  let proxy;
  let currency;
  let external; // merchant setting: another app loads the pixels
  let mine = []; // the codes this script loaded (not found on the page): it fires their page views
  let search; // the page shows search results (terms: ?q=)
  let product; // product pages: the selected variant as a content
  let variants; // variant id -> price, product pages only ({} elsewhere)
  let attributes; // our hidden cart attributes as the cart has them (null when missing)

  let on; // consent given: capture is running
  let pageSent; // PageView (and ViewContent / Search) fired on this page
  let sessionId;
  let queue = [];

  const guard = (f) => {
    try {
      return f();
    } catch (x) {
      // contained: the storefront must never see our errors
    }
  };
  const ignore = () => {};
  // JSON text -> value; anything else (or invalid JSON) -> fallback
  const parse = (x, fallback) => guard(() => JSON.parse(x)) || fallback;

  // Cookies. A missing or empty cookie reads as undefined.
  const getCookie = (name) =>
    guard(() =>
      decodeURIComponent(d.cookie.match("(^|; )" + name + "=([^;]+)")[2]),
    );
  // Storefronts are https; browsers also accept Secure cookies on http://127.0.0.1 (tests).
  const setCookie = (name, value, maxAge) =>
    (d.cookie = `${name}=${encodeURIComponent(value)};path=/;max-age=${maxAge};SameSite=Lax;Secure`);
  const cartToken = () => getCookie("cart")?.split("?")[0]; // without its ?key= secret
  // 32 random hex characters (event ids, session id)
  const randomId = () => crypto.randomUUID().replace(/-/g, "");
  // (the proxy reads any content type; /cart/update.js needs this one)
  const post = (url, body) =>
    realFetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
      keepalive: !0,
    }).catch(ignore);

  const properties = (contents) => ({
    currency,
    content_type: "product",
    contents,
    value:
      +contents
        .reduce((v, c) => v + (c.price || 0) * c.quantity, 0)
        .toFixed(2) || void 0,
  });

  // One event: to each pixel (with the proxy's event_id, so TikTok deduplicates each pixel's
  // pair) and queued for the proxy. The queue is sent at the end of the current task, so
  // events that fire together travel in one body, and an event fired as the page navigates
  // away (a form submit) leaves before the navigation starts.
  const send = (event, props) => {
    if (!on) return;
    // The page we report, for the web pixel (extensions/tiktok-web-pixel), which relays
    // storefront events itself only on pages where it does not find this cookie: refreshed with
    // each event, as another tab may have written its own page meanwhile.
    setCookie("_tt_pg", location.pathname, 1800);
    const event_id = randomId();
    queue.push({
      event,
      event_id,
      event_time: (Date.now() / 1e3) >>> 0,
      properties: props,
    }) < 2 && queueMicrotask(() => guard(flush));
    // ttq.instance(code) addresses one pixel of several on the page (TikTok's base code defines
    // it; https://github.com/tiktok/gtm-template-pixel/issues/16), where ttq.track would fire to
    // every pixel there, other apps' included. Another app's base code fires its own page view.
    pixels.map((code) =>
      guard(() =>
        event == "PageView"
          ? mine.includes(code) && w.ttq.instance(code).page()
          : w.ttq.instance(code).track(event, props, { event_id }),
      ),
    );
  };

  // The proxy takes up to 50 events per body.
  const flush = () => {
    while (queue[0]) {
      const body = JSON.stringify({
        v: 1,
        session_id: sessionId,
        consent: "granted",
        ttclid: getCookie("_tt_ttclid"),
        ttp: getCookie("_ttp"),
        cart_token: cartToken(),
        page: { url: location.href, referrer: d.referrer || void 0 },
        events: queue.splice(0, 50),
      });
      navigator.sendBeacon(proxy, body) || post(proxy, body);
    }
  };

  // Hidden cart attributes (they reach the order's note_attributes): written once a cart
  // exists, when they differ from what the cart has (`attributes`; its null for a missing
  // one equals our undefined under !=).
  const writeAttributes = () => {
    const ours = {
      _tt_sid: sessionId,
      _tt_ttclid: getCookie("_tt_ttclid"),
      _ttp: getCookie("_ttp"),
    };
    on &&
      cartToken() &&
      Object.keys(ours).some((n) => ours[n] != attributes[n]) &&
      post(
        "/cart/update.js",
        JSON.stringify({ attributes: (attributes = ours) }),
      );
  };

  // A /cart/add body (JSON, form data or query string) -> { variantId: quantity }
  const quantities = (body) => {
    const byId = {};
    body = parse(body, Object.fromEntries(new URLSearchParams(body)));
    (body.items || [body]).map((i) => (byId[i.id] = +i.quantity || 1));
    return byId;
  };
  // Contents from the page's snapshot: prices from `variants`, the name from `product`.
  const fromPage = (byId) =>
    Object.keys(byId)
      .filter((id) => id > 0)
      .map((id) => ({
        ...(id in variants && product),
        content_id: id,
        price: variants[id],
        quantity: byId[id],
      }));
  const addToCart = (contents) =>
    contents[0] && send("AddToCart", properties(contents));
  // After a successful AJAX add. `response`: its body (JSON text or a parsed object: one
  // line item or {items}); when it is unreadable, the request body and the page stand in.
  const ajaxAdded = (response, body) =>
    guard(() => {
      const byId = quantities(body);
      response = parse(response, response);
      const lines = (response?.items || [response])
        .filter((i) => i?.variant_id)
        .map((i) => ({
          content_id: "" + i.variant_id,
          content_name: i.product_title,
          price: i.final_price / 100 || void 0, // never NaN (it would become null)
          quantity: byId[i.variant_id] || i.quantity || 1,
        }));
      addToCart(lines[0] ? lines : fromPage(byId));
      writeAttributes();
    });
  // InitiateCheckout is not guessed here from a checkout click: the checkout web pixel
  // (extensions/tiktok-web-pixel) reports checkout_started, and the app sends it once per
  // checkout as <checkout token>_InitiateCheckout, so a click here would count it twice.
  // A request or form URL: true for an add to cart.
  const cartRequest = (url) => (url = CART.exec(url)) && url[1] == "add";

  // TikTok's standard base code, cut to what we and events.js use: the ttq queue stub
  // (page/track/identify, instance, load, and the _i/_t/_o records events.js reads when it
  // replaces the stub and replays the queues), then events.js for each code not yet loaded by
  // other code (inserted scripts are async).
  const loadPixel = () => {
    const ttq = (w.ttq ||= []);
    const defer = (o) =>
      ["page", "track", "identify"].map(
        (n) => (o[n] = (...a) => o.push([n, ...a])),
      );
    mine = pixels.filter((code) => !ttq._i?.[code]);
    if (!mine[0]) return; // all already loaded by other code
    if (!ttq.load) {
      w.TiktokAnalyticsObject = "ttq";
      defer(ttq);
      ttq.instance = (id) => {
        defer((id = ttq._i[id] || []));
        return id;
      };
      ttq.load = (id, options) => {
        const src = "https://analytics.tiktok.com/i18n/pixel/events.js";
        const s = d.createElement("script");
        ((ttq._i ||= {})[id] = [])._u = src;
        (ttq._t ||= {})[id] = +new Date();
        (ttq._o ||= {})[id] = options || {};
        s.src = src + "?sdkid=" + id + "&lib=ttq";
        d.head.append(s);
      };
    }
    mine.map((code) => ttq.load(code));
  };

  const start = () => {
    if (on) return;
    on = 1;
    const params = new URLSearchParams(location.search);
    const ttclid = params.get("ttclid");
    const query = params.get("q");
    // a newer click id replaces the older one
    ttclid &&
      ttclid.length < 500 &&
      setCookie("_tt_ttclid", ttclid, THIRTY_DAYS);
    setCookie(
      "_tt_sid",
      (sessionId = getCookie("_tt_sid") || randomId()),
      THIRTY_DAYS,
    );
    external || loadPixel();
    if (!pageSent) {
      pageSent = 1;
      send("PageView");
      product && send("ViewContent", properties([product]));
      search && query && send("Search", { query });
    }
    writeAttributes();
  };
  // Consent refused or withdrawn: stop and forget our ids.
  const stop = () => {
    on = 0;
    queue = [];
    setCookie("_tt_ttclid", "", 0);
    setCookie("_tt_sid", "", 0);
    setCookie("_tt_pg", "", 0);
  };
  // Shopify's Customer Privacy API, also when visitorConsentCollected reports a decision
  // (the API reflects it by then). A sale-of-data opt-out always wins; no banner required
  // and no decision made counts as allowed.
  const check = () =>
    guard(() => {
      const privacy = w.Shopify.customerPrivacy;
      privacy.saleOfDataAllowed() &&
      (privacy.marketingAllowed() ||
        (!privacy.currentVisitorConsent().marketing &&
          !privacy.shouldShowBanner()))
        ? start()
        : stop();
    });

  guard(() => {
    [
      pixels,
      proxy,
      currency,
      external,
      search,
      product,
      variants,
      ,
      attributes,
    ] = JSON.parse(d.currentScript.dataset.ttConfig);
    d.addEventListener("visitorConsentCollected", check);
    // The hooks below are installed at once, so they see every cart change; they report
    // nothing until consent (send and writeAttributes check `on`).
    // Bubble phase on window, so the theme's own handlers have run: a prevented submit
    // means the theme adds to cart by AJAX (counted by the fetch/XHR hooks) or stopped it.
    w.addEventListener("submit", (v) =>
      guard(
        () =>
          v.defaultPrevented ||
          (cartRequest(v.target.action) &&
            addToCart(fromPage(quantities(new FormData(v.target))))),
      ),
    );
    // fetch and XHR: recognised by the response's URL, read from a clone (fetch) before
    // the page reads the body.
    w.fetch = (input, init) => {
      const p = realFetch(input, init);
      p.then(
        (r) =>
          cartRequest(r.url) &&
          r.ok &&
          r
            .clone()
            .text()
            .then((text) => ajaxAdded(text, init?.body)),
      ).catch(ignore);
      return p;
    };
    const X = XMLHttpRequest.prototype;
    const xsend = X.send;
    X.send = function (body) {
      this.addEventListener(
        "load",
        () =>
          cartRequest(this.responseURL) &&
          this.status < 300 &&
          ajaxAdded(this.response, body),
      );
      return xsend.call(this, body);
    };
    // Calls back at once when the API is already loaded. On a load error, check() finds
    // no API and (guarded) does nothing.
    w.Shopify.loadFeatures(
      [{ name: "consent-tracking-api", version: "0.1" }],
      check,
    );
  });
})(window, document);
