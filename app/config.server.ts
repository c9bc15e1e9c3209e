import { existsSync } from "node:fs";
import { decodeEncryptionKey } from "./credentials/encryption.server";
import { appUrlOf, envWarnings, parseEnv, type Env } from "./config/env";
import { logger } from "./observability/logger.server";

// .env is loaded for `npm start` / `npm run worker`; real environment variables win.
// Tests set their own environment and never read .env.
if (!process.env.VITEST && existsSync(".env")) {
  process.loadEnvFile(".env");
}

export type { Env } from "./config/env";

export interface AppConfig {
  apiKey: string;
  apiSecretKey: string;
  appUrl: string;
  scopes: string[];
  encryptionKey: Buffer;
  tiktokApiBaseUrl: string;
  isProduction: boolean;
  /** Every variable, parsed (see app/config/env.ts). */
  env: Env;
}

let cached: AppConfig | undefined;

/**
 * Reads and checks the whole environment once (the first call, at start: shopify.server.ts and
 * the worker's runtime call it when they load). Throws a ConfigError naming every bad variable.
 */
export function appConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  if (cached && env === process.env) return cached;
  const parsed = parseEnv(env);
  const config: AppConfig = {
    apiKey: parsed.SHOPIFY_API_KEY ?? "",
    apiSecretKey: parsed.SHOPIFY_API_SECRET ?? "",
    appUrl: appUrlOf(parsed),
    scopes: parsed.SCOPES,
    // Outside production a missing key gets a per-process key: tokens saved then
    // cannot be read after a restart, which `npm run setup` avoids by writing one.
    encryptionKey: parsed.ENCRYPTION_KEY
      ? decodeEncryptionKey(parsed.ENCRYPTION_KEY)
      : developmentKey(),
    tiktokApiBaseUrl: parsed.TIKTOK_API_BASE_URL,
    isProduction: parsed.NODE_ENV === "production",
    env: parsed,
  };
  if (env === process.env) {
    cached = config;
    for (const warning of envWarnings(parsed))
      logger().warn({ component: "config" }, warning);
  }
  return config;
}

/** The parsed environment of this process. */
export function serverEnv(): Env {
  return appConfig().env;
}

let devKey: Buffer | undefined;
function developmentKey(): Buffer {
  devKey ??= Buffer.from(crypto.getRandomValues(new Uint8Array(32)));
  return devKey;
}
