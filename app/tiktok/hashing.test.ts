import { describe, expect, it } from "vitest";
import {
  hashUserIdentifiers,
  isSha256Hex,
  normalizeEmail,
  normalizeExternalId,
  normalizePhone,
  sha256Hex,
} from "./hashing";

// Vectors computed independently in a shell: printf %s '<value>' | sha256sum
const H = {
  janeEmail: "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d", // jane@example.com
  johnEmail: "d9e96c786755b0d0c18f871dba5bff4ce3d866523c8544276b5f05bb013c1d17", // john.smith@example.co.uk
  usPhone: "cb6880e416769253645cb9c6b8989154bf66a56a77fc14c81fb1019663cbb928", // +14155552671
  ukPhone: "f0bf0228144d9fe2bdf1da2d8ca698f17bf1410ee688b075c27062e47b6f0b6d", // +442079460958
  frPhone: "42d573cfc315801d4cd8eddd5416b416a0bf298b9b9e12d6b07442c91db42bd8", // +33612345678
  custLower: "e5d8e81e7d9583c7b0df71358c3fded8e6c7f2c962326359d16bb98f124c39f4", // cust_12345
  custUpper: "0d859088c35b8b28b8ff6412974f1ee3587b8c01167fdc4eb8ee2ceadd8781e9", // CUST_12345
  shopifyId: "e98425850f640efda957f97681f58377101a0825117e6358db196232d128ce94", // 7391043534931
};

describe("sha256Hex", () => {
  it("matches sha256sum output", () => {
    expect(sha256Hex("jane@example.com")).toBe(H.janeEmail);
    expect(sha256Hex("+14155552671")).toBe(H.usPhone);
  });
});

describe("isSha256Hex", () => {
  it("accepts 64 hex characters in either case only", () => {
    expect(isSha256Hex(H.janeEmail)).toBe(true);
    expect(isSha256Hex(H.janeEmail.toUpperCase())).toBe(true);
    expect(isSha256Hex(H.janeEmail.slice(1))).toBe(false);
    expect(isSha256Hex(`${H.janeEmail}0`)).toBe(false);
    expect(isSha256Hex(`${H.janeEmail.slice(1)}g`)).toBe(false);
    expect(isSha256Hex("")).toBe(false);
  });
});

describe("normalizeEmail", () => {
  it("trims and lower-cases", () => {
    expect(normalizeEmail("  Jane@Example.COM \n")).toBe("jane@example.com");
  });
  it("drops empty and non-address values", () => {
    expect(normalizeEmail("")).toBeNull();
    expect(normalizeEmail("   ")).toBeNull();
    expect(normalizeEmail("not an email")).toBeNull();
  });
});

describe("normalizePhone", () => {
  it("reads national numbers with the default region", () => {
    expect(normalizePhone("(415) 555-2671", "US")).toBe("+14155552671");
    expect(normalizePhone("020 7946 0958", "GB")).toBe("+442079460958");
    expect(normalizePhone("06 12 34 56 78", "fr")).toBe("+33612345678");
  });
  it("keeps numbers that already carry a country code, whatever the default", () => {
    expect(normalizePhone("+1 415-555-2671")).toBe("+14155552671");
    expect(normalizePhone("+44 20 7946 0958", "US")).toBe("+442079460958");
  });
  it("reads a 00 international prefix as +", () => {
    expect(normalizePhone("0044 20 7946 0958", "US")).toBe("+442079460958");
    expect(normalizePhone("001 415 555 2671", "DE")).toBe("+14155552671");
    expect(normalizePhone("0033612345678")).toBe("+33612345678");
  });
  it("returns null for what it cannot read", () => {
    expect(normalizePhone("")).toBeNull();
    expect(normalizePhone("  ")).toBeNull();
    expect(normalizePhone("call me maybe", "US")).toBeNull();
    expect(normalizePhone("12", "US")).toBeNull();
    // National number without any region: ambiguous, dropped rather than guessed.
    expect(normalizePhone("(415) 555-2671")).toBeNull();
    // Unknown region code is ignored, so the national number is still unreadable.
    expect(normalizePhone("(415) 555-2671", "XX")).toBeNull();
  });
});

describe("normalizeExternalId", () => {
  it("trims but keeps case", () => {
    expect(normalizeExternalId("  CUST_12345 ")).toBe("CUST_12345");
    expect(normalizeExternalId("   ")).toBeNull();
  });
});

describe("hashUserIdentifiers", () => {
  it("normalises then hashes each kind", () => {
    expect(
      hashUserIdentifiers({
        emails: ["  Jane@Example.COM "],
        phones: ["(415) 555-2671"],
        externalIds: [" cust_12345 "],
        defaultCountry: "US",
      }),
    ).toEqual({
      email: [H.janeEmail],
      phone: [H.usPhone],
      external_id: [H.custLower],
    });
  });

  it("keeps several values, deduplicated after normalisation, in first-seen order", () => {
    expect(
      hashUserIdentifiers({
        emails: [
          "jane@example.com",
          "JOHN.SMITH@example.co.uk",
          " jane@EXAMPLE.com",
          H.janeEmail,
        ],
        phones: ["+1 415 555 2671", "020 7946 0958", "0044 20 7946 0958"],
        externalIds: ["cust_12345", "CUST_12345", 7391043534931],
        defaultCountry: "GB",
      }),
    ).toEqual({
      email: [H.janeEmail, H.johnEmail],
      phone: [H.usPhone, H.ukPhone],
      external_id: [H.custLower, H.custUpper, H.shopifyId],
    });
  });

  it("passes already-hashed values through (lower-cased), never hashing twice", () => {
    const out = hashUserIdentifiers({
      emails: [H.janeEmail.toUpperCase()],
      phones: [` ${H.frPhone} `],
      externalIds: [H.custLower],
    });
    expect(out).toEqual({
      email: [H.janeEmail],
      phone: [H.frPhone],
      external_id: [H.custLower],
    });
    expect(out.email?.[0]).not.toBe(sha256Hex(H.janeEmail));
  });

  it("never hashes empty input and omits keys with nothing left", () => {
    const emptyHash = sha256Hex(""); // e3b0c442…: must never appear
    const out = hashUserIdentifiers({
      emails: ["", "   ", null, undefined],
      phones: ["", "not a phone"],
      externalIds: ["  ", null],
      defaultCountry: "US",
    });
    expect(out).toEqual({});
    expect(JSON.stringify(out)).not.toContain(emptyHash);
    expect(hashUserIdentifiers({})).toEqual({});
  });

  it("drops an unparseable phone instead of hashing it raw", () => {
    const out = hashUserIdentifiers({
      phones: ["555-CALL-NOW", "(415) 555-2671"],
    });
    // No default region: the national number is unreadable too.
    expect(out.phone).toBeUndefined();
    expect(
      hashUserIdentifiers({ phones: ["555-CALL-NOW", "+33 6 12 34 56 78"] })
        .phone,
    ).toEqual([H.frPhone]);
  });
});
