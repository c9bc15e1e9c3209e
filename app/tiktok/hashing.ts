/**
 * Normalisation and SHA-256 hashing of the personal identifiers TikTok matches on.
 * This is the one place where raw email / phone / external id become hashes: callers hand raw
 * values to `hashUserIdentifiers` and keep only its output.
 * Rules: reference §6 (trim + lower-case email, E.164 phone with "+", trimmed external id,
 * 64-hex values passed through, empty values never hashed).
 */
import { createHash } from "node:crypto";
import {
  isSupportedCountry,
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js";

const SHA256_HEX = /^[0-9a-f]{64}$/i;

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/** True for a 64-character hex string (either case): such values are treated as already hashed. */
export function isSha256Hex(value: string): boolean {
  return value.length === 64 && SHA256_HEX.test(value);
}

/** Trim and lower-case. Returns null for empty input or a value that cannot be an address (no "@"). */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  if (email === "" || !email.includes("@")) return null;
  return email;
}

/**
 * E.164 with the leading "+" (e.g. "+14155552671"), or null when the number cannot be read.
 * `defaultCountry` (ISO-3166 alpha-2, the shop's or order's country) resolves national numbers.
 * A "00" international prefix is read as "+" so "0044 20…" is a UK number whatever the default.
 * We require only a *possible* number (right length for its country), not a *valid* one: the
 * metadata lags new number ranges, and a hash that matches nothing costs nothing, whereas
 * dropping a real customer's phone loses a match.
 */
export function normalizePhone(raw: string, defaultCountry?: string): string | null {
  let text = raw.trim();
  if (text === "") return null;
  if (text.startsWith("00")) text = `+${text.slice(2)}`;
  const country = toCountryCode(defaultCountry);
  const parsed = country
    ? parsePhoneNumberFromString(text, { defaultCountry: country })
    : parsePhoneNumberFromString(text);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number; // E.164, extension (if any) excluded
}

/** Trimmed; null when empty. Not lower-cased: the id must equal what the pixel sends (`ttq.identify`). */
export function normalizeExternalId(raw: string): string | null {
  const id = raw.trim();
  return id === "" ? null : id;
}

function toCountryCode(value: string | undefined): CountryCode | undefined {
  if (!value) return undefined;
  const upper = value.trim().toUpperCase();
  return isSupportedCountry(upper) ? upper : undefined;
}

export interface RawUserIdentifiers {
  emails?: ReadonlyArray<string | null | undefined>;
  phones?: ReadonlyArray<string | null | undefined>;
  externalIds?: ReadonlyArray<string | number | null | undefined>;
  /** ISO-3166 alpha-2 default region for national phone numbers (order's or shop's country). */
  defaultCountry?: string | null;
}

/** What goes into `user.email`, `user.phone`, `user.external_id`: lowercase SHA-256 hex, deduplicated. */
export interface HashedUserIdentifiers {
  email?: string[];
  phone?: string[];
  external_id?: string[];
}

export function hashUserIdentifiers(input: RawUserIdentifiers): HashedUserIdentifiers {
  const country = input.defaultCountry ?? undefined;
  const out: HashedUserIdentifiers = {};
  const email = hashAll(input.emails, normalizeEmail);
  if (email.length > 0) out.email = email;
  const phone = hashAll(input.phones, (raw) => normalizePhone(raw, country));
  if (phone.length > 0) out.phone = phone;
  const externalId = hashAll(input.externalIds, normalizeExternalId);
  if (externalId.length > 0) out.external_id = externalId;
  return out;
}

function hashAll(
  values: ReadonlyArray<string | number | null | undefined> | undefined,
  normalize: (raw: string) => string | null,
): string[] {
  if (!values || values.length === 0) return [];
  const seen = new Set<string>();
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const raw = String(value).trim();
    if (raw === "") continue;
    let hash: string;
    if (isSha256Hex(raw)) {
      hash = raw.toLowerCase(); // hashed upstream (e.g. by the pixel): never hash twice
    } else {
      const normalized = normalize(raw);
      if (normalized === null) continue;
      hash = sha256Hex(normalized);
    }
    seen.add(hash); // Set keeps first-seen order and drops duplicates
  }
  return [...seen];
}
