import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_TIKTOK_API_BASE_URL } from "~/tiktok/endpoint";
import {
  appUrlOf,
  ConfigError,
  ENV_VARIABLES,
  envWarnings,
  parseEnv,
} from "./env";

const KEY = Buffer.alloc(32, 7).toString("base64");
const SECRET = "shpss_this-must-never-be-printed";

/** The message parseEnv throws for `env`, or null when it parses. */
function errorOf(env: Record<string, string | undefined>): string | null {
  try {
    parseEnv(env);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
}

describe("parseEnv", () => {
  it("fills every default from an empty environment", () => {
    expect(parseEnv({})).toEqual({
      SCOPES: [],
      TIKTOK_API_BASE_URL: DEFAULT_TIKTOK_API_BASE_URL,
      TIKTOK_TIMEOUT_MS: 10_000,
      DELIVERY_WORKER: "on",
      DELIVERY_LEASE_MS: 120_000,
      DELIVERY_IDLE_MS: 1_000,
      DELIVERY_BATCH_SIZE: 500,
      DELIVERY_RETRY_BASE_MS: 30_000,
      DELIVERY_RETRY_MIN_MS: 1_000,
      DELIVERY_RETRY_CAP_MS: 3_600_000,
      ATTRIBUTION_RETENTION_DAYS: 60,
      DELIVERY_LOG_RETENTION_DAYS: 90,
      WEBHOOK_RECEIPT_RETENTION_DAYS: 7,
      CHECKOUT_HOLD_SECONDS: 60,
      PROXY_RATE_PER_CLIENT_PER_MIN: 60,
      PROXY_RATE_PER_SHOP_PER_MIN: 10_000,
      PROXY_EVENTS_PER_CLIENT_PER_MIN: 300,
      PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR: 20,
      RECONCILIATION_INTERVAL_MINUTES: 60,
      RECONCILIATION_WINDOW_DAYS: 7,
      RECONCILIATION_BACKFILL: "on",
      SQLITE_SYNCHRONOUS: "NORMAL",
      SHOPIFY_LOG_LEVEL: "warning",
      LOG_LEVEL: "info",
    });
  });

  it("accepts the Admin API override only on loopback (a shop's token must not leave the host)", () => {
    expect(
      parseEnv({ SHOPIFY_ADMIN_API_URL: "http://127.0.0.1:9000" })
        .SHOPIFY_ADMIN_API_URL,
    ).toBe("http://127.0.0.1:9000");
    for (const url of [
      "https://evil.example.com",
      "http://10.0.0.1",
      "ftp://localhost",
    ])
      expect(() => parseEnv({ SHOPIFY_ADMIN_API_URL: url })).toThrow(
        /SHOPIFY_ADMIN_API_URL/,
      );
    expect(() => parseEnv({ RECONCILIATION_WINDOW_DAYS: "0" })).toThrow(
      /RECONCILIATION_WINDOW_DAYS/,
    );
  });

  it("treats `NAME=` lines (as in .env.example) as unset", () => {
    const blank = Object.fromEntries(ENV_VARIABLES.map((name) => [name, " "]));
    expect(parseEnv(blank)).toEqual(parseEnv({}));
  });

  it("parses given values: numbers, case-insensitive choices, scopes", () => {
    const env = parseEnv({
      TIKTOK_TIMEOUT_MS: "5000",
      DELIVERY_LEASE_MS: " 60000 ",
      DELIVERY_WORKER: "OFF",
      SQLITE_SYNCHRONOUS: "full",
      SHOPIFY_LOG_LEVEL: "Info",
      SCOPES: "read_orders, read_customers,,write_app_proxy",
      TIKTOK_API_BASE_URL: "http://127.0.0.1:8787/prefix/",
      ENCRYPTION_KEY: KEY,
    });
    expect(env).toMatchObject({
      TIKTOK_TIMEOUT_MS: 5000,
      DELIVERY_LEASE_MS: 60_000,
      DELIVERY_WORKER: "off",
      SQLITE_SYNCHRONOUS: "FULL",
      SHOPIFY_LOG_LEVEL: "info",
      SCOPES: ["read_orders", "read_customers", "write_app_proxy"],
      TIKTOK_API_BASE_URL: "http://127.0.0.1:8787/prefix/",
      ENCRYPTION_KEY: KEY,
    });
  });

  const numeric: [
    name: string,
    unit: string,
    tooSmall: string,
    tooBig: string,
  ][] = [
    ["TIKTOK_TIMEOUT_MS", "milliseconds", "999", "120001"],
    ["DELIVERY_LEASE_MS", "milliseconds", "999", "3600001"],
    ["DELIVERY_IDLE_MS", "milliseconds", "9", "60001"],
    ["DELIVERY_BATCH_SIZE", "rows", "0", "1001"],
    ["DELIVERY_RETRY_BASE_MS", "milliseconds", "99", "43200001"],
    ["DELIVERY_RETRY_MIN_MS", "milliseconds", "99", "43200001"],
    ["DELIVERY_RETRY_CAP_MS", "milliseconds", "99", "43200001"],
    ["ATTRIBUTION_RETENTION_DAYS", "days", "0", "3651"],
    ["DELIVERY_LOG_RETENTION_DAYS", "days", "0", "3651"],
    ["WEBHOOK_RECEIPT_RETENTION_DAYS", "days", "0", "3651"],
  ];

  it.each(numeric)(
    "%s: not a whole number, too small or too large is an error naming it",
    (name, unit, tooSmall, tooBig) => {
      for (const bad of ["abc", "1.5", "-5", "1e3", "10s"])
        expect(errorOf({ [name]: bad })).toContain(
          `${name} must be a whole number of ${unit}`,
        );
      expect(errorOf({ [name]: tooSmall })).toContain(
        `${name} must be at least ${Number(tooSmall) + 1} ${unit}`,
      );
      // The retry floor and first step may not exceed the cap: lift the cap out of the way.
      const cap = name.startsWith("DELIVERY_RETRY_")
        ? { DELIVERY_RETRY_CAP_MS: "43200000" }
        : {};
      expect(errorOf({ ...cap, [name]: tooBig })).toContain(
        `${name} must be at most ${Number(tooBig) - 1} ${unit}`,
      );
      expect(errorOf({ ...cap, [name]: String(Number(tooBig) - 1) })).toBe(
        null,
      );
    },
  );

  it.each([
    ["DELIVERY_WORKER", "false", "must be one of on, off"],
    ["SQLITE_SYNCHRONOUS", "OFF", "must be one of NORMAL, FULL"],
    [
      "SHOPIFY_LOG_LEVEL",
      "verbose",
      "must be one of debug, info, warning, error",
    ],
    [
      "TIKTOK_API_BASE_URL",
      "ftp://example.test",
      "must be an http:// or https:// URL",
    ],
    [
      "TIKTOK_API_BASE_URL",
      "business-api.tiktok.com",
      "must be an http:// or https:// URL",
    ],
    [
      "SHOPIFY_APP_URL",
      "mailto:ops@example.test",
      "must be an http:// or https:// URL",
    ],
    ["DATABASE_URL", "prisma/dev.sqlite", "must be a URL such as file:"],
    ["ENCRYPTION_KEY", "c2hvcnQ=", "must be 32 bytes encoded as base64"],
  ])("%s=%s is refused: %s", (name, value, reason) => {
    expect(errorOf({ [name]: value })).toContain(`${name} ${reason}`);
  });

  it("LOG_LEVEL, LOG_FORMAT and WORKER_METRICS_PORT: parsed, or refused by name", () => {
    expect(
      parseEnv({
        LOG_LEVEL: "Debug",
        LOG_FORMAT: "PRETTY",
        WORKER_METRICS_PORT: "9464",
      }),
    ).toMatchObject({
      LOG_LEVEL: "debug",
      LOG_FORMAT: "pretty",
      WORKER_METRICS_PORT: 9464,
    });
    expect(parseEnv({}).LOG_FORMAT).toBeUndefined();
    expect(parseEnv({}).WORKER_METRICS_PORT).toBeUndefined();
    expect(errorOf({ LOG_LEVEL: "verbose" })).toContain(
      "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent",
    );
    expect(errorOf({ LOG_FORMAT: "xml" })).toContain(
      "LOG_FORMAT must be one of json, pretty",
    );
    for (const bad of ["0", "65536", "http", "80.5"])
      expect(errorOf({ WORKER_METRICS_PORT: bad })).toContain(
        "WORKER_METRICS_PORT must be a TCP port number (1-65535)",
      );
  });

  it("keeps the retry floor and first step at or below the cap", () => {
    const message = errorOf({ DELIVERY_RETRY_CAP_MS: "500" });
    expect(message).toContain(
      "DELIVERY_RETRY_MIN_MS must not exceed DELIVERY_RETRY_CAP_MS (500)",
    );
    expect(message).toContain(
      "DELIVERY_RETRY_BASE_MS must not exceed DELIVERY_RETRY_CAP_MS (500)",
    );
    expect(
      errorOf({
        DELIVERY_RETRY_CAP_MS: "500",
        DELIVERY_RETRY_MIN_MS: "100",
        DELIVERY_RETRY_BASE_MS: "500",
      }),
    ).toBe(null);
  });

  it("production refuses to start without ENCRYPTION_KEY and the Shopify credentials", () => {
    const message = errorOf({ NODE_ENV: "production" });
    expect(message).toContain(
      "ENCRYPTION_KEY is not set; the server refuses to start in production",
    );
    expect(message).toContain("SHOPIFY_API_KEY must be set in production");
    expect(message).toContain("SHOPIFY_API_SECRET must be set in production");
    expect(
      errorOf({
        NODE_ENV: "production",
        ENCRYPTION_KEY: KEY,
        SHOPIFY_API_KEY: "key",
        SHOPIFY_API_SECRET: SECRET,
      }),
    ).toBe(null);
    // Development and tests run without them (a per-process key is used instead).
    expect(errorOf({ NODE_ENV: "development" })).toBe(null);
  });

  it("lists every bad variable together, one line each", () => {
    const message = errorOf({
      NODE_ENV: "production",
      SHOPIFY_API_KEY: "key",
      SHOPIFY_API_SECRET: SECRET,
      TIKTOK_TIMEOUT_MS: "soon",
      DELIVERY_LEASE_MS: "0",
      DELIVERY_WORKER: "maybe",
      TIKTOK_API_BASE_URL: "nope",
    })!;
    const lines = message.split("\n");
    expect(lines[0]).toBe("Invalid configuration (environment variables):");
    expect(lines.slice(1).map((l) => l.trim().split(" ")[1])).toEqual([
      "TIKTOK_API_BASE_URL",
      "TIKTOK_TIMEOUT_MS",
      "DELIVERY_WORKER",
      "DELIVERY_LEASE_MS",
      "ENCRYPTION_KEY",
    ]);
  });

  it("never echoes a secret or any other value it refuses", () => {
    const badKey = "not-a-key-but-still-secret-material";
    const badDatabase = "db.internal/app?password=hunter2";
    const message = errorOf({
      NODE_ENV: "production",
      SHOPIFY_API_KEY: "key",
      SHOPIFY_API_SECRET: SECRET,
      ENCRYPTION_KEY: badKey,
      DATABASE_URL: badDatabase,
      DELIVERY_IDLE_MS: "sometimes",
    })!;
    expect(message).toContain("ENCRYPTION_KEY must be 32 bytes");
    expect(message).toContain("DATABASE_URL must be a URL");
    for (const value of [badKey, badDatabase, "hunter2", SECRET, "sometimes"])
      expect(message).not.toContain(value);
    const error = (() => {
      try {
        parseEnv({ ENCRYPTION_KEY: badKey });
      } catch (e) {
        return e as ConfigError;
      }
    })()!;
    expect(JSON.stringify(error.problems)).not.toContain(badKey);
  });
});

describe("appUrlOf", () => {
  it("prefers SHOPIFY_APP_URL, then a URL-shaped HOST, then localhost", () => {
    expect(
      appUrlOf(
        parseEnv({
          SHOPIFY_APP_URL: "https://app.example",
          HOST: "https://old.example",
        }),
      ),
    ).toBe("https://app.example");
    expect(appUrlOf(parseEnv({ HOST: "https://old.example" }))).toBe(
      "https://old.example",
    );
    // the web server's listen address is not an app URL.
    expect(appUrlOf(parseEnv({ HOST: "127.0.0.1" }))).toBe(
      "http://localhost:3000",
    );
  });
});

describe("envWarnings", () => {
  it("warns when the lease does not outlast one TikTok request", () => {
    expect(envWarnings(parseEnv({}))).toEqual([]);
    const [warning] = envWarnings(
      parseEnv({ DELIVERY_LEASE_MS: "1500", TIKTOK_TIMEOUT_MS: "5000" }),
    );
    expect(warning).toContain(
      "DELIVERY_LEASE_MS (1500) is not longer than TIKTOK_TIMEOUT_MS (5000)",
    );
  });
});

describe("documentation", () => {
  const root = path.resolve(__dirname, "../..");
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const environmentSection = readme.slice(
    readme.indexOf("## Environment"),
    readme.indexOf("\n## ", readme.indexOf("## Environment") + 1),
  );
  const example = readFileSync(path.join(root, ".env.example"), "utf8");

  it("README.md's Environment section names every variable the app reads", () => {
    expect(environmentSection.length).toBeGreaterThan(100);
    const missing = ENV_VARIABLES.filter(
      (name) => !environmentSection.includes(`\`${name}\``),
    );
    expect(missing).toEqual([]);
  });

  it(".env.example has a line for every variable (commented out for those set by tools)", () => {
    const lines = new Set(
      example
        .split("\n")
        .map((line) => line.replace(/^#\s*/, "").split("=")[0]),
    );
    const missing = ENV_VARIABLES.filter((name) => !lines.has(name));
    expect(missing).toEqual([]);
  });

  it(".env.example's values all parse (a copy of it is a valid .env)", () => {
    const values = Object.fromEntries(
      example
        .split("\n")
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [
          line.slice(0, line.indexOf("=")),
          line.slice(line.indexOf("=") + 1),
        ]),
    );
    expect(errorOf(values)).toBe(null);
  });
});
