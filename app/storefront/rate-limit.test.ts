import { parseEnv } from "~/config/env";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_LIMITS,
  proxyLimitSettings,
  NewSessionCap,
  ProxyLimits,
  TokenBuckets,
  type ProxyLimitSettings,
} from "./rate-limit";

function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Takes while wait() allows; returns how many went through. */
function drain(buckets: TokenBuckets, key: string, max = 1_000): number {
  let n = 0;
  while (n < max && buckets.wait(key) === 0) {
    buckets.take(key);
    n += 1;
  }
  return n;
}

describe("TokenBuckets", () => {
  it("allows the burst at once, then one token per 60/perMinute seconds", () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets(
      { perMinute: 60, burst: 30 },
      clock.now,
      100,
    );
    expect(drain(buckets, "a")).toBe(30);
    expect(buckets.wait("a")).toBe(1_000);
    clock.advance(999);
    expect(buckets.wait("a")).toBeCloseTo(1, 6);
    clock.advance(1);
    expect(drain(buckets, "a")).toBe(1);
    clock.advance(10_000);
    expect(drain(buckets, "a")).toBe(10);
    // A long pause refills to the burst, never beyond.
    clock.advance(3_600_000);
    expect(drain(buckets, "a")).toBe(30);
  });

  it("keeps keys apart", () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets(
      { perMinute: 6, burst: 2 },
      clock.now,
      100,
    );
    expect(drain(buckets, "a")).toBe(2);
    expect(drain(buckets, "b")).toBe(2);
    expect(buckets.wait("a")).toBe(10_000);
  });

  it("holds at most maxKeys keys, dropping the least recently used", () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ perMinute: 6, burst: 2 }, clock.now, 3);
    drain(buckets, "a");
    drain(buckets, "b");
    drain(buckets, "c");
    expect(buckets.wait("a")).toBeGreaterThan(0); // touches a: b is now the oldest
    for (let i = 0; i < 10_000; i++) buckets.wait(`flood-${i}`);
    expect(buckets.size).toBe(3);
    drain(buckets, "a");
    drain(buckets, "d");
    expect(buckets.size).toBe(3);
    // b was dropped, so it starts full again.
    expect(drain(buckets, "b")).toBe(2);
  });

  it("refuses a bucket that could never pass", () => {
    expect(
      () => new TokenBuckets({ perMinute: 0, burst: 1 }, Date.now, 1),
    ).toThrow();
    expect(
      () => new TokenBuckets({ perMinute: 1, burst: 0 }, Date.now, 1),
    ).toThrow();
  });
});

describe("NewSessionCap", () => {
  it("admits `cap` new ids an hour, keeps serving those, and resets when the window ends", () => {
    const clock = fakeClock();
    const cap = new NewSessionCap(3, 3_600_000, clock.now, 100);
    for (const id of ["s1", "s2", "s3"])
      expect(cap.admit("k", id).ok).toBe(true);
    clock.advance(600_000);
    expect(cap.admit("k", "s4")).toEqual({
      ok: false,
      retryAfterSeconds: 3_000,
      reason: "Too many new sessions from this client.",
    });
    expect(cap.admit("k", "s2").ok).toBe(true);
    expect(cap.admit("other", "s4").ok).toBe(true);
    clock.advance(2_999_999);
    const last = cap.admit("k", "s4");
    expect(last.ok === false && last.retryAfterSeconds).toBe(1);
    clock.advance(1);
    expect(cap.admit("k", "s4").ok).toBe(true);
  });

  it("holds at most maxKeys windows", () => {
    const clock = fakeClock();
    const cap = new NewSessionCap(2, 3_600_000, clock.now, 50);
    for (let i = 0; i < 5_000; i++) cap.admit(`ip-${i}`, `s-${i}`);
    expect(cap.size).toBe(50);
  });
});

const SMALL: ProxyLimitSettings = {
  perClient: { perMinute: 60, burst: 3 },
  perShop: { perMinute: 12, burst: 5 },
  eventsPerClient: { perMinute: 60, burst: 10 },
  newSessionsPerClientPerHour: 2,
  maxKeys: 100,
};

describe("ProxyLimits", () => {
  it("answers with the seconds until the client's next token (Retry-After), against the clock", () => {
    const clock = fakeClock();
    const limits = new ProxyLimits(SMALL, clock.now);
    for (let i = 0; i < 3; i++)
      expect(limits.takeRequest("a.myshopify.com", "203.0.113.9").ok).toBe(
        true,
      );
    expect(limits.takeRequest("a.myshopify.com", "203.0.113.9")).toEqual({
      ok: false,
      retryAfterSeconds: 1,
      reason: "Too many requests from this client.",
    });
    clock.advance(1_000);
    expect(limits.takeRequest("a.myshopify.com", "203.0.113.9").ok).toBe(true);
  });

  it("a client over its limit does not spend the shop's budget; the shop's limit then covers everyone", () => {
    const clock = fakeClock();
    const limits = new ProxyLimits(SMALL, clock.now);
    const shop = "a.myshopify.com";
    for (let i = 0; i < 100; i++) limits.takeRequest(shop, "198.51.100.1");
    // 3 of the 5 shop tokens went to that client; two other shoppers get the last 2.
    expect(limits.takeRequest(shop, "198.51.100.2").ok).toBe(true);
    expect(limits.takeRequest(shop, null).ok).toBe(true);
    const refused = limits.takeRequest(shop, "198.51.100.3");
    // 12 a minute: one token every 5 s.
    expect(refused).toEqual({
      ok: false,
      retryAfterSeconds: 5,
      reason: "Too many requests for this shop.",
    });
    clock.advance(2_100);
    const later = limits.takeRequest(shop, "198.51.100.3");
    expect(later.ok === false && later.retryAfterSeconds).toBe(3);
    expect(limits.takeRequest("b.myshopify.com", "198.51.100.3").ok).toBe(true);
    clock.advance(2_900);
    expect(limits.takeRequest(shop, "198.51.100.3").ok).toBe(true);
  });

  it("caps new sessions per shop and client, not when the client is unknown", () => {
    const limits = new ProxyLimits(SMALL, fakeClock().now);
    const shop = "a.myshopify.com";
    expect(limits.admitSession(shop, "203.0.113.9", "s1").ok).toBe(true);
    expect(limits.admitSession(shop, "203.0.113.9", "s2").ok).toBe(true);
    expect(limits.admitSession(shop, "203.0.113.9", "s3").ok).toBe(false);
    expect(limits.admitSession(shop, "203.0.113.9", "s1").ok).toBe(true);
    expect(limits.admitSession("b.myshopify.com", "203.0.113.9", "s3").ok).toBe(
      true,
    );
    for (let i = 0; i < 10; i++)
      expect(limits.admitSession(shop, null, `anon-${i}`).ok).toBe(true);
  });

  it("a flood of distinct addresses keeps memory bounded", () => {
    const limits = new ProxyLimits(
      { ...SMALL, perShop: { perMinute: 1e9, burst: 1e9 } },
      fakeClock().now,
    );
    for (let i = 0; i < 20_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      limits.takeRequest("a.myshopify.com", ip);
      limits.admitSession("a.myshopify.com", ip, `session-${i}`);
      limits.takeEvents("a.myshopify.com", ip, 2);
    }
    expect(limits.keys).toEqual({
      clients: 100,
      shops: 1,
      events: 100,
      sessions: 100,
    });
  });
});

describe("ProxyLimits events", () => {
  it("charges a body's events to the client's budget; a body above the burst costs the burst", () => {
    const clock = fakeClock();
    const limits = new ProxyLimits(SMALL, clock.now);
    const shop = "a.myshopify.com";
    expect(limits.takeEvents(shop, "203.0.113.9", 4).ok).toBe(true);
    expect(limits.takeEvents(shop, "203.0.113.9", 0).ok).toBe(true);
    expect(limits.takeEvents(shop, "203.0.113.9", 6).ok).toBe(true);
    // Empty: 50 events need the whole burst of 10 back, at one a second.
    expect(limits.takeEvents(shop, "203.0.113.9", 50)).toEqual({
      ok: false,
      retryAfterSeconds: 10,
      reason: "Too many events from this client.",
    });
    expect(limits.takeEvents(shop, "198.51.100.7", 10).ok).toBe(true);
    expect(limits.takeEvents(shop, null, 50).ok).toBe(true);
    clock.advance(4_000);
    const partial = limits.takeEvents(shop, "203.0.113.9", 5);
    expect(partial.ok === false && partial.retryAfterSeconds).toBe(1);
    expect(limits.takeEvents(shop, "203.0.113.9", 4).ok).toBe(true);
    clock.advance(10_000);
    expect(limits.takeEvents(shop, "203.0.113.9", 50).ok).toBe(true);
    expect(limits.takeEvents(shop, "203.0.113.9", 1).ok).toBe(false);
  });
});

describe("proxyLimitSettings", () => {
  it("the schema's defaults are DEFAULT_LIMITS", () => {
    expect(proxyLimitSettings(parseEnv({}))).toEqual(DEFAULT_LIMITS);
  });

  it("nonsense is refused at start with the variable named", () => {
    expect(() => parseEnv({ PROXY_RATE_PER_CLIENT_PER_MIN: "lots" })).toThrow(
      /PROXY_RATE_PER_CLIENT_PER_MIN/,
    );
    expect(() =>
      parseEnv({ PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR: "0" }),
    ).toThrow(/PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR/);
  });

  it("reads the rates (burst: half a minute's worth) and the session cap", () => {
    expect(
      proxyLimitSettings(
        parseEnv({
          PROXY_RATE_PER_CLIENT_PER_MIN: "120",
          PROXY_RATE_PER_SHOP_PER_MIN: "3",
          PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR: "50",
          PROXY_EVENTS_PER_CLIENT_PER_MIN: "600",
        }),
      ),
    ).toEqual({
      ...DEFAULT_LIMITS,
      perClient: { perMinute: 120, burst: 60 },
      perShop: { perMinute: 3, burst: 2 },
      eventsPerClient: { perMinute: 600, burst: 300 },
      newSessionsPerClientPerHour: 50,
    });
  });
});
