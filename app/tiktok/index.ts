/** Pure parts of the TikTok module (safe to import anywhere on the server). */
export * from "./events";
export * from "./hashing";
export * from "./payload";
export * from "./batching";
export * from "./outcome";
export * from "./retry-policy";
