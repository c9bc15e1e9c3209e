import { z } from "zod";
import { parseJsonBody, type ParsedBody } from "~/storefront/parse-json-body";
import { fallbackBodySchema } from "~/storefront/fallback-schema";
import { relayBodySchema } from "./relay-schema";

/**
 * Everything the web pixel posts to the relay: a checkout step (./relay-schema.ts), or a
 * storefront event it relays as a fallback (app/storefront/fallback-schema.ts). The event name
 * says which schema applies.
 */
export const pixelBodySchema = z.discriminatedUnion("event", [
  relayBodySchema,
  fallbackBodySchema,
]);
export type PixelBody = z.infer<typeof pixelBodySchema>;

/** Parses and validates either kind; a short reason on failure (never echoes the input). */
export function parsePixelBody(text: string): ParsedBody<PixelBody> {
  return parseJsonBody(pixelBodySchema, text);
}
