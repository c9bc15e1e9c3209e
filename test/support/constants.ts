import type { AppCredentials } from "../../dev/shopify-signing";

// Fixed credentials for tests and benchmarks (never real ones).
export const TEST_CREDS: AppCredentials = {
  apiKey: "test-api-key-0123456789",
  apiSecret: "test-api-secret-0123456789abcdef",
};
export const APP_URL = "https://tiktok-app.test";
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");
