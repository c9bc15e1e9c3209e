/**
 * Normalisation and SHA-256 hashing of the personal identifiers TikTok matches on.
 * This is the one place where raw email / phone / external id become hashes: callers hand raw
 * values to `hashUserIdentifiers` and keep only its output.
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
