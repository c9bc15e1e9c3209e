import type { z } from "zod";

export type ParsedBody<T> =
  { ok: true; body: T } | { ok: false; reason: string };

/**
 * JSON text checked against a zod schema, for the public storefront and checkout endpoints: a
 * short reason on failure that never echoes the input.
 */
export function parseJsonBody<S extends z.ZodType>(
  schema: S,
  text: string,
): ParsedBody<z.output<S>> {
  let json: unknown;
  try {
    // Well-formed strings only: a lone surrogate must never reach the database driver.
    json = JSON.parse(text, (_key, value: unknown) =>
      typeof value === "string" ? value.toWellFormed() : value,
    );
  } catch {
    return { ok: false, reason: "Body is not valid JSON." };
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.join(".") || "body";
    return {
      ok: false,
      reason: `Invalid ${path}: ${issue?.message ?? "invalid"}`.slice(0, 200),
    };
  }
  return { ok: true, body: result.data };
}
