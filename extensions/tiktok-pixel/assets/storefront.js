/*! TikTok Events storefront capture. Behaviour and cookies: see the comment in blocks/tiktok-pixel.liquid.
g guards every entry point (never throws into the page); k/K get/set cookie, r id, e event, f flush to the
app proxy, y cart attributes, P properties, Q quantities by variant id, V items priced from the page snapshot. */
(w => {
  if (w.__ttsf) return; // embed rendered twice
  w.__ttsf = 1;
  let C, on, hooked, pv, sid, tm, pend, dirty, ic = 0, q = [];
  const d = document, L = location, F = w.fetch, M = 2592e3,
    A = /\/cart\/add(\.js(on)?)?([?#]|$)/, CH = /\/cart\/(add|change|update|clear)/,
    g = f => { try { return f(); } catch (x) {} },
    no = () => {},
    k = n => g(() => decodeURIComponent(d.cookie.match('(^|; )' + n + '=([^;]*)')[2])) || '',
    K = (n, v, s) => d.cookie = `${n}=${encodeURIComponent(v)};path=/;max-age=${s};SameSite=Lax${L.protocol == 'https:' ? ';Secure' : ''}`,
    r = () => [...crypto.getRandomValues(new Uint8Array(16))].map(b => (b | 256).toString(16).slice(1)).join(''),
    u = n => new URLSearchParams(L.search).get(n),
    cart = () => k('cart').split('?')[0], // cart token without its ?key= secret
    n2 = v => (v = Math.round(v * 100) / 100) == v ? v : void 0,
    P = a => { // [{id, name, price, qty}] -> TikTok properties
      let v = 0;
      const contents = a.map(i => (v += (i.price || 0) * i.qty, { content_id: '' + i.id, content_name: i.name, price: n2(i.price), quantity: i.qty }));
      return { currency: C.currency, content_type: 'product', contents, value: n2(v) || void 0 };
    };

  const e = (event, properties, now) => { // now: the page is about to navigate away
    if (!on) return;
    const event_id = r(), t = w.ttq;
    q.push({ event, event_id, event_time: Math.floor(Date.now() / 1e3), properties });
    g(() => event == 'PageView' ? C.external || t.page() : t.track(event, properties, { event_id }));
    now ? f() : tm ||= setTimeout(() => g(f), 9);
  };
  const f = () => {
    clearTimeout(tm); tm = 0;
    if (!on || !q.length) return;
    const b = { v: 1, session_id: sid, consent: 'granted', ttclid: k('_tt_ttclid') || void 0, ttp: k('_ttp') || void 0,
      cart_token: cart() || void 0, page: { url: L.href, referrer: d.referrer || void 0 }, events: q.splice(0, 50) };
    const s = JSON.stringify(b);
    g(() => navigator.sendBeacon(C.proxy, s)) || F(C.proxy, { method: 'POST', body: s, keepalive: !0 }).catch(no);
    q.length && f();
  };
  const y = force => { // hidden cart attributes, once a cart exists (or was just added to), only when changed
    const t = cart(), a = { _tt_sid: sid, _tt_ttclid: k('_tt_ttclid') || void 0, _ttp: k('_ttp') || void 0 },
      key = t + JSON.stringify(a);
    if (!on || !(t || force) || key == pend || key == g(() => localStorage._tt_ca)) return;
    pend = key;
    F('/cart/update.js', { method: 'POST', headers: { 'Content-Type': 'application/json' }, keepalive: !0, body: JSON.stringify({ attributes: a }) })
      .then(s => { s.ok && g(() => localStorage._tt_ca = key); pend = 0; }, () => pend = 0);
  };

  const Q = b => { // /cart/add body (JSON, form or query string) -> {variantId: quantity}
    const o = {};
    g(() => {
      if (typeof b == 'string') b = /^\s*\{/.test(b) ? JSON.parse(b) : new URLSearchParams(b);
      b.get ? o[b.get('id')] = +b.get('quantity') || 1 : (b.items || [b]).forEach(i => o[i.id] = +i.quantity || 1);
    });
    return o;
  };
  const V = o => {
    const p = C.product || {}, pr = p.variants || {};
    return Object.keys(o).filter(i => i > 0).map(i => ({ id: i, name: i in pr ? p.name : void 0, price: pr[i], qty: o[i] }));
  };
  const add = (a, now) => { dirty = 1; a.length && e('AddToCart', P(a), now); };
  const ajax = (j, b) => g(() => { // j: the /cart/add response (one item or {items}), or 0 if unreadable
    const o = Q(b), a = (j && (j.items || [j]) || []).filter(i => i?.variant_id);
    add(a.length ? a.map(i => ({ id: i.variant_id, name: i.product_title, price: (i.final_price ?? i.price) / 100, qty: o[i.variant_id] || i.quantity || 1 })) : V(o));
    y(1);
  });
  const checkout = () => {
    const now = Date.now(), c = C.cart;
    if (!on || now - ic < 2e3) return; // a checkout button fires click and submit
    ic = now;
    e('InitiateCheckout', c?.length && !dirty ? P(c) : { currency: C.currency }, 1);
  };

  const hook = () => {
    // Bubble phase on window, so the theme's own handlers have run: a prevented submit means the
    // theme adds to cart by AJAX (counted in the fetch/XHR hooks) or stopped it. Sent at once: the page unloads.
    w.addEventListener('submit', v => g(() => {
      const m = v.target, a = m.getAttribute('action') || '', s = v.submitter;
      v.defaultPrevented || (A.test(a) ? add(V(Q(new FormData(m))), 1) : (/\/checkout/.test(a) || s?.name == 'checkout') && checkout());
    }));
    d.addEventListener('click', v => g(() => v.target.closest('[name=checkout],a[href*="/checkout"]') && checkout()), !0);
    if (F) w.fetch = function (i, o) {
      const p = F.apply(this, arguments);
      g(() => {
        const s = '' + (i?.url || i);
        if (CH.test(s)) dirty = 1;
        if (on && A.test(s)) p.then(x => g(() => x.ok && x.clone().json().then(j => ajax(j, o?.body), () => ajax(0, o?.body))), no);
      });
      return p;
    };
    const X = w.XMLHttpRequest?.prototype, O = X?.open, S = X?.send;
    if (S) {
      X.open = function (m, s) { g(() => { this._tt = A.test(s); if (CH.test(s)) dirty = 1; }); return O.apply(this, arguments); };
      X.send = function (b) {
        if (this._tt && on) this.addEventListener('load', () => this.status > 199 && this.status < 300 &&
          ajax(g(() => this.responseType == 'json' ? this.response : JSON.parse(this.responseText)), b));
        return S.apply(this, arguments);
      };
    }
  };

  const px = () => { // TikTok's standard loader: the ttq queue stub, then events.js (async)
    const t = w.ttq = w.ttq || [], p = C.pixel,
      m = 'page track identify instances debug on off once ready alias group enableCookie disableCookie holdConsent revokeConsent grantConsent'.split(' '),
      D = (o, n) => o[n] = (...a) => o.push([n, ...a]);
    if (t._i?.[p]) return C.external = 1; // already loaded (and its page view fired) by other code
    if (!t.load) {
      w.TiktokAnalyticsObject = 'ttq';
      t.methods = m; t.setAndDefer = D;
      m.forEach(n => D(t, n));
      t.instance = i => { const o = t._i[i] || []; m.forEach(n => D(o, n)); return o; };
      t.load = (i, o) => {
        const s = d.createElement('script'), x = 'https://analytics.tiktok.com/i18n/pixel/events.js';
        t._i ||= {}; t._i[i] = []; t._i[i]._u = x; (t._t ||= {})[i] = +new Date(); (t._o ||= {})[i] = o || {};
        s.async = !0; s.src = x + '?sdkid=' + i + '&lib=ttq';
        d.head.appendChild(s);
      };
    }
    t.load(p);
  };

  const start = () => {
    if (on) return;
    on = 1;
    const c = u('ttclid'), p = C.product, s = u('q');
    if (c && c.length < 500) K('_tt_ttclid', c, M); // a newer click id replaces the older one
    K('_tt_sid', sid = k('_tt_sid') || r(), M);
    hooked ||= (hook(), 1);
    C.external || px();
    if (!pv) {
      pv = 1;
      e('PageView', {});
      p && e('ViewContent', P([{ id: p.id, name: p.name, price: p.price, qty: 1 }]));
      C.page == 'search' && s && e('Search', { query: s });
    }
    y();
  };
  const stop = () => { // consent refused or withdrawn: forget our ids
    on = 0; q = [];
    K('_tt_ttclid', '', 0); K('_tt_sid', '', 0);
    g(() => localStorage.removeItem('_tt_ca'));
  };

  g(() => {
    const S = w.Shopify, el = d.currentScript || d.querySelector('script[data-tt-config]');
    C = JSON.parse(el.getAttribute('data-tt-config'));
    if (!C.pixel || !C.proxy) return;
    const check = () => g(() => {
      const c = S.customerPrivacy, v = g(() => c.currentVisitorConsent()) || {};
      // a sale-of-data opt-out always wins; no banner required and no decision made counts as allowed
      c.saleOfDataAllowed() && (c.marketingAllowed() || !v.marketing && !c.shouldShowBanner()) ? start() : stop();
    });
    d.addEventListener('visitorConsentCollected', v => g(() => v.detail.marketingAllowed && v.detail.saleOfDataAllowed !== !1 ? start() : stop()));
    w.addEventListener('pagehide', () => g(f));
    d.addEventListener('visibilitychange', () => d.visibilityState == 'hidden' && g(f));
    S?.customerPrivacy ? check() : S?.loadFeatures?.([{ name: 'consent-tracking-api', version: '0.1' }], x => x || check());
  });
})(window);
