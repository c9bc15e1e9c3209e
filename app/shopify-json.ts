// Shopify's webhook bodies carry ids as JSON numbers that can exceed 2^53 (for example the
// 18-digit ids of Shopify's own sample payloads: https://shopify.dev/docs/apps/build/privacy-law-compliance),
// which JSON.parse rounds. Node 22's reviver context hands us each number's source text
// (TC39 "JSON.parse source text access"), so ids are read exactly, as decimal strings.

type SourceReviver = (
  key: string,
  value: unknown,
  context?: { source?: string },
) => unknown;

const ID_KEY = /(^|_)id$/;

/**
 * JSON.parse for Shopify webhook bodies: every number under an `id` / `*_id` key, and any
 * integer too large to be exact, comes back as its exact digits (a string); strings are made
 * well-formed (a lone UTF-16 surrogate would otherwise reach the database driver). Throws
 * SyntaxError on invalid JSON, like JSON.parse.
 */
export function parseShopifyJson(rawBody: string): unknown {
  const reviver: SourceReviver = (key, value, context) => {
    if (typeof value === "string") return value.toWellFormed();
    if (typeof value !== "number" || !context?.source) return value;
    if (ID_KEY.test(key)) return context.source;
    return Number.isInteger(value) &&
      !Number.isSafeInteger(value) &&
      /^\d+$/.test(context.source)
      ? context.source
      : value;
  };
  return JSON.parse(rawBody, reviver as Parameters<typeof JSON.parse>[1]);
}
