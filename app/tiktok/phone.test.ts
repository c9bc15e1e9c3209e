import { getCountries, getCountryCallingCode } from "libphonenumber-js";
import metadata from "libphonenumber-js/metadata.min.json";
import { describe, expect, it } from "vitest";
import { fastE164, normalizePhone, normalizePhoneWithLibrary } from "./phone";

/** Deterministic pseudo-random source so failures reproduce. */
function lcg(seed: number) {
  return (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
}

function digitsOf(
  rand: (n: number) => number,
  first: string,
  len: number,
): string {
  let s = first;
  while (s.length < len) s += String(rand(10));
  return s.slice(0, len);
}

function format(rand: (n: number) => number, digits: string): string {
  switch (rand(5)) {
    case 0:
      return digits;
    case 1:
      return `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`.trim();
    case 2:
      return `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}`;
    case 3:
      return digits.replace(/(\d{2})(?=\d)/g, "$1.");
    default:
      return digits.replace(/(\d{3})(?=\d)/g, "$1-");
  }
}

describe("phone fast path agrees with libphonenumber-js", () => {
  it("on international numbers for every calling code", () => {
    const rand = lcg(7);
    const codes = [
      ...Object.keys(metadata.country_calling_codes),
      ...Object.keys(metadata.nonGeographic ?? {}),
    ];
    let compared = 0;
    let fast = 0;
    for (const code of codes) {
      for (let len = 2; len <= 15; len++) {
        for (let rep = 0; rep < 5; rep++) {
          // Leading 0/1/8/9 cover national-prefix cases ("+44 0…", "+52 1…", "+7 8…", "+54 9…").
          const national = digitsOf(
            rand,
            rep < 4 ? "0189"[rep] : String(rand(10)),
            len,
          );
          const text = `+${code} ${format(rand, national)}`;
          const expected = normalizePhoneWithLibrary(text);
          expect(normalizePhone(text), text).toBe(expected);
          if (fastE164(text) !== undefined) fast++;
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(15_000);
    expect(fast).toBeGreaterThan(compared / 10); // the fast path is really exercised
  });

  it("on national numbers for every default country", () => {
    const rand = lcg(11);
    let compared = 0;
    let fast = 0;
    for (const country of getCountries()) {
      const cc = getCountryCallingCode(country);
      for (let len = 2; len <= 14; len++) {
        for (let rep = 0; rep < 6; rep++) {
          // Trunk prefixes (0, 1, 8), the calling code itself, an IDD-like start, or anything.
          const first = ["0", "1", "8", cc, "011", String(rand(10))][rep];
          const text = format(
            rand,
            digitsOf(rand, first, Math.max(len, first.length + 1)),
          );
          const expected = normalizePhoneWithLibrary(text, country);
          expect(normalizePhone(text, country), `${country} ${text}`).toBe(
            expected,
          );
          if (fastE164(text, country) !== undefined) fast++;
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(15_000);
    expect(fast).toBeGreaterThan(compared / 10);
  });

  it("on realistic numbers, most of which the fast path decides", () => {
    const cases: [string, string][] = [
      ["(415) 555-2671", "US"],
      ["415.555.2671", "US"],
      ["1 415 555 2671", "US"],
      ["011 44 20 7946 0958", "US"],
      ["020 7946 0958", "GB"],
      ["07700 900123", "GB"],
      ["06 12 34 56 78", "FR"],
      ["030 12345678", "DE"],
      ["0151 23456789", "DE"],
      ["06 1234 5678", "IT"],
      ["8 (912) 345-67-89", "RU"],
      ["011 15 2345 6789", "AR"],
      ["55 1234 5678", "MX"],
      ["(11) 91234-5678", "BR"],
      ["0 15 11 91234-5678", "BR"], // carrier code
      ["234-5678", "VI"], // transform rule prepends the area code
      ["0 11 15 2345-6789", "AR"], // mobile "15" rewritten to "9"
      ["0412 345 678", "AU"],
      ["090-1234-5678", "JP"],
      ["+1 (415) 555-2671", "DE"],
      ["+44 (0) 20 7946 0958", "US"],
      ["+52 1 55 1234 5678", "US"],
      ["+1 415 555 2671 ext. 5", "US"],
      ["0044 20 7946 0958", "US"],
    ];
    let fast = 0;
    for (const [text, country] of cases) {
      expect(normalizePhone(text, country), `${country} ${text}`).toBe(
        normalizePhoneWithLibrary(text, country),
      );
      if (
        fastE164(
          text.startsWith("00") ? `+${text.slice(2)}` : text,
          country as "US",
        ) !== undefined
      )
        fast++;
    }
    expect(fast).toBeGreaterThan(cases.length / 2);
  });

  it("decides the everyday cases itself", () => {
    expect(fastE164("+1 415 555 2671")).toBe("+14155552671");
    expect(fastE164("+44 20 7946 0958")).toBe("+442079460958");
    expect(fastE164("(415) 555-2671", "US")).toBe("+14155552671");
    expect(fastE164("020 7946 0958", "GB")).toBe("+442079460958");
    expect(fastE164("06 12 34 56 78", "FR")).toBe("+33612345678");
    expect(fastE164("+44 (0) 20 7946 0958")).toBeUndefined(); // left to the library
    expect(fastE164("020 7946 0958")).toBeUndefined(); // national without a region
  });
});
