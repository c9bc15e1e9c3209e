// Flood guard for the public app proxy: per-client and per-shop token buckets, and a cap on new
// storefront sessions per client per hour. Pure and per process: the clock is injected, and every
// store holds a bounded number of keys (least recently used first out), so a flood of distinct
// addresses costs a fixed amount of memory. With several web processes each keeps its own
// buckets, so the effective limits are N× these (see README, "What a flood of the app proxy can
// and cannot cost a shop").
import type { Env } from "~/config/env";

export type Clock = () => number; // milliseconds

export type Decision =
  { ok: true } | { ok: false; retryAfterSeconds: number; reason: string };

const OK: Decision = { ok: true };

/** Whole seconds to wait, at least 1 (Retry-After is an integer number of seconds, RFC 9110 §10.2.3). */
const toSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** A Map used as an LRU: touching a key moves it to the end; inserting past the limit drops the oldest. */
class BoundedMap<V> {
  private readonly map = new Map<string, V>();
  private readonly maxKeys: number;

  constructor(maxKeys: number) {
    this.maxKeys = maxKeys;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxKeys) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }
}

export interface BucketSpec {
  /** Sustained rate: tokens added per minute. */
  perMinute: number;
  /** Bucket size: requests allowed at once after a quiet spell. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets by key. A forgotten (evicted) key starts full again, which only hands one burst
 * back to a client that was idle longest; the per-shop bucket still bounds a flood of many keys.
 */
export class TokenBuckets {
  private readonly buckets: BoundedMap<Bucket>;
  private readonly perMs: number;
  private readonly spec: BucketSpec;
  private readonly now: Clock;

  constructor(spec: BucketSpec, now: Clock, maxKeys: number) {
    this.spec = spec;
    this.now = now;
    if (!(spec.perMinute > 0) || !(spec.burst >= 1))
      throw new Error("A token bucket needs perMinute > 0 and burst >= 1.");
    this.buckets = new BoundedMap(maxKeys);
    this.perMs = spec.perMinute / 60_000;
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? {
      tokens: this.spec.burst,
      at: now,
    };
    bucket.tokens = Math.min(
      this.spec.burst,
      bucket.tokens + Math.max(0, now - bucket.at) * this.perMs,
    );
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket;
  }

  /**
   * Milliseconds until `cost` tokens are available (0: now). Takes nothing. A cost above the
   * burst is charged as the burst, so it can pass at all.
   */
  wait(key: string, cost = 1): number {
    const need = Math.min(cost, this.spec.burst);
    const bucket = this.refill(key);
    return bucket.tokens >= need ? 0 : (need - bucket.tokens) / this.perMs;
  }

  /** Takes `cost` tokens; call after wait() returned 0 in the same tick. */
  take(key: string, cost = 1): void {
    this.refill(key).tokens -= Math.min(cost, this.spec.burst);
  }
}

/**
 * At most `cap` distinct new session ids per key in a window of `windowMs` that starts at the key's
 * first new session. Ids already admitted in the window pass again (events of a known session).
 * Memory: at most maxKeys × cap ids.
 */
export class NewSessionCap {
  private readonly windows: BoundedMap<{ start: number; ids: Set<string> }>;
  private readonly cap: number;
  private readonly windowMs: number;
  private readonly now: Clock;

  constructor(cap: number, windowMs: number, now: Clock, maxKeys: number) {
    this.cap = cap;
    this.windowMs = windowMs;
    this.now = now;
    this.windows = new BoundedMap(maxKeys);
  }

  get size(): number {
    return this.windows.size;
  }

  admit(key: string, sessionId: string): Decision {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, ids: new Set() };
      this.windows.set(key, window);
    }
    if (window.ids.has(sessionId)) return OK;
    if (window.ids.size < this.cap) {
      window.ids.add(sessionId);
      return OK;
    }
    return {
      ok: false,
      retryAfterSeconds: toSeconds(window.start + this.windowMs - now),
      reason: "Too many new sessions from this client.",
    };
  }
}

export interface ProxyLimitSettings {
  perClient: BucketSpec;
  perShop: BucketSpec;
  /** Events (in bodies) per client: what bounds the Delivery rows one address can add. */
  eventsPerClient: BucketSpec;
  newSessionsPerClientPerHour: number;
  /** Keys kept per store (client buckets, session windows); shop buckets likewise. */
  maxKeys: number;
}

// Why these defaults (a flood guard that a real shop never meets, not a quota):
// - Per client (shop + shopper IP), 60 a minute, burst 30: the storefront script sends one
//   request per page view (its events batched) plus one per add-to-cart or search, so a shopper
//   clicking fast makes ~10-20 a minute; the headroom covers several shoppers behind one address
//   (an office, a carrier's NAT) and a burst of restored tabs.
// - Per shop, 10,000 a minute, burst 5,000: a Black Friday storefront with several hundred
//   shoppers a minute, each at a few requests a minute, stays in the low thousands; the limit
//   only caps what a flood from many addresses can make one process store for one shop.
// - Events per client, 300 a minute, burst 150: a request carries the events of one moment
//   (usually one or two); this bounds the Delivery rows one address can add through sessions it
//   already has (a body may carry 50 events).
// - New sessions per client, 20 an hour: the session id lives in a first-party cookie, so one
//   browser is one session; 20 leaves room for shared addresses and private windows.
// Bursts are half a minute's rate; each figure is per process.
export const DEFAULT_LIMITS: ProxyLimitSettings = {
  perClient: { perMinute: 60, burst: 30 },
  perShop: { perMinute: 10_000, burst: 5_000 },
  eventsPerClient: { perMinute: 300, burst: 150 },
  newSessionsPerClientPerHour: 20,
  maxKeys: 10_000,
};

const perMinute = (value: number): BucketSpec => ({
  perMinute: value,
  burst: Math.max(1, Math.ceil(value / 2)),
});

/** The limits from the parsed environment (app/config/env.ts; defaults as DEFAULT_LIMITS). */
export function proxyLimitSettings(
  env: Pick<
    Env,
    | "PROXY_RATE_PER_CLIENT_PER_MIN"
    | "PROXY_RATE_PER_SHOP_PER_MIN"
    | "PROXY_EVENTS_PER_CLIENT_PER_MIN"
    | "PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR"
  >,
): ProxyLimitSettings {
  return {
    ...DEFAULT_LIMITS,
    perClient: perMinute(env.PROXY_RATE_PER_CLIENT_PER_MIN),
    perShop: perMinute(env.PROXY_RATE_PER_SHOP_PER_MIN),
    eventsPerClient: perMinute(env.PROXY_EVENTS_PER_CLIENT_PER_MIN),
    newSessionsPerClientPerHour: env.PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR,
  };
}

const HOUR_MS = 3_600_000;

/** The app proxy's limits for one process. A client is a shop and a shopper's IP address. */
export class ProxyLimits {
  readonly settings: ProxyLimitSettings;
  private readonly clients: TokenBuckets;
  private readonly shops: TokenBuckets;
  private readonly events: TokenBuckets;
  private readonly sessions: NewSessionCap;

  constructor(settings: ProxyLimitSettings, now: Clock = Date.now) {
    this.settings = settings;
    this.clients = new TokenBuckets(settings.perClient, now, settings.maxKeys);
    this.shops = new TokenBuckets(settings.perShop, now, settings.maxKeys);
    this.events = new TokenBuckets(
      settings.eventsPerClient,
      now,
      settings.maxKeys,
    );
    this.sessions = new NewSessionCap(
      settings.newSessionsPerClientPerHour,
      HOUR_MS,
      now,
      settings.maxKeys,
    );
  }

  /** Keys held, for the memory bound's tests. */
  get keys(): {
    clients: number;
    shops: number;
    events: number;
    sessions: number;
  } {
    return {
      clients: this.clients.size,
      shops: this.shops.size,
      events: this.events.size,
      sessions: this.sessions.size,
    };
  }

  /**
   * One request of `shop` from `ip` (null: unknown, so only the shop's bucket applies). Both
   * buckets or neither are charged: a client over its limit does not use up the shop's budget,
   * so one flooding address cannot lock the shop's other shoppers out.
   */
  takeRequest(shop: string, ip: string | null): Decision {
    const client = ip === null ? null : clientKey(shop, ip);
    const clientWait = client === null ? 0 : this.clients.wait(client);
    if (clientWait > 0)
      return {
        ok: false,
        retryAfterSeconds: toSeconds(clientWait),
        reason: "Too many requests from this client.",
      };
    const shopWait = this.shops.wait(shop);
    if (shopWait > 0)
      return {
        ok: false,
        retryAfterSeconds: toSeconds(shopWait),
        reason: "Too many requests for this shop.",
      };
    if (client !== null) this.clients.take(client);
    this.shops.take(shop);
    return OK;
  }

  /** A request naming `sessionId`: a new id counts against the client's hourly cap. */
  admitSession(shop: string, ip: string | null, sessionId: string): Decision {
    if (ip === null) return OK;
    return this.sessions.admit(clientKey(shop, ip), sessionId);
  }

  /** A body carrying `count` events, charged to the client's event budget. */
  takeEvents(shop: string, ip: string | null, count: number): Decision {
    if (ip === null || count === 0) return OK;
    const key = clientKey(shop, ip);
    const wait = this.events.wait(key, count);
    if (wait > 0)
      return {
        ok: false,
        retryAfterSeconds: toSeconds(wait),
        reason: "Too many events from this client.",
      };
    this.events.take(key, count);
    return OK;
  }
}

const clientKey = (shop: string, ip: string) => `${shop}\u0000${ip}`;
