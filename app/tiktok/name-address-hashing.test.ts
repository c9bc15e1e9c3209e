import { describe, expect, it } from "vitest";
import {
  hashNameAndAddress,
  normalizeCity,
  normalizeCountryCode,
  normalizeName,
  normalizeStateCode,
  normalizeZip,
} from "./hashing";

// Vectors computed outside the code, in a shell: printf '%s' '<normalised>' | sha256sum
// (the normalised forms typed as precomposed UTF-8; `printf '%s' zoë | od -An -tx1` = 7a 6f c3 ab).
const H = {
  joseMuller:
    "2a071b65fc0647adae877bff1048b992de7f84ac133b4c7cc5a1c872384745e9", // josémüllerlüdenscheidt
  jose: "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866", // josé
  mullerLudenscheidt:
    "5d111567d02391abb8602b6a6498465eb1edf98eb6ba46fa5bd2f2d69351a514", // müllerlüdenscheidt
  zoe: "2752b88686847fa5c86f47b94ce652b7b3f22a91c37617d451a4db9afa431450", // zoë
  obrien: "b4cb6cb33fe4b865868de825023a1e2790dc12ac01ecc8d7c5afe8254071c8ba", // obrien
  maryann: "16b3f07f0ec2f9dd127b71dc2e6c791b7d93116a1c3bc99d057eaa7a8a077e73", // maryann
  renee: "c40ff11aec12e899a09b7b0067b74c8006e2042a880a9e04bbed42bc9d2506e3", // renée
  ukPostcode:
    "830e1d4b9838bab1f5c2acdb23e0b502ff13a9832c4632e8d67a1d43d3b7f614", // sw1a1aa
  usZipPlus4:
    "8419808b12022b49f3b3724a6a2a8f3f8798fdf48376fbe8722a6de43fa3c5a9", // 94105-1234
  caPostcode:
    "3e8d74314dc02166b1ea8c7bd8c2357fb3f9898074395b8c57f8799848b4daa1", // k1a0b1
};

describe("names: NFC, lower-case, letters/marks/digits only, SHA-256", () => {
  it.each([
    ["  José  Müller-Lüdenscheidt ", H.joseMuller],
    ["José", H.jose],
    ["Müller-Lüdenscheidt", H.mullerLudenscheidt],
    ["Zoë", H.zoe],
    ["ZOË", H.zoe],
    ["Zoe\u0308", H.zoe], // NFD: "e" + combining diaeresis
    ["O'Brien", H.obrien],
    ["Mary Ann", H.maryann],
    ["Mary-Ann\u00a0", H.maryann],
    ["Rene\u0301e", H.renee], // NFD again
  ])("%j", (raw, hash) => {
    expect(hashNameAndAddress({ firstName: raw })).toEqual({
      first_name: hash,
    });
    expect(hashNameAndAddress({ lastName: raw })).toEqual({ last_name: hash });
  });

  it("normalises NFC and NFD spellings to the same precomposed text", () => {
    expect(normalizeName("Zoe\u0308")).toBe("zo\u00eb");
    expect(normalizeName("  José  Müller-Lüdenscheidt ")).toBe(
      "jos\u00e9m\u00fcllerl\u00fcdenscheidt",
    );
  });
});

describe("zip_code: lower-case, whitespace removed, SHA-256", () => {
  it.each([
    ["SW1A 1AA", "sw1a1aa", H.ukPostcode],
    [" sw1a1aa ", "sw1a1aa", H.ukPostcode],
    ["94105-1234", "94105-1234", H.usZipPlus4],
    ["K1A 0B1", "k1a0b1", H.caPostcode],
  ])("%j → %s", (raw, normalised, hash) => {
    expect(normalizeZip(raw)).toBe(normalised);
    expect(hashNameAndAddress({ zip: raw })).toEqual({ zip_code: hash });
  });
});

describe("city, state, country: plain, lower-case a-z0-9", () => {
  it.each([
    ["São Paulo", "saopaulo"],
    ["Zürich", "zurich"],
    ["St. John's", "stjohns"],
    ["Düsseldorf-Nord 2", "dusseldorfnord2"],
    ["København", "kobenhavn"],
    ["Großenhain", "grossenhain"],
    ["  NEW YORK ", "newyork"],
  ])("city %j → %s", (raw, city) => {
    expect(normalizeCity(raw)).toBe(city);
    expect(hashNameAndAddress({ city: raw })).toEqual({ city });
  });

  it("drops a city with no Latin letters or digits rather than sending an empty one", () => {
    expect(normalizeCity("東京")).toBeNull();
    expect(hashNameAndAddress({ city: "東京" })).toEqual({});
  });

  it("sends Shopify's province and country codes lower-cased", () => {
    expect(
      hashNameAndAddress({ provinceCode: "ON", countryCode: "CA" }),
    ).toEqual({ state: "on", country: "ca" });
    expect(normalizeStateCode("JP-13")).toBe("jp13");
    expect(normalizeCountryCode(" us ")).toBe("us");
  });

  it("refuses anything but a two-letter country code", () => {
    expect(normalizeCountryCode("Canada")).toBeNull();
    expect(normalizeCountryCode("C1")).toBeNull();
    expect(hashNameAndAddress({ countryCode: "USA" })).toEqual({});
  });
});

describe("hashNameAndAddress", () => {
  it("maps a full address to exactly the six keys", () => {
    expect(
      hashNameAndAddress({
        firstName: "Zoë",
        lastName: "O'Brien",
        city: "São Paulo",
        provinceCode: "SP",
        countryCode: "BR",
        zip: "SW1A 1AA",
      }),
    ).toEqual({
      first_name: H.zoe,
      last_name: H.obrien,
      city: "saopaulo",
      state: "sp",
      country: "br",
      zip_code: H.ukPostcode,
    });
  });

  it("never hashes an empty string: blank or punctuation-only fields are omitted, not sent as ''", () => {
    const out = hashNameAndAddress({
      firstName: "",
      lastName: "   ",
      city: " - ",
      provinceCode: "",
      countryCode: "",
      zip: " \t ",
    });
    expect(out).toEqual({});
    expect(hashNameAndAddress({ firstName: "-'.", lastName: null })).toEqual(
      {},
    );
    // the SHA-256 of "" must never appear
    const emptyHash =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; // printf '%s' '' | sha256sum
    expect(
      JSON.stringify(hashNameAndAddress({ firstName: " " })),
    ).not.toContain(emptyHash);
  });

  it("omits missing fields and answers {} for no address at all", () => {
    expect(hashNameAndAddress(null)).toEqual({});
    expect(hashNameAndAddress(undefined)).toEqual({});
    expect(hashNameAndAddress({ countryCode: "DE" })).toEqual({
      country: "de",
    });
    expect(Object.keys(hashNameAndAddress({ firstName: "Zoë" }))).toEqual([
      "first_name",
    ]);
  });

  it("passes 64-hex names and postal codes through as already hashed (lower-cased), never twice", () => {
    expect(
      hashNameAndAddress({
        firstName: H.zoe.toUpperCase(),
        lastName: ` ${H.obrien} `,
        zip: H.usZipPlus4,
      }),
    ).toEqual({
      first_name: H.zoe,
      last_name: H.obrien,
      zip_code: H.usZipPlus4,
    });
  });
});
