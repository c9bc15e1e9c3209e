import { describe, expect, it } from "vitest";
import {
  CONSENT_POLICIES,
  DEFAULT_SETTINGS,
  EVENT_TOGGLES,
  ORDER_FILTERS,
  PURCHASE_EVENT_NAMES,
  PURCHASE_TRIGGERS,
  VALUE_SOURCES,
  parsePixelForm,
  parsePurchaseTrigger,
  type SettingsField,
  type PixelInput,
} from "./settings-form";

type Form = Record<string, string | undefined>;

const VALID: Form = {
  pixelCode: "CABC123DEF456GHI789J",
  accessToken: "tt-access-token-0001",
  testEventCode: "",
  purchaseEventName: "Purchase",
  consentPolicy: "limited",
  valueSource: "total",
};

const form = (overrides: Form): Form => ({ ...VALID, ...overrides });

function valueOf(input: Form, hasStoredToken = false): PixelInput {
  const result = parsePixelForm(input, hasStoredToken);
  if (!result.ok)
    throw new Error(
      `expected a valid form, got ${JSON.stringify(result.errors)}`,
    );
  return result.value;
}

describe("parsePixelForm: valid values", () => {
  const cases: [string, Form, Partial<PixelInput>][] = [
    [
      "the minimal form",
      VALID,
      {
        pixelCode: "CABC123DEF456GHI789J",
        accessToken: "tt-access-token-0001",
        testEventCode: null,
      },
    ],
    [
      "pixel code trimmed and upper-cased",
      form({ pixelCode: "  cabc123def456ghi789j " }),
      { pixelCode: "CABC123DEF456GHI789J" },
    ],
    [
      "pixel code of 10 characters",
      form({ pixelCode: "A123456789" }),
      { pixelCode: "A123456789" },
    ],
    [
      "pixel code of 40 characters",
      form({ pixelCode: "A".repeat(40) }),
      { pixelCode: "A".repeat(40) },
    ],
    [
      "access token trimmed",
      form({ accessToken: "  tok-1  " }),
      { accessToken: "tok-1" },
    ],
    [
      "access token of 512 characters",
      form({ accessToken: "t".repeat(512) }),
      { accessToken: "t".repeat(512) },
    ],
    [
      "test event code kept",
      form({ testEventCode: " TEST_12-ab " }),
      { testEventCode: "TEST_12-ab" },
    ],
    [
      "blank test event code is null",
      form({ testEventCode: "   " }),
      { testEventCode: null },
    ],
    [
      "test event code of 64 characters",
      form({ testEventCode: "a".repeat(64) }),
      { testEventCode: "a".repeat(64) },
    ],
    [
      "event name defaults to Purchase",
      form({ purchaseEventName: undefined }),
      { purchaseEventName: "Purchase" },
    ],
    [
      "value source defaults to total",
      form({ valueSource: undefined }),
      { valueSource: "total" },
    ],
    [
      "checkboxes: absent is off",
      VALID,
      { sendPurchase: false, skipTestOrders: false },
    ],
    [
      "checkboxes: on and true are on",
      form({ sendPurchase: "on", skipTestOrders: "true" }),
      { sendPurchase: true, skipTestOrders: true },
    ],
    [
      "checkboxes: off and false are off",
      form({ sendPurchase: "off", skipTestOrders: "false" }),
      { sendPurchase: false, skipTestOrders: false },
    ],
    ...PURCHASE_EVENT_NAMES.map((v): [string, Form, Partial<PixelInput>] => [
      `event name ${v}`,
      form({ purchaseEventName: v }),
      { purchaseEventName: v },
    ]),
    ...CONSENT_POLICIES.map((v): [string, Form, Partial<PixelInput>] => [
      `consent policy ${v}`,
      form({ consentPolicy: v }),
      { consentPolicy: v },
    ]),
    ...VALUE_SOURCES.map((v): [string, Form, Partial<PixelInput>] => [
      `value source ${v}`,
      form({ valueSource: v }),
      { valueSource: v },
    ]),
  ];
  it.each(cases)("%s", (_label, input, expected) => {
    expect(valueOf(input)).toMatchObject(expected);
  });

  it.each([...EVENT_TOGGLES, ...ORDER_FILTERS])(
    "checkbox %s is read",
    (field) => {
      expect(valueOf(form({ [field]: "on" }))[field]).toBe(true);
      expect(valueOf(form({}))[field]).toBe(false);
    },
  );

  it("the checkout switches are read independently of InitiateCheckout", () => {
    expect(
      valueOf(
        form({
          sendInitiateCheckout: "on",
          sendAddPaymentInfo: "off",
          sendCheckoutSteps: "on",
        }),
      ),
    ).toMatchObject({
      sendInitiateCheckout: true,
      sendAddPaymentInfo: false,
      sendCheckoutSteps: true,
    });
  });

  it("defaults keep the checkout as it was: AddPaymentInfo on, contact and shipping steps off", () => {
    expect(DEFAULT_SETTINGS).toMatchObject({
      sendInitiateCheckout: true,
      sendAddPaymentInfo: true,
      sendCheckoutSteps: false,
    });
  });

  it("reads FormData as well as a plain record", () => {
    const data = new FormData();
    for (const [key, value] of Object.entries(form({ sendSearch: "on" })))
      if (value !== undefined) data.set(key, value);
    expect(parsePixelForm(data, false)).toEqual(
      parsePixelForm(form({ sendSearch: "on" }), false),
    );
  });
});

describe("parsePixelForm: field errors", () => {
  const cases: [string, Form, SettingsField, RegExp][] = [
    ["pixel code missing", form({ pixelCode: undefined }), "pixelCode", /./],
    [
      "pixel code blank",
      form({ pixelCode: "   " }),
      "pixelCode",
      /^Enter your TikTok pixel code\.$/,
    ],
    [
      "pixel code of 9 characters",
      form({ pixelCode: "A12345678" }),
      "pixelCode",
      /10 to 40 letters and digits/,
    ],
    [
      "pixel code of 41 characters",
      form({ pixelCode: "A".repeat(41) }),
      "pixelCode",
      /10 to 40 letters and digits/,
    ],
    [
      "pixel code with a dash",
      form({ pixelCode: "CABC-123DEF456" }),
      "pixelCode",
      /10 to 40 letters and digits/,
    ],
    [
      "access token of 513 characters",
      form({ accessToken: "t".repeat(513) }),
      "accessToken",
      /too long/,
    ],
    [
      "access token with a space inside",
      form({ accessToken: "tok en" }),
      "accessToken",
      /characters a TikTok token never has/,
    ],
    [
      "access token with a non-ASCII character",
      form({ accessToken: "tokén" }),
      "accessToken",
      /characters a TikTok token never has/,
    ],
    [
      "test event code of 65 characters",
      form({ testEventCode: "a".repeat(65) }),
      "testEventCode",
      /at most 64/,
    ],
    [
      "test event code with a space",
      form({ testEventCode: "TEST 1" }),
      "testEventCode",
      /letters, digits, - and _/,
    ],
    [
      "unknown event name",
      form({ purchaseEventName: "Buy" }),
      "purchaseEventName",
      /^Choose an event name\.$/,
    ],
    [
      "consent policy missing",
      form({ consentPolicy: undefined }),
      "consentPolicy",
      /^Choose a consent policy\.$/,
    ],
    [
      "unknown consent policy",
      form({ consentPolicy: "always" }),
      "consentPolicy",
      /^Choose a consent policy\.$/,
    ],
    [
      "unknown value source",
      form({ valueSource: "net" }),
      "valueSource",
      /^Choose which amount is sent\.$/,
    ],
    [
      "a checkbox with an odd value",
      form({ sendPurchase: "yes" }),
      "sendPurchase",
      /./,
    ],
    [
      "the AddPaymentInfo switch with an odd value",
      form({ sendAddPaymentInfo: "1" }),
      "sendAddPaymentInfo",
      /./,
    ],
    [
      "the checkout steps switch with an odd value",
      form({ sendCheckoutSteps: "enabled" }),
      "sendCheckoutSteps",
      /./,
    ],
  ];
  it.each(cases)("%s → error on %s", (_label, input, field, message) => {
    const result = parsePixelForm(input, true);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[field]).toMatch(message);
    expect(Object.keys(result.errors)).toEqual([field]);
  });

  it("reports every bad field at once, the first message per field", () => {
    const result = parsePixelForm(
      form({ pixelCode: "", testEventCode: "a b", consentPolicy: "x" }),
      true,
    );
    expect(result).toEqual({
      ok: false,
      errors: {
        pixelCode: "Enter your TikTok pixel code.",
        testEventCode: "A test event code has only letters, digits, - and _.",
        consentPolicy: "Choose a consent policy.",
      },
    });
  });
});

describe("parsePixelForm: access token rules", () => {
  const REQUIRED =
    "Enter the Events API access token from TikTok Events Manager.";
  const cases: [
    string,
    string | undefined,
    boolean,
    { token?: string; error?: string },
  ][] = [
    ["first save with a token", "tok-1", false, { token: "tok-1" }],
    ["first save without a token", undefined, false, { error: REQUIRED }],
    ["first save with an empty token", "", false, { error: REQUIRED }],
    ["first save with a blank token", "   ", false, { error: REQUIRED }],
    ["stored token, field left empty: keep it", "", true, {}],
    ["stored token, field absent: keep it", undefined, true, {}],
    ["stored token, new token: replace it", "tok-2", true, { token: "tok-2" }],
    [
      "a bad token is reported as bad, not as missing",
      "tok en",
      false,
      { error: "The access token has characters a TikTok token never has." },
    ],
  ];
  it.each(cases)("%s", (_label, accessToken, hasStoredToken, expected) => {
    const result = parsePixelForm(form({ accessToken }), hasStoredToken);
    if (expected.error) {
      expect(result).toEqual({
        ok: false,
        errors: { accessToken: expected.error },
      });
    } else {
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.value.accessToken).toBe(expected.token);
    }
  });

  it("a missing token is reported alongside other field errors", () => {
    const result = parsePixelForm(
      form({ accessToken: "", pixelCode: "short" }),
      false,
    );
    expect(result).toEqual({
      ok: false,
      errors: {
        pixelCode: expect.stringMatching(/10 to 40/),
        accessToken: REQUIRED,
      },
    });
  });
});

describe("parsePurchaseTrigger: the shop-wide trigger", () => {
  it.each(PURCHASE_TRIGGERS)("trigger %s", (v) => {
    expect(parsePurchaseTrigger(v)).toEqual({ ok: true, value: v });
  });
  it.each([
    ["trigger missing", null],
    ["unknown trigger", "orders/fulfilled"],
  ])("%s → error", (_label, value) => {
    expect(parsePurchaseTrigger(value)).toEqual({
      ok: false,
      error: "Choose when a purchase is sent.",
    });
  });
});
