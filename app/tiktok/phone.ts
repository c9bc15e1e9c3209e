/**
 * Phone numbers → E.164 ("+14155552671"), the form TikTok hashes (Events API 2.0 parameters,
 * business-api.tiktok.com/portal/docs?id=1771101151059969).
 *
 * libphonenumber-js is the authority, but it rebuilds regular expressions from its metadata on
 * every call, and for a calling code shared by several countries (+1, +44, +7, …) it tests the
 * number against each country's number-type patterns to pick one (getCountryByCallingCode in
 * https://github.com/catamphetamine/libphonenumber-js/blob/master/source/helpers/getCountryByCallingCode.js).
 * That costs ~10 µs for a US number and 30-90 µs for a UK one, against ~1 µs here. It shows end
 * to end: an orders/create webhook with three UK phones used ~20% more server CPU with the
 * library alone (`npm run bench tiktok-build` prints the per-number and event-build figures).
 * So the common, unambiguous cases are decided here from the library's own metadata with
 * the regular expressions compiled once, replaying exactly the library's steps; anything
 * unusual (extensions, letters, national-prefix rewrites, shared-calling-code ambiguity, IDD
 * prefixes, …) goes to the library. `phone.test.ts` checks that both give identical results on
 * tens of thousands of generated numbers for every country.
 */
import {
  isSupportedCountry,
  Metadata,
  parsePhoneNumberFromString,
  type CountryCode,
} from "libphonenumber-js";
import metadataJson from "libphonenumber-js/metadata.min.json";

/**
 * E.164 with the leading "+", or null when the number cannot be read.
 * `defaultCountry` (ISO-3166 alpha-2, the shop's or order's country) resolves national numbers.
 * A "00" international prefix is read as "+" so "0044 20…" is a UK number whatever the default.
 * We require a *possible* number (right length for its country), not a *valid* one: metadata
 * lags new number ranges, and a hash that matches nothing costs nothing, whereas dropping a real
 * customer's phone loses a match.
 */
export function normalizePhone(
  raw: string,
  defaultCountry?: string | null,
): string | null {
  const text = prepare(raw);
  if (text === null) return null;
  const country = toCountryCode(defaultCountry);
  const fast = fastE164(text, country);
  return fast !== undefined ? fast : viaLibrary(text, country);
}

/** The reference behaviour: libphonenumber-js alone. */
export function normalizePhoneWithLibrary(
  raw: string,
  defaultCountry?: string | null,
): string | null {
  const text = prepare(raw);
  return text === null ? null : viaLibrary(text, toCountryCode(defaultCountry));
}

function prepare(raw: string): string | null {
  const text = raw.trim();
  if (text === "") return null;
  return text.startsWith("00") ? `+${text.slice(2)}` : text;
}

function toCountryCode(
  value: string | null | undefined,
): CountryCode | undefined {
  if (!value) return undefined;
  const upper = value.trim().toUpperCase();
  return isSupportedCountry(upper) ? upper : undefined;
}

function viaLibrary(
  text: string,
  country: CountryCode | undefined,
): string | null {
  const parsed = country
    ? parsePhoneNumberFromString(text, { defaultCountry: country })
    : parsePhoneNumberFromString(text);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number; // E.164; an extension, if any, is not part of it
}

// ---------------------------------------------------------------------------------------------
// Fast path

/** Numbering-plan methods present at run time but not in the library's type declarations. */
interface PlanInternals {
  callingCode(): string;
  possibleLengths(): number[] | undefined;
  nationalPrefixForParsing(): string | undefined;
  nationalNumberPattern(): string;
  IDDPrefix(): string;
}

interface Plan {
  callingCode: string;
  /** national_prefix_for_parsing, anchored, as the library applies it. */
  prefix: RegExp | null;
  /** The national number pattern, matched entirely (the library's `matchesEntirely`). */
  nationalNumber: RegExp;
  /** International dialling prefix, anchored. */
  idd: RegExp | null;
  /**
   * National lengths possible in *every* country sharing the calling code. The library judges
   * length against the exact country it detects, which we skip; a length possible everywhere in
   * the group is possible whichever country it picks. null = no length data (any length).
   */
  groupLengths: ReadonlySet<number> | null;
}

interface Tables {
  byCountry: Map<string, Plan>;
  /** Main country's plan per calling code (what the library selects for "+<code>…"). */
  byCallingCode: Map<string, Plan>;
}

const TABLES: Tables = buildTables();

function intersect(
  known: ReadonlySet<number> | null,
  lengths: number[],
): Set<number> {
  return new Set(known ? lengths.filter((n) => known.has(n)) : lengths);
}

function buildTables(): Tables {
  const byCountry = new Map<string, Plan>();
  const byCallingCode = new Map<string, Plan>();
  try {
    const metadata = new Metadata();
    const raw = new Map<string, PlanInternals>();
    for (const countries of Object.values(metadataJson.country_calling_codes)) {
      for (const country of countries) {
        if (!isSupportedCountry(country)) continue;
        metadata.selectNumberingPlan(country);
        const plan = metadata.numberingPlan as unknown as
          PlanInternals | undefined;
        if (
          !plan ||
          typeof plan.nationalPrefixForParsing !== "function" ||
          typeof plan.nationalNumberPattern !== "function"
        ) {
          throw new Error("unexpected libphonenumber-js metadata shape");
        }
        raw.set(country, plan);
      }
    }
    for (const [code, countries] of Object.entries(
      metadataJson.country_calling_codes,
    )) {
      let groupLengths: Set<number> | null = null;
      let complete = true;
      for (const country of countries) {
        const plan = raw.get(country);
        if (!plan) {
          complete = false;
          break;
        }
        const own = plan.possibleLengths();
        if (!own) continue; // the library treats a plan without lengths as "any length"
        groupLengths = intersect(groupLengths, own);
      }
      if (!complete) continue;
      for (const country of countries) {
        const plan = raw.get(country);
        if (!plan) continue;
        const prefix = plan.nationalPrefixForParsing();
        const idd = plan.IDDPrefix();
        const compiled: Plan = {
          callingCode: plan.callingCode(),
          prefix: prefix ? new RegExp(`^(?:${prefix})`) : null,
          nationalNumber: new RegExp(`^(?:${plan.nationalNumberPattern()})$`),
          idd: idd ? new RegExp(`^(?:${idd})`) : null,
          groupLengths,
        };
        if (compiled.callingCode !== code)
          throw new Error("calling code mismatch");
        byCountry.set(country, compiled);
        if (country === countries[0]) byCallingCode.set(code, compiled);
      }
    }
  } catch {
    // The library changed shape: use it for everything (correct, only slower).
    byCountry.clear();
    byCallingCode.clear();
  }
  return { byCountry, byCallingCode };
}

/** Only digits and common separators; anything else (letters, "ext", "#", ",", "/") → library. */
const INTERNATIONAL_SIMPLE = /^\+[1-9][0-9 .()-]*[0-9]$/;
const NATIONAL_SIMPLE = /^[0-9(][0-9 .()-]*[0-9]$/;
const SEPARATORS = /[ .()-]/g;

function lengthOk(plan: Plan, n: number): boolean {
  return plan.groupLengths === null || plan.groupLengths.has(n);
}

/**
 * The national number after the library's national-prefix step, or undefined when that step
 * would do something we do not replay (carrier codes, rewrites, country detection).
 */
function stripNationalPrefix(digits: string, plan: Plan): string | undefined {
  if (!plan.prefix) return digits;
  const m = plan.prefix.exec(digits);
  if (!m) return digits;
  for (let g = 1; g < m.length; g++) if (m[g]) return undefined; // carrier code / transform rule
  if (m[0] === "") return digits;
  const stripped = digits.slice(m[0].length);
  // Library: keep the prefix when the full digits are a valid national number and the rest is not.
  if (plan.nationalNumber.test(digits) && !plan.nationalNumber.test(stripped))
    return digits;
  // Library: strip only if the rest is not too short / of an impossible length.
  return lengthOk(plan, stripped.length) ? stripped : undefined;
}

/** E.164, or undefined when the library must decide. Exported for tests. */
export function fastE164(
  text: string,
  defaultCountry?: CountryCode,
): string | undefined {
  if (text.charCodeAt(0) === 43 /* + */) {
    if (!INTERNATIONAL_SIMPLE.test(text)) return undefined;
    const digits = text.replace(SEPARATORS, "").slice(1);
    for (let k = 1; k <= 3 && k < digits.length; k++) {
      const plan = TABLES.byCallingCode.get(digits.slice(0, k));
      if (!plan) continue; // calling codes are prefix-free: the first hit is the library's
      const national = digits.slice(k);
      if (stripNationalPrefix(national, plan) !== national) return undefined; // prefix handling → library
      return lengthOk(plan, national.length) ? `+${digits}` : undefined;
    }
    return undefined;
  }

  if (!defaultCountry || !NATIONAL_SIMPLE.test(text)) return undefined;
  const plan = TABLES.byCountry.get(defaultCountry);
  if (!plan) return undefined;
  const digits = text.replace(SEPARATORS, "");
  // Library: an IDD prefix ("011…" in the US) makes it international; a leading calling code may too.
  if (plan.idd && plan.idd.test(digits)) return undefined;
  if (digits.startsWith(plan.callingCode)) return undefined;
  const national = stripNationalPrefix(digits, plan);
  if (national === undefined || national.length < 2 || national.length > 17)
    return undefined;
  return lengthOk(plan, national.length)
    ? `+${plan.callingCode}${national}`
    : undefined;
}
