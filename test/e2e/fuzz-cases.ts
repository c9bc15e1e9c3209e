// Request generators for test/e2e/fuzz.test.ts. Every random draw happens in generateCases, so
// a seed fixes the whole run; build() only adds the current time (timestamps are relative to
// when the request is sent, so a replayed signature is always outside the window by the drawn amount).
import { orderWebhookBody } from "../../dev/demo/journey";
import { signAppProxyUrl, webhookHeaders } from "../../dev/shopify-signing";

export const FUZZ_MAIN_SHOP = "fuzz-shop.myshopify.com";
export const FUZZ_PIXEL = "CFUZZPIXEL000000001";
/** Shops that validly signed uninstall or redact webhooks may hit (never the main one), some with hostile domains. */
const SACRIFICIAL_SHOPS = [
  "fuzz-other-1.myshopify.com",
  "fuzz-other-2.myshopify.com",
  "evil.example.com",
  "ünïcödé.myshopify.com",
  "' OR 1=1 --.myshopify.com",
  `${"a".repeat(300)}.myshopify.com`,
  "__proto__",
  "constructor.myshopify.com",
];

export type Rng = () => number;

/** Small, fast, good enough for test data; the same seed gives the same sequence. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzCase {
  index: number;
  /** "<edge>:<category>", e.g. "proxy:bad-signature". */
  kind: string;
  /** Must be refused with a 4xx (bad or replayed signature, missing auth, wrong method). */
  forged: boolean;
  /** Shopify re-sending (or someone replaying) a webhook already handled: must store nothing. */
  replay?: boolean;
  /** The request body for the failure report. */
  body?: string;
  build(): Request;
}

export interface CaseContext {
  appUrl: string;
  secret: string;
  /** Unix seconds at send time. */
  now: () => number;
}

// ---------------------------------------------------------------------------------------------
// Random values

class Gen {
  readonly rng: Rng;
  constructor(rng: Rng) {
    this.rng = rng;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.rng() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.rng() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)]!;
  }
  /** Weighted choice: [weight, value] pairs. */
  weighted<T>(pairs: readonly (readonly [number, T])[]): T {
    const total = pairs.reduce((s, [w]) => s + w, 0);
    let r = this.rng() * total;
    for (const [w, v] of pairs) {
      r -= w;
      if (r < 0) return v;
    }
    return pairs[pairs.length - 1]![1];
  }
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.rng() * 256);
    return out;
  }
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[this.int(0, 15)];
    return s;
  }
  fromAlphabet(alphabet: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)];
    return s;
  }

  string(): string {
    return this.weighted<() => string>([
      [3, () => this.fromAlphabet(PRINTABLE, this.int(0, 40))],
      [
        3,
        () =>
          Array.from({ length: this.int(1, 12) }, () =>
            this.pick(UNICODE),
          ).join(""),
      ],
      [3, () => this.pick(HOSTILE_STRINGS)],
      [2, () => this.pick(NUMERIC_STRINGS)],
      [1, () => this.pick(["", " ", "\t\n", "null", "undefined", "true"])],
      [1, () => this.pick(UNICODE).repeat(this.int(100, 5_000))],
      [1, () => "A".repeat(this.int(1_000, 80_000))],
    ])();
  }

  number(): number {
    return this.pick([
      0,
      -0,
      -1,
      1,
      1.5,
      -1e-7,
      0.1 + 0.2,
      2 ** 31,
      2 ** 53 + 2,
      -(2 ** 63),
      1e21,
      1e308,
      -1e308,
      Number.MIN_VALUE,
      1_500_000_000,
      4_000_000_001,
      1e10,
      1e13,
      this.int(-1e6, 1e6),
      this.rng() * 1e9,
    ]);
  }

  /** Any JSON value, wrong type for whatever field it lands in. */
  value(depth = 0): unknown {
    const leaf = depth > 3;
    return this.weighted<() => unknown>([
      [2, () => null],
      [1, () => this.chance(0.5)],
      [3, () => this.number()],
      [4, () => this.string()],
      [
        leaf ? 0 : 2,
        () =>
          Array.from({ length: this.int(0, 5) }, () => this.value(depth + 1)),
      ],
      [leaf ? 0 : 2, () => this.object(depth + 1)],
      [leaf ? 0 : 1, () => this.deep()],
      [
        leaf ? 0 : 1,
        () =>
          Array.from({ length: this.int(1_000, 20_000) }, () => this.int(0, 9)),
      ],
    ])();
  }

  object(depth: number): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (let i = this.int(0, 4); i > 0; i--) {
      setOwn(
        o,
        this.chance(0.4) ? this.pick(PROTO_KEYS) : this.string().slice(0, 64),
        this.value(depth + 1),
      );
    }
    return o;
  }

  /** Deep nesting: arrays or objects hundreds to thousands of levels down. */
  deep(): unknown {
    let v: unknown = this.pick([1, "x", null, {}]);
    const levels = this.int(100, 3_000);
    const asObject = this.chance(0.5);
    for (let i = 0; i < levels; i++) v = asObject ? { a: v } : [v];
    return v;
  }

  /** A prototype-pollution payload as raw JSON (JSON.parse makes "__proto__" an own key). */
  pollution(): Record<string, unknown> {
    return JSON.parse(
      this.pick([
        '{"__proto__":{"polluted":"yes"}}',
        '{"constructor":{"prototype":{"polluted":"yes"}}}',
        '{"__proto__":{"__proto__":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}',
        '{"__proto__":[],"length":1e9}',
        '{"toString":"x","valueOf":{},"hasOwnProperty":null,"toJSON":"boom"}',
      ]),
    ) as Record<string, unknown>;
  }

  /** Raw bodies that are not (valid) JSON, or JSON in disguise. */
  rawBody(validJson: string): string | Uint8Array<ArrayBuffer> {
    return this.weighted<() => string | Uint8Array<ArrayBuffer>>([
      [4, () => this.bytes(this.int(0, 4_000))],
      [1, () => this.bytes(this.int(60_000, 200_000))],
      [2, () => validJson.slice(0, this.int(0, validJson.length - 1))],
      [1, () => `\uFEFF${validJson}`],
      [1, () => `${validJson}${this.pick(["x", "}", "]", "\u0000", ",{}"])}`],
      [1, () => validJson.replace(/"v":1/, '"v":1,"v":2')],
      [1, () => validJson.replace(/:\s*(\d+(\.\d+)?)/, ": NaN")],
      [1, () => validJson.replace(/:\s*(\d+(\.\d+)?)/, ": 1e400")],
      [1, () => "[".repeat(this.int(1_000, 60_000))],
      [1, () => `${"[".repeat(30_000)}${"]".repeat(30_000)}`],
      [1, () => `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`],
      [
        1,
        () =>
          this.pick([
            "null",
            "true",
            "0",
            '""',
            "[]",
            "{}",
            '"string"',
            "-1",
            "1e999",
          ]),
      ],
      [1, () => `/*comment*/${validJson}`],
      [1, () => Buffer.from(validJson, "utf8").toString("base64")],
      [1, () => Buffer.from(validJson, "utf16le").toString("latin1")],
      [1, () => JSON.stringify(this.value())],
    ])();
  }
}

/** Sets a key as an own property, even "__proto__" (plain assignment would set the prototype). */
function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  // Arrays keep their shape (a "length" key would resize them): a named key becomes one more item.
  if (Array.isArray(o) && !/^\d+$/.test(key)) return void o.push(value);
  Object.defineProperty(o, key, {
    value,
    enumerable: true,
    configurable: true,
    writable: true,
  });
}

/** Object.assign without setters: "__proto__" becomes an own key, "length" never resizes an array. */
function assignOwn(
  target: Record<string, unknown>,
  source: Record<string, unknown>,
): void {
  for (const key of Object.keys(source)) setOwn(target, key, source[key]);
}

const PRINTABLE =
  " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
const UNICODE = [
  "é",
  "ß",
  "中文",
  "日本語",
  "😀",
  "👩‍👩‍👧‍👦",
  "\u202E",
  "\u200B",
  "\u0000",
  "\uFEFF",
  "\uD800",
  "\uDFFF",
  "Ω",
  "ﷺ",
  "e\u0301",
  "\u2028",
  "\u2029",
  "\r\n",
  "\t",
  "\u001b[31m",
  "𝕏",
  "İ",
  "ǅ",
  "\uFFFF",
];
const HOSTILE_STRINGS = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  `'; DROP TABLE "Delivery"; --`,
  "1' OR '1'='1",
  // eslint-disable-next-line no-template-curly-in-string -- a template-injection probe, on purpose
  "${7*7}",
  "{{7*7}}",
  "../../../../etc/passwd",
  "%00",
  "%2e%2e%2f",
  "\r\nSet-Cookie: pwned=1",
  // eslint-disable-next-line no-script-url -- hostile input, never evaluated
  "javascript:alert(1)",
  "data:text/html,<b>x</b>",
  "file:///etc/passwd",
  "http://169.254.169.254/latest/meta-data/",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "Jane.Doe@Example.com",
  "+1 (415) 555-0134",
  "gid://shopify/Order/1",
  "E.C.P.forged-click",
];
const NUMERIC_STRINGS = [
  "1e309",
  "-0",
  "NaN",
  "Infinity",
  "0x10",
  "  123  ",
  "9".repeat(40),
  "1.",
  ".5",
  "1_000",
];
const PROTO_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "__defineGetter__",
  "toString",
  "valueOf",
  "hasOwnProperty",
];

// ---------------------------------------------------------------------------------------------
// Mutations of a valid JSON document

type Json = unknown;

/** Paths into the document (object keys and array indexes), down to a few levels. */
function paths(
  doc: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  // Not into the deeply nested values earlier mutations planted (nesting them deeper still
  // would only overflow the generator's own stack).
  if (doc && typeof doc === "object" && prefix.length < 8) {
    for (const key of Object.keys(doc)) {
      const path = [...prefix, Array.isArray(doc) ? Number(key) : key];
      out.push(path);
      paths((doc as Record<string, Json>)[key], path, out);
    }
  }
  return out;
}

function mutate(g: Gen, doc: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(doc);
  for (let n = g.int(1, 4); n > 0; n--) {
    const all = paths(copy);
    const path = all.length ? g.pick(all) : [];
    const parentPath = path.slice(0, -1);
    let parent: Json = copy;
    for (const p of parentPath)
      parent = (parent as Record<string | number, Json>)[p];
    const key = path[path.length - 1];
    if (!parent || typeof parent !== "object" || key === undefined) continue;
    const target = parent as Record<string, unknown>;
    g.weighted<() => void>([
      [6, () => setOwn(target, String(key), g.value())],
      [2, () => void delete target[String(key)]],
      [
        2,
        () =>
          setOwn(
            target,
            g.chance(0.5) ? g.pick(PROTO_KEYS) : g.string().slice(0, 80),
            g.value(),
          ),
      ],
      [1, () => assignOwn(target, g.pollution())],
      [1, () => setOwn(target, String(key), g.pollution())],
      [1, () => setOwn(target, String(key), g.string())],
    ])();
  }
  if (g.chance(0.1)) assignOwn(copy, g.pollution());
  return copy;
}

/** Keeps every type right and replaces string values with hostile ones (unicode, markup, SQL, huge). */
function hostileStrings(
  g: Gen,
  doc: Record<string, unknown>,
  keep: RegExp,
): Record<string, unknown> {
  const copy = structuredClone(doc);
  const visit = (node: unknown) => {
    if (!node || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const value = record[key];
      if (typeof value === "string" && !keep.test(key) && g.chance(0.5)) {
        record[key] = g.chance(0.8)
          ? g.string().slice(0, g.int(1, 200)) || "x"
          : g.string();
      } else visit(value);
    }
  };
  visit(copy);
  return copy;
}

/**
 * One string value changed, everything else valid: unicode (lone surrogates, RTL overrides,
 * NUL, emoji) slipped into an otherwise ordinary value, so it gets past the shape checks.
 */
function oneString(
  g: Gen,
  doc: Record<string, unknown>,
  keep: RegExp,
): Record<string, unknown> {
  const copy = structuredClone(doc);
  const slots: [Record<string, unknown>, string][] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== "object") return;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (typeof record[key] === "string" && !keep.test(key))
        slots.push([record, key]);
      else visit(record[key]);
    }
  };
  visit(copy);
  if (slots.length === 0) return copy;
  const [record, key] = g.pick(slots);
  const value = record[key] as string;
  const at = g.int(0, value.length);
  const inserted = Array.from({ length: g.int(1, 3) }, () =>
    g.pick(UNICODE),
  ).join("");
  record[key] = value.slice(0, at) + inserted + value.slice(at);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// App proxy

const SESSION_ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

function collectBody(g: Gen, nowSeconds: number): Record<string, unknown> {
  const events = [
    "PageView",
    "ViewContent",
    "AddToCart",
    "InitiateCheckout",
    "Search",
  ];
  return {
    v: 1,
    session_id: g.fromAlphabet(SESSION_ALPHABET, g.int(16, 64)),
    consent: g.pick(["granted", "granted", "denied", "unknown"]),
    ttclid: `E.C.P.${g.fromAlphabet(SESSION_ALPHABET, g.int(10, 60))}`,
    ttp: g.fromAlphabet(SESSION_ALPHABET, 27),
    cart_token: `c1-${g.hex(12)}?key=${g.hex(8)}`,
    page: {
      url: `https://${FUZZ_MAIN_SHOP}/products/${g.pick(["shirt", "mug", "%F0%9F%98%80", "a?b=c#d"])}`,
      referrer: "https://www.tiktok.com/",
    },
    events: Array.from({ length: g.int(0, 4) }, () => ({
      event: g.pick(events),
      event_id: g.fromAlphabet(SESSION_ALPHABET, g.int(8, 64)),
      event_time: nowSeconds - g.int(0, 3_600),
      properties: {
        currency: g.pick(["USD", "EUR", "JPY"]),
        value: g.int(0, 100_000) / 100,
        content_type: "product",
        contents: [
          {
            content_id: String(g.int(1, 1e9)),
            content_name: g.pick(["Shirt", "中文", "😀 mug"]),
            price: g.int(0, 9_999) / 100,
            quantity: g.int(1, 5),
          },
        ],
        ...(g.chance(0.2)
          ? { query: g.pick(["shirt", "<script>", "中文"]) }
          : {}),
      },
    })),
  };
}

/** Query parameters a shopper can add to the storefront URL; Shopify signs them along with its own. */
function hostileParams(g: Gen): [string, string][] {
  return Array.from({ length: g.int(1, 5) }, () => [
    g.chance(0.5)
      ? g.pick([
          ...PROTO_KEYS,
          "constructor[prototype][polluted]",
          "__proto__[polluted]",
          "shop",
          "timestamp",
          "signature",
          "path_prefix",
          "logged_in_customer_id",
          "a[]",
          "x.y",
        ])
      : g.string().slice(0, 100),
    g.string().slice(0, 2_000),
  ]);
}

interface ProxySpec {
  method: string;
  shop: string;
  params: [string, string][];
  /** Seconds relative to send time; 0 = now. */
  timestampOffset: number;
  secret: string;
  /** Applied to the signed URL (tampering after signing). */
  tamper?: (url: URL) => void;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

function proxyRequest(ctx: CaseContext, spec: ProxySpec): Request {
  const url = new URL("/proxy/collect", ctx.appUrl);
  for (const [k, v] of spec.params) url.searchParams.append(k, v);
  const signed = signAppProxyUrl(url, {
    shop: spec.shop,
    apiSecret: spec.secret,
    timestamp: ctx.now() + spec.timestampOffset,
  });
  spec.tamper?.(signed);
  const hasBody = spec.method !== "GET" && spec.method !== "HEAD";
  return new Request(signed, {
    method: spec.method,
    headers: spec.headers,
    body: hasBody ? spec.body : undefined,
  });
}

function proxyHeaders(g: Gen): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": g.pick([
      "text/plain;charset=UTF-8",
      "application/json",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "",
      "application/json; charset=utf-16",
    ]),
    "X-Forwarded-For": g.pick([
      "203.0.113.9",
      "203.0.113.9, 10.0.0.1",
      "::1",
      "not-an-ip",
      "",
      "1.1.1.1".repeat(50),
      "2001:db8::1",
      "999.999.999.999",
    ]),
    "User-Agent": g
      .pick([
        "Mozilla/5.0 (iPhone)",
        "",
        "x".repeat(8_000),
        "curl/8.0",
        "中文 UA 😀",
      ])
      .replace(/[^\x20-\x7e]/g, "?"),
  };
  if (headers["Content-Type"] === "") delete headers["Content-Type"];
  return headers;
}

function proxyCase(g: Gen, ctx: CaseContext, index: number): FuzzCase {
  const base = collectBody(g, ctx.now());
  const validJson = JSON.stringify(base);
  const spec: ProxySpec = {
    method: "POST",
    shop: FUZZ_MAIN_SHOP,
    params: [],
    timestampOffset: 0,
    secret: ctx.secret,
    headers: proxyHeaders(g),
    body: validJson,
  };
  const category = g.weighted<string>([
    [5, "valid"],
    [8, "one-string"],
    [12, "hostile-strings"],
    [25, "mutated-body"],
    [15, "raw-body"],
    [8, "hostile-query"],
    [15, "bad-signature"],
    [10, "replayed"],
    [5, "missing-params"],
    [7, "method"],
    [5, "headers"],
  ]);
  let forged = false;
  switch (category) {
    case "valid":
      break;
    case "one-string":
      spec.body = JSON.stringify(oneString(g, base, /^$/));
      break;
    case "hostile-strings":
      // What anyone can post to the storefront's proxy URL: the right shape, hostile text.
      spec.body = JSON.stringify(
        hostileStrings(
          g,
          base,
          g.chance(0.7)
            ? /^(session_id|event_id|event|consent|url|referrer|currency|content_type)$/
            : /^$/,
        ),
      );
      break;
    case "mutated-body":
      spec.body = JSON.stringify(mutate(g, base));
      break;
    case "raw-body":
      spec.body = g.rawBody(validJson);
      break;
    case "hostile-query":
      spec.params = hostileParams(g);
      if (g.chance(0.5)) spec.body = JSON.stringify(mutate(g, base));
      break;
    case "bad-signature": {
      forged = true;
      const how = g.pick([
        "random",
        "flip",
        "wrong-secret",
        "empty",
        "truncated",
        "other-shop",
        "added-param",
        "duplicate",
      ]);
      const random = g.hex(64);
      const flipAt = g.int(0, 63);
      const extra = g.string().slice(0, 50) || "x";
      const other = g.pick(SACRIFICIAL_SHOPS);
      if (how === "wrong-secret")
        spec.secret = g.pick([
          "",
          "x",
          `${ctx.secret}x`,
          ctx.secret.slice(1),
          g.hex(32),
        ]);
      spec.tamper = (url) => {
        const sig = url.searchParams.get("signature") ?? "";
        if (how === "random") url.searchParams.set("signature", random);
        else if (how === "flip")
          url.searchParams.set(
            "signature",
            sig.slice(0, flipAt) +
              (sig[flipAt] === "0" ? "1" : "0") +
              sig.slice(flipAt + 1),
          );
        else if (how === "empty") url.searchParams.set("signature", "");
        else if (how === "truncated")
          url.searchParams.set("signature", sig.slice(0, flipAt));
        else if (how === "other-shop") url.searchParams.set("shop", other);
        else if (how === "added-param")
          url.searchParams.append("x-added", extra);
        else if (how === "duplicate")
          url.searchParams.append("signature", random);
      };
      if (g.chance(0.5)) spec.body = JSON.stringify(mutate(g, base));
      break;
    }
    case "replayed":
      // A captured signed URL replayed after the ±90 s window (or signed for the future).
      forged = true;
      // Past: the distance only grows before the check, so 91 s is already out. Future: it shrinks
      // while the request is built and handled, so stay clear of the edge.
      spec.timestampOffset = g.chance(0.6)
        ? -g.pick([
            91,
            92,
            95,
            120,
            600,
            3_600,
            86_400,
            31_536_000,
            g.int(91, 1e7),
          ])
        : g.pick([100, 120, 600, 3_600, 86_400, 31_536_000, g.int(100, 1e7)]);
      break;
    case "missing-params": {
      forged = true;
      const drop = g.pick([
        ["signature"],
        ["timestamp"],
        ["signature", "timestamp"],
        ["shop", "signature"],
        ["*"],
      ]);
      spec.tamper = (url) => {
        if (drop[0] === "*") url.search = "";
        else for (const name of drop) url.searchParams.delete(name);
      };
      break;
    }
    case "method":
      forged = true; // only POST is served: everything else is refused, signed or not
      spec.method = g.pick([
        "GET",
        "HEAD",
        "PUT",
        "DELETE",
        "PATCH",
        "OPTIONS",
      ]);
      break;
    case "headers": {
      const h = g.pick([
        "content-length-lie",
        "no-content-type",
        "xff-junk",
        "huge-header",
        "many-headers",
      ]);
      if (h === "content-length-lie")
        spec.headers["Content-Length"] = g.pick([
          "99999999999",
          "-1",
          "abc",
          "1e9",
          "65537",
        ]);
      if (h === "no-content-type") delete spec.headers["Content-Type"];
      if (h === "xff-junk")
        spec.headers["X-Forwarded-For"] = g
          .fromAlphabet(PRINTABLE, g.int(0, 500))
          .replace(/[^\x20-\x7e]/g, "");
      if (h === "huge-header")
        spec.headers["X-Junk"] = "j".repeat(g.int(10_000, 100_000));
      if (h === "many-headers")
        for (let i = 0; i < 200; i++) spec.headers[`X-H-${i}`] = String(i);
      break;
    }
  }
  const body = spec.body;
  return {
    index,
    kind: `proxy:${category}`,
    forged,
    body:
      body === undefined
        ? undefined
        : typeof body === "string"
          ? body
          : `<${body.length} random bytes>`,
    build: () => {
      try {
        return proxyRequest(ctx, spec);
      } catch {
        // A header undici will not carry (e.g. a Content-Length lie): send it without that header.
        delete spec.headers["Content-Length"];
        return proxyRequest(ctx, spec);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Webhooks

type WebhookRoute =
  "/webhooks/orders" | "/webhooks/compliance" | "/webhooks/app/uninstalled";

function orderDoc(g: Gen, nowSeconds: number): Record<string, unknown> {
  const item = () => ({
    variantId: String(g.int(1e13, 9e13)),
    productId: String(g.int(1e12, 9e12)),
    title: g.pick(["Shirt", "Mug", "中文 product", "<b>bold</b>"]),
    price: (g.int(1, 99_999) / 100).toFixed(2),
  });
  const id = String(g.int(1e12, 9e12));
  const text = orderWebhookBody({
    id,
    number: g.int(1000, 99_999),
    createdAt: new Date((nowSeconds - g.int(0, 86_400)) * 1000),
    email: g.pick([
      "jane@example.com",
      "Jane.Doe@Example.com",
      null,
      "not-an-email",
      "ünï@例え.jp",
    ]),
    phone: g.pick([
      "+1 415 555 0134",
      "(415) 555-0134",
      null,
      "abc",
      "+999999999999999999",
    ]),
    customerId: g.chance(0.7) ? String(g.int(1e12, 9e12)) : null,
    country: g.pick(["US", "GB", "FR", "ZZ", ""]),
    lines: Array.from({ length: g.int(1, 3) }, () => ({
      item: item(),
      quantity: g.int(1, 5),
    })),
    sourceName: g.pick([
      "web",
      "web",
      "pos",
      "shopify_draft_order",
      "subscription_contract",
    ]),
    landingSite: g.pick([
      null,
      "/?ttclid=E.C.P.abc",
      "/products/x",
      // eslint-disable-next-line no-script-url -- hostile input, never evaluated
      "javascript:alert(1)",
      "//evil.example/?ttclid=x",
    ]),
    browserIp: g.pick([null, "203.0.113.7", "2001:db8::1", "bad ip"]),
    userAgent: g.pick([null, "Mozilla/5.0", "x".repeat(3_000)]),
    acceptLanguage: g.pick([null, "en-US,en;q=0.9", "*", ";;;"]),
    cartToken: g.pick([null, `c1-${g.hex(12)}`, "c1-abc?key=secret"]),
    noteAttributes: g.chance(0.5)
      ? [
          { name: "_tt_sid", value: g.fromAlphabet(SESSION_ALPHABET, 32) },
          { name: "_tt_ttclid", value: `E.C.P.${g.hex(20)}` },
          { name: "_ttp", value: g.hex(27) },
        ]
      : [],
  });
  return JSON.parse(text) as Record<string, unknown>;
}

function complianceDoc(
  g: Gen,
  topic: string,
  shop: string,
): Record<string, unknown> {
  const ids = () =>
    Array.from({ length: g.int(0, 5) }, () => g.int(1e12, 9e12));
  const doc: Record<string, unknown> = {
    shop_id: g.int(1, 1e9),
    shop_domain: shop,
  };
  if (topic !== "shop/redact") {
    doc.customer = {
      id: g.int(1e12, 9e12),
      email: "jane@example.com",
      phone: "+14155550134",
    };
    if (topic === "customers/redact") doc.orders_to_redact = ids();
    else {
      doc.orders_requested = ids();
      doc.data_request = { id: g.int(1, 1e6) };
    }
  }
  return doc;
}

interface WebhookSpec {
  method: string;
  route: WebhookRoute;
  topic: string;
  shop: string;
  body: string | Uint8Array<ArrayBuffer>;
  secret: string;
  webhookId: string;
  eventId: string;
  /** Header names (lower case) to remove after signing. */
  drop: string[];
  /** Headers to set after signing (tampering). */
  override: Record<string, string>;
  /** Send Shopify's newer "Shopify-*" header names instead. */
  eventsStyle: boolean;
}

function webhookRequest(ctx: CaseContext, spec: WebhookSpec): Request {
  // Random bytes are signed as the library reads them (request.text(), UTF-8 with replacements),
  // so they get past the HMAC check and reach the JSON parsing.
  const text =
    typeof spec.body === "string"
      ? spec.body
      : new TextDecoder().decode(spec.body);
  const signed = webhookHeaders({
    topic: spec.topic,
    shop: spec.shop,
    body: text,
    apiSecret: spec.secret,
    webhookId: spec.webhookId,
    eventId: spec.eventId,
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(signed)) {
    const renamed =
      spec.eventsStyle && /^x-shopify-/i.test(name)
        ? name.replace(/^x-shopify-/i, "shopify-")
        : name;
    headers.set(renamed, value);
  }
  for (const name of spec.drop) {
    headers.delete(name);
    headers.delete(name.replace(/^x-shopify-/, "shopify-"));
  }
  for (const [name, value] of Object.entries(spec.override)) {
    headers.set(
      spec.eventsStyle ? name.replace(/^x-shopify-/i, "shopify-") : name,
      value,
    );
  }
  const hasBody = spec.method !== "GET" && spec.method !== "HEAD";
  return new Request(new URL(spec.route, ctx.appUrl), {
    method: spec.method,
    headers,
    body: hasBody ? spec.body : undefined,
  });
}

const TOPICS: Record<WebhookRoute, string[]> = {
  "/webhooks/orders": ["orders/create", "orders/paid"],
  "/webhooks/compliance": [
    "customers/redact",
    "customers/data_request",
    "shop/redact",
  ],
  "/webhooks/app/uninstalled": ["app/uninstalled"],
};

function uuid(g: Gen): string {
  return `${g.hex(8)}-${g.hex(4)}-4${g.hex(3)}-a${g.hex(3)}-${g.hex(12)}`;
}

function webhookCase(
  g: Gen,
  ctx: CaseContext,
  index: number,
  originals: WebhookSpec[],
): FuzzCase {
  const route = g.weighted<WebhookRoute>([
    [5, "/webhooks/orders"],
    [3, "/webhooks/compliance"],
    [2, "/webhooks/app/uninstalled"],
  ]);
  const topic = g.pick(TOPICS[route]);
  // A validly signed uninstall or shop/redact is Shopify's word: only sacrificial shops get those.
  const destructive =
    route === "/webhooks/app/uninstalled" || topic === "shop/redact";
  const shop = destructive
    ? g.pick(SACRIFICIAL_SHOPS)
    : g.chance(0.85)
      ? FUZZ_MAIN_SHOP
      : g.pick(SACRIFICIAL_SHOPS);
  const doc =
    route === "/webhooks/orders"
      ? orderDoc(g, ctx.now())
      : route === "/webhooks/compliance"
        ? complianceDoc(g, topic, shop)
        : { id: g.int(1, 1e9), name: "Fuzz shop", domain: shop };
  const validJson = JSON.stringify(doc);
  const spec: WebhookSpec = {
    method: "POST",
    route,
    topic,
    shop,
    body: validJson,
    secret: ctx.secret,
    webhookId: uuid(g),
    eventId: uuid(g),
    drop: [],
    override: {},
    eventsStyle: g.chance(0.1),
  };
  const category = g.weighted<string>([
    [8, "valid"],
    [8, "one-string"],
    [10, "hostile-strings"],
    [25, "hostile-json"],
    [15, "raw-body"],
    [20, "bad-hmac"],
    [8, "missing-headers"],
    [5, "method"],
    [8, "replay"],
    [3, "huge"],
    [3, "topic-mismatch"],
  ]);
  let forged = false;
  let kind = category;
  switch (category) {
    case "valid":
      if (route === "/webhooks/orders" && shop === FUZZ_MAIN_SHOP)
        originals.push(spec);
      break;
    case "one-string":
      spec.body = JSON.stringify(
        oneString(g, doc, /^(id|admin_graphql_api_id|shop_domain)$/),
      );
      break;
    case "hostile-strings":
      // Shoppers type names, notes and addresses; the order carries them as text.
      spec.body = JSON.stringify(
        hostileStrings(g, doc, /^(id|admin_graphql_api_id|shop_domain)$/),
      );
      break;
    case "hostile-json":
      spec.body = JSON.stringify(mutate(g, doc));
      if (g.chance(0.1))
        spec.override["X-Shopify-Webhook-Id"] =
          g
            .string()
            .replace(/[^\x20-\x7e]/g, "?")
            .slice(0, 5_000) || "x";
      break;
    case "raw-body":
      spec.body = g.rawBody(validJson);
      break;
    case "bad-hmac": {
      forged = true;
      // Forgeries aim at the main shop: uninstalling it or wiping its data would be the prize.
      spec.shop = FUZZ_MAIN_SHOP;
      if (route === "/webhooks/compliance") spec.topic = "shop/redact";
      if (g.chance(0.5)) spec.body = JSON.stringify(mutate(g, doc));
      // (Shopify's HMAC covers the body only, so re-labelled headers on a genuine body are not forgeries.)
      const how = g.pick([
        "wrong-secret",
        "random",
        "hex-instead-of-base64",
        "empty",
        "body-changed",
      ]);
      if (how === "wrong-secret")
        spec.secret = g.pick(["", "x", `${ctx.secret} `, g.hex(32)]);
      if (how === "random")
        spec.override["X-Shopify-Hmac-Sha256"] = Buffer.from(
          g.bytes(32),
        ).toString("base64");
      if (how === "hex-instead-of-base64")
        spec.override["X-Shopify-Hmac-Sha256"] = g.hex(64);
      if (how === "empty") spec.override["X-Shopify-Hmac-Sha256"] = " ";
      if (how === "body-changed") {
        // Signed for one body, sent with another.
        const signedFor = typeof spec.body === "string" ? spec.body : validJson;
        const sent = JSON.stringify(mutate(g, doc));
        spec.override["X-Shopify-Hmac-Sha256"] = webhookHeaders({
          topic,
          shop: FUZZ_MAIN_SHOP,
          body: signedFor,
          apiSecret: ctx.secret,
        })["X-Shopify-Hmac-Sha256"]!;
        spec.body = sent === signedFor ? `${sent} ` : sent;
      }
      break;
    }
    case "missing-headers": {
      const required = [
        "x-shopify-hmac-sha256",
        "x-shopify-topic",
        "x-shopify-shop-domain",
        "x-shopify-api-version",
        "x-shopify-webhook-id",
      ];
      spec.drop = required.filter(() => g.chance(0.4));
      if (spec.drop.length === 0) spec.drop = [g.pick(required)];
      forged = true; // without its required headers, no webhook is accepted
      if (
        spec.drop.includes("x-shopify-hmac-sha256") ||
        spec.drop.includes("x-shopify-shop-domain")
      )
        spec.shop = FUZZ_MAIN_SHOP;
      break;
    }
    case "method":
      forged = true;
      spec.method = g.pick([
        "GET",
        "HEAD",
        "PUT",
        "DELETE",
        "PATCH",
        "OPTIONS",
      ]);
      spec.shop = FUZZ_MAIN_SHOP;
      break;
    case "replay": {
      const original = originals.length ? g.pick(originals) : undefined;
      if (original) {
        // Shopify re-sending (or an attacker replaying) a webhook already handled.
        Object.assign(spec, { ...original, override: {}, drop: [] });
        kind = "replay";
      } else {
        originals.push(spec);
        kind = "valid";
      }
      break;
    }
    case "huge":
      spec.body = g.chance(0.5)
        ? JSON.stringify({ ...doc, note: "x".repeat(g.int(1e6, 3e6)) })
        : JSON.stringify({
            ...doc,
            line_items: Array.from(
              { length: g.int(10_000, 40_000) },
              (_, i) => ({ id: i, title: "x", price: "1.00", quantity: 1 }),
            ),
          });
      if (g.chance(0.5)) {
        forged = true;
        spec.shop = FUZZ_MAIN_SHOP;
        spec.override["X-Shopify-Hmac-Sha256"] = Buffer.from(
          g.bytes(32),
        ).toString("base64");
      }
      break;
    case "topic-mismatch":
      spec.topic = g.pick([
        "orders/updated",
        "customers/create",
        "products/update",
        g
          .string()
          .replace(/[^\x20-\x7e]/g, "?")
          .slice(0, 200) || "x",
      ]);
      break;
  }
  const body = spec.body;
  const isReplay = kind === "replay";
  return {
    index,
    kind: `${route.replace("/webhooks/", "webhook:")}:${kind}`,
    forged,
    body: typeof body === "string" ? body : `<${body.length} random bytes>`,
    build: () => webhookRequest(ctx, spec),
    ...(isReplay ? { replay: true } : {}),
  };
}

/** Every string value of the document, one at a time, with `insert` in the middle of it. */
function everyString(
  doc: Record<string, unknown>,
  keep: RegExp,
  insert: string,
): Record<string, unknown>[] {
  const variants: Record<string, unknown>[] = [];
  const count = (node: unknown): number => {
    if (!node || typeof node !== "object") return 0;
    const record = node as Record<string, unknown>;
    return Object.keys(record).reduce(
      (n, key) =>
        n +
        (typeof record[key] === "string" && !keep.test(key)
          ? 1
          : count(record[key])),
      0,
    );
  };
  const total = count(doc);
  for (let target = 0; target < total; target++) {
    const copy = structuredClone(doc);
    let seen = 0;
    const visit = (node: unknown) => {
      if (!node || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const value = record[key];
        if (typeof value === "string" && !keep.test(key)) {
          if (seen++ === target) {
            const at = Math.ceil(value.length / 2);
            record[key] = value.slice(0, at) + insert + value.slice(at);
          }
        } else visit(value);
      }
    };
    visit(copy);
    variants.push(copy);
  }
  return variants;
}

/** Characters that have broken storage layers before: lone surrogates, NUL, a bidi override. */
const AWKWARD = ["\uD800", "\uDFFF", "\u0000", "\u202E"];

/**
 * The systematic part: one valid storefront body, one valid order and one compliance request,
 * each string field in turn carrying each awkward character. Everything else is valid, so the
 * value travels as far as it can (lookups, inserts).
 */
function everyStringCases(g: Gen, ctx: CaseContext, first: number): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const add = (kind: string, body: string, build: () => Request) =>
    cases.push({
      index: first + cases.length,
      kind,
      forged: false,
      body,
      build,
    });

  const collect = collectBody(g, ctx.now());
  collect.consent = "granted";
  for (const insert of AWKWARD) {
    for (const doc of everyString(collect, /^$/, insert)) {
      const spec: ProxySpec = {
        method: "POST",
        shop: FUZZ_MAIN_SHOP,
        params: [],
        timestampOffset: 0,
        secret: ctx.secret,
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        body: JSON.stringify(doc),
      };
      add("proxy:every-string", spec.body as string, () =>
        proxyRequest(ctx, spec),
      );
    }
  }

  // An ordinary order (every field one the app accepts) whose cart attributes name no known
  // session, so the cart token is looked up too.
  const order = JSON.parse(
    orderWebhookBody({
      id: String(g.int(1e12, 9e12)),
      number: 1001,
      createdAt: new Date((ctx.now() - 60) * 1000),
      email: "jane.doe@example.com",
      phone: "+1 415 555 0134",
      customerId: "7712345678901",
      country: "US",
      lines: [
        {
          item: {
            variantId: "44871234567801",
            productId: "8912345678901",
            title: "Organic Cotton Shirt",
            price: "24.50",
          },
          quantity: 2,
        },
      ],
      sourceName: "web",
      landingSite: "/?ttclid=E.C.P.abc&utm_source=tiktok",
      browserIp: "203.0.113.7",
      userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)",
      acceptLanguage: "en-US,en;q=0.9",
      cartToken: `c1-${g.hex(12)}`,
      noteAttributes: [
        { name: "_tt_sid", value: g.fromAlphabet(SESSION_ALPHABET, 32) },
        { name: "_tt_ttclid", value: `E.C.P.${g.hex(20)}` },
        { name: "_ttp", value: g.fromAlphabet(SESSION_ALPHABET, 27) },
      ],
    }),
  ) as Record<string, unknown>;
  const compliance = complianceDoc(g, "customers/redact", FUZZ_MAIN_SHOP);
  const webhooks: [WebhookRoute, string, Record<string, unknown>][] = [
    ["/webhooks/orders", "orders/create", order],
    ["/webhooks/compliance", "customers/redact", compliance],
  ];
  for (const [route, topic, base] of webhooks) {
    for (const insert of AWKWARD) {
      for (const doc of everyString(
        base,
        /^(id|admin_graphql_api_id)$/,
        insert,
      )) {
        // A fresh order id each time, so no variant is a duplicate of another.
        if (route === "/webhooks/orders") {
          doc.id = g.int(1e12, 9e12);
          doc.admin_graphql_api_id = `gid://shopify/Order/${doc.id}`;
        }
        const spec: WebhookSpec = {
          method: "POST",
          route,
          topic,
          shop: FUZZ_MAIN_SHOP,
          body: JSON.stringify(doc),
          secret: ctx.secret,
          webhookId: uuid(g),
          eventId: uuid(g),
          drop: [],
          override: {},
          eventsStyle: false,
        };
        add(
          `${route.replace("/webhooks/", "webhook:")}:every-string`,
          spec.body as string,
          () => webhookRequest(ctx, spec),
        );
      }
    }
  }
  return cases;
}

/**
 * `total` random cases, about half to the app proxy and half to the three webhook routes,
 * then the systematic every-string cases (a few hundred).
 */
export function generateCases(
  rng: Rng,
  total: number,
  ctx: CaseContext,
): FuzzCase[] {
  const g = new Gen(rng);
  const originals: WebhookSpec[] = [];
  const cases: FuzzCase[] = [];
  for (let index = 0; index < total; index++) {
    cases.push(
      g.chance(0.5)
        ? proxyCase(g, ctx, index)
        : webhookCase(g, ctx, index, originals),
    );
  }
  cases.push(...everyStringCases(g, ctx, total));
  return cases;
}
