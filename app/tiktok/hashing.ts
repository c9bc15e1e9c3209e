/**
 * Normalisation and SHA-256 hashing of the personal identifiers TikTok matches on.
 * This is the one place where raw email / phone / external id / names / postal codes become
 * hashes: callers hand raw values to `hashUserIdentifiers` / `hashNameAndAddress` and keep only
 * their output.
 * TikTok's rules for `user` (Events API 2.0 docs, https://business-api.tiktok.com/portal/docs?id=1771100865818625):
 * trim + lower-case email, E.164 phone with "+", trimmed external id. Ours on top: 64-hex values
 * are passed through as already hashed, empty values are never hashed.
 */
import { hash } from "node:crypto";
import { normalizePhone } from "./phone";

export { normalizePhone, normalizePhoneWithLibrary } from "./phone";

export function sha256Hex(value: string): string {
  return hash("sha256", value, "hex"); // one-shot API: about twice as fast as createHash()
}

/** True for a 64-character hex string (either case): such values are treated as already hashed. */
export function isSha256Hex(value: string): boolean {
  return hexLength(value, true) === 64;
}

/** Lowercase 64-hex only: the exact form TikTok expects in user.email/phone/external_id. */
export function isLowerSha256Hex(value: string): boolean {
  return hexLength(value, false) === 64;
}

/** value.length when every character is hex (uppercase allowed or not), else -1. A loop: runs per event. */
function hexLength(value: string, allowUpper: boolean): number {
  if (value.length !== 64) return -1;
  for (let i = 0; i < 64; i++) {
    const c = value.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) ||
      (c >= 97 && c <= 102) ||
      (allowUpper && c >= 65 && c <= 70);
    if (!ok) return -1;
  }
  return 64;
}

/** Trim and lower-case. Returns null for empty input or a value that cannot be an address (no "@"). */
export function normalizeEmail(raw: string): string | null {
  const email = raw.trim().toLowerCase();
  if (email === "" || !email.includes("@")) return null;
  return email;
}

/** Trimmed; null when empty. Not lower-cased: the id must equal what the pixel sends (`ttq.identify`). */
export function normalizeExternalId(raw: string): string | null {
  const id = raw.trim();
  return id === "" ? null : id;
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

export function hashUserIdentifiers(
  input: RawUserIdentifiers,
): HashedUserIdentifiers {
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
  const out: string[] = [];
  if (!values) return out;
  // Lists hold a handful of values: arrays with includes() beat Sets here.
  const rawSeen: string[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const raw = String(value).trim();
    if (raw === "" || rawSeen.includes(raw)) continue;
    rawSeen.push(raw);
    let digest: string;
    if (isSha256Hex(raw)) {
      digest = raw.toLowerCase(); // hashed upstream (e.g. by the pixel): never hash twice
    } else {
      const normalized = normalize(raw);
      if (normalized === null) continue;
      digest = sha256Hex(normalized);
    }
    if (!out.includes(digest)) out.push(digest); // first-seen order, no duplicates
  }
  return out;
}

// ---- Names and address (user.first_name, last_name, zip_code hashed; city, state, country plain)
//
// Public implementations disagree on the details, so each field has one rule, written here:
// - first_name, last_name: NFC, Unicode lower-case, then only letters, marks and digits are kept
//   (spaces, hyphens, apostrophes and other punctuation go; accented letters stay), SHA-256.
//   Follows Segment's TikTok destination (written with TikTok): its field text asks for "lowercase
//   without any punctuation. Special characters are allowed" and its formatString removes every
//   space (github.com/segmentio/action-destinations, destinations/tiktok-conversions/formatter.ts,
//   reportWebEvent/fields/common_fields.ts). TikTok's WooCommerce plugin only trims and lower-cases.
// - zip_code: lower-case, every whitespace removed, the rest kept ("sw1a1aa", "94105-1234"), SHA-256:
//   exactly Segment's formatString. RudderStack (rudder-transformer tiktok_ads) also drops dashes;
//   TikTok's WooCommerce plugin keeps the space.
// - city: accents folded to their base letter (NFKD, marks dropped; ß→ss, ø→o, …), lower-case, only
//   a-z and 0-9 kept, plain. Segment's formatAddress keeps only [A-Za-z0-9] (it drops "ü" instead of
//   folding it); RudderStack and Stape (stape-io/tiktok-tag) send the city raw.
// - state, country: Shopify's province and country codes, lower-case, only a-z and 0-9 ("on",
//   "ca"), plain: Segment's formatAddress applied to the codes. A country must be two letters.
// Values that are empty after normalising are omitted, never hashed; a 64-hex first_name,
// last_name or zip_code is taken as already hashed.

/** Raw name and address of one Shopify address; hashed by hashNameAndAddress. */
export interface RawNameAndAddress {
  firstName?: string | null;
  lastName?: string | null;
  city?: string | null;
  /** Shopify's `province_code` / `provinceCode`, e.g. "ON". */
  provinceCode?: string | null;
  /** ISO 3166-1 alpha-2, e.g. "CA". */
  countryCode?: string | null;
  zip?: string | null;
}

/** What goes into `user.first_name` … `user.zip_code`. */
export interface HashedNameAndAddress {
  first_name?: string;
  last_name?: string;
  city?: string;
  state?: string;
  country?: string;
  zip_code?: string;
}

export const NAME_AND_ADDRESS_KEYS = [
  "first_name",
  "last_name",
  "city",
  "state",
  "country",
  "zip_code",
] as const satisfies readonly (keyof HashedNameAndAddress)[];

const NOT_NAME_CHARACTER = /[^\p{L}\p{M}\p{N}]/gu;

/** The form a first or last name is hashed in; null when nothing is left. */
export function normalizeName(raw: string): string | null {
  const name = raw
    .normalize("NFC")
    .toLowerCase()
    .normalize("NFC")
    .replace(NOT_NAME_CHARACTER, "");
  return name === "" ? null : name;
}

/** The form a postal code is hashed in; null when nothing is left. */
export function normalizeZip(raw: string): string | null {
  const zip = raw.toLowerCase().replace(/\s/gu, "");
  return zip === "" ? null : zip;
}

/** Latin letters NFKD does not decompose, folded the way they are usually written in ASCII. */
const ASCII_FOLDS: Readonly<Record<string, string>> = {
  ß: "ss",
  æ: "ae",
  œ: "oe",
  ø: "o",
  ł: "l",
  đ: "d",
  ð: "d",
  þ: "th",
  ı: "i",
};

/** Plain city: accents folded, lower-case a-z0-9 only; null when nothing is left. */
export function normalizeCity(raw: string): string | null {
  const city = raw
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[ßæœøłđðþı]/gu, (c) => ASCII_FOLDS[c] ?? "")
    .replace(/[^a-z0-9]/g, "");
  return city === "" ? null : city;
}

/** Plain state: the province code lower-cased, a-z0-9 only; null when nothing is left. */
export function normalizeStateCode(raw: string): string | null {
  const state = raw.toLowerCase().replace(/[^a-z0-9]/g, "");
  return state === "" ? null : state;
}

/** Plain country: a two-letter code lower-cased, else null. */
export function normalizeCountryCode(raw: string): string | null {
  const country = raw.trim().toLowerCase();
  return /^[a-z]{2}$/.test(country) ? country : null;
}

function hashOne(
  raw: string | null | undefined,
  normalize: (raw: string) => string | null,
): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (trimmed === "") return undefined;
  if (isSha256Hex(trimmed)) return trimmed.toLowerCase(); // hashed upstream: never twice
  const normalized = normalize(trimmed);
  return normalized === null ? undefined : sha256Hex(normalized);
}

function plainOne(
  raw: string | null | undefined,
  normalize: (raw: string) => string | null,
): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  return normalize(raw) ?? undefined;
}

/** Names and postal code hashed, city / state / country normalised plain; missing ones omitted. */
export function hashNameAndAddress(
  input: RawNameAndAddress | null | undefined,
): HashedNameAndAddress {
  const out: HashedNameAndAddress = {};
  if (!input) return out;
  const firstName = hashOne(input.firstName, normalizeName);
  if (firstName) out.first_name = firstName;
  const lastName = hashOne(input.lastName, normalizeName);
  if (lastName) out.last_name = lastName;
  const city = plainOne(input.city, normalizeCity);
  if (city) out.city = city;
  const state = plainOne(input.provinceCode, normalizeStateCode);
  if (state) out.state = state;
  const country = plainOne(input.countryCode, normalizeCountryCode);
  if (country) out.country = country;
  const zip = hashOne(input.zip, normalizeZip);
  if (zip) out.zip_code = zip;
  return out;
}
