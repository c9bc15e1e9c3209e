/**
 * Normalisers for the raw values a caller hands to the builders (Shopify sends ids and money as
 * numbers or decimal strings, and text that may be blank). Each returns undefined for "leave the
 * field out", so the built JSON never carries "" or empty lists.
 */

/** Raw text fields may be missing; ids and money may arrive as numbers or decimal strings (Shopify). */
export type Text = string | null | undefined;
export type Id = string | number | null | undefined;
export type Amount = number | string | null | undefined;

/** Trimmed text; blank → undefined. */
export function formatText(value: Text): string | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** An id as a trimmed string (TikTok wants string ids); blank → undefined. */
export function formatId(value: Id): string | undefined {
  if (value === null || value === undefined) return undefined;
  return formatText(String(value));
}

/** Numbers stay numbers (0 kept); decimal strings become numbers; "" / null omitted; junk → NaN (caught by validation). */
export function formatAmount(value: Amount): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === "number") return value;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : Number(trimmed);
}

/** A list of hashes, or undefined when there is none to send. */
export function formatHashes(
  values: string[] | undefined,
): string[] | undefined {
  return values && values.length > 0 ? values : undefined;
}

/** Integer Unix seconds. */
export function toUnixSeconds(time: Date | number): number {
  return Math.floor(typeof time === "number" ? time : time.getTime() / 1000);
}
