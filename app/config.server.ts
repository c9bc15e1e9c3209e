import { existsSync } from "node:fs";
import { decodeEncryptionKey } from "./credentials/encryption.server";
import { DEFAULT_TIKTOK_API_BASE_URL } from "./tiktok/endpoint";

// .env is loaded for `npm start` / `npm run worker`; real environment variables win.
// Tests set their own environment and never read .env.
if (!process.env.VITEST && existsSync(".env")) {
  process.loadEnvFile(".env");
}

export interface AppConfig {
  apiKey: string;
  apiSecretKey: string;
  appUrl: string;
  scopes: string[];
  encryptionKey: Buffer;
  tiktokApiBaseUrl: string;
  isProduction: boolean;
}

let cached: AppConfig | undefined;

/** Reads and checks the environment once. Throws with a clear message on bad configuration. */
export function appConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  if (cached && env === process.env) return cached;
  const isProduction = env.NODE_ENV === "production";
  const rawKey = env.ENCRYPTION_KEY?.trim();
  if (!rawKey && isProduction) {
    throw new Error(
      "ENCRYPTION_KEY is not set. The server refuses to start in production without it " +
        "(32 random bytes, base64; `npm run setup` writes one into .env for local use).",
    );
  }
  const config: AppConfig = {
    apiKey: env.SHOPIFY_API_KEY ?? "",
    apiSecretKey: env.SHOPIFY_API_SECRET ?? "",
    appUrl: env.SHOPIFY_APP_URL || env.HOST || "http://localhost:3000",
    scopes: (env.SCOPES ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    // Outside production a missing key gets a per-process key: tokens saved then
    // cannot be read after a restart, which `npm run setup` avoids by writing one.
    encryptionKey: rawKey ? decodeEncryptionKey(rawKey) : developmentKey(),
    tiktokApiBaseUrl:
      env.TIKTOK_API_BASE_URL?.trim() || DEFAULT_TIKTOK_API_BASE_URL,
    isProduction,
  };
  if (isProduction && (!config.apiKey || !config.apiSecretKey)) {
    throw new Error(
      "SHOPIFY_API_KEY and SHOPIFY_API_SECRET must be set in production.",
    );
  }
  if (env === process.env) cached = config;
  return config;
}

let devKey: Buffer | undefined;
function developmentKey(): Buffer {
  devKey ??= Buffer.from(crypto.getRandomValues(new Uint8Array(32)));
  return devKey;
}
