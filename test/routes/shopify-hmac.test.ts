// The hot routes' own signature checks (app/shopify-hmac.server.ts) against the real Shopify
// library on the same requests: every case must get the library's verdict (status code, or the
// same shop/topic/ids), so the faster check cannot accept anything the library refuses.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookHeaders } from "../../dev/shopify-signing";
import {
  createTestApp,
  TEST_CREDS,
  APP_URL,
  type TestApp,
} from "../support/test-app";

const SHOP = "hmac-check.myshopify.com";
let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
  await app.installShop(SHOP);
});
afterAll(() => app.close());

type Outcome = { status: number } | Record<string, unknown>;

async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return (await run()) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof Response) return { status: error.status };
    throw error;
  }
}

describe("webhook HMAC: same verdict as authenticate.webhook", () => {
  const body = JSON.stringify({ id: 820982911946154500, note: "café ☕ 𝄞" });
  const sign = (data: string, secret = TEST_CREDS.apiSecret) =>
    createHmac("sha256", secret).update(data, "utf8").digest("base64");

  function request(
    edit: (headers: Headers) => void = () => {},
    options: { body?: string; method?: string } = {},
  ): Request {
    const headers = new Headers(
      webhookHeaders({
        topic: "orders/create",
        shop: SHOP,
        body,
        apiSecret: TEST_CREDS.apiSecret,
        webhookId: "wh-1",
        eventId: "ev-1",
      }),
    );
    edit(headers);
    const method = options.method ?? "POST";
    return new Request(new URL("/webhooks/orders", APP_URL), {
      method,
      headers,
      body: method === "GET" ? undefined : (options.body ?? body),
    });
  }

  const cases: [string, () => Request, number | "accepted"][] = [
    ["a valid delivery", () => request(), "accepted"],
    [
      "orders/paid, without an event id",
      () =>
        request((h) => {
          h.set("X-Shopify-Topic", "orders/paid");
          h.delete("X-Shopify-Event-Id");
        }),
      "accepted",
    ],
    [
      "signed with another secret",
      () => request((h) => h.set("X-Shopify-Hmac-Sha256", sign(body, "other"))),
      401,
    ],
    [
      "a body other than the signed one",
      () => request(() => {}, { body: body.replace("café", "cafe") }),
      401,
    ],
    [
      "the HMAC in hex rather than base64",
      () =>
        request((h) =>
          h.set(
            "X-Shopify-Hmac-Sha256",
            createHmac("sha256", TEST_CREDS.apiSecret)
              .update(body)
              .digest("hex"),
          ),
        ),
      401,
    ],
    [
      "a truncated HMAC",
      () =>
        request((h) => h.set("X-Shopify-Hmac-Sha256", sign(body).slice(0, 20))),
      401,
    ],
    [
      "no HMAC header",
      () => request((h) => h.delete("X-Shopify-Hmac-Sha256")),
      400,
    ],
    [
      "an empty body, signed",
      () =>
        request((h) => h.set("X-Shopify-Hmac-Sha256", sign("")), { body: "" }),
      400,
    ],
    ["no topic", () => request((h) => h.delete("X-Shopify-Topic")), 400],
    [
      "no API version",
      () => request((h) => h.delete("X-Shopify-API-Version")),
      400,
    ],
    [
      "no webhook id",
      () => request((h) => h.delete("X-Shopify-Webhook-Id")),
      400,
    ],
    [
      "no shop domain",
      () => request((h) => h.delete("X-Shopify-Shop-Domain")),
      400,
    ],
    [
      "a shop domain that is not a myshopify.com domain",
      () => request((h) => h.set("X-Shopify-Shop-Domain", "evil.example.com")),
      400,
    ],
    ["a GET", () => request(() => {}, { method: "GET" }), 405],
  ];

  it.each(cases)("%s", async (_name, make, expected) => {
    const { verifyWebhook } = await import("~/shopify.server");
    const { verifyWebhookRequest } = await import("~/shopify-hmac.server");
    const library = await outcome(() => verifyWebhook(make()));
    const ours = await outcome(() => verifyWebhookRequest(make()));
    if (expected === "accepted") {
      const pick = (o: Outcome) => {
        const { shop, topic, webhookId, eventId, apiVersion } = o as Record<
          string,
          unknown
        >;
        return { shop, topic, webhookId, eventId, apiVersion };
      };
      expect(pick(library)).toMatchObject({ shop: SHOP, webhookId: "wh-1" });
      expect(pick(ours)).toEqual(pick(library));
      expect((ours as { rawBody: string }).rawBody).toBe(body);
    } else {
      expect(library).toEqual({ status: expected });
      expect(ours).toEqual({ status: expected });
    }
  });
});

describe("app proxy signature: same verdict as authenticate.public.appProxy", () => {
  const now = () => Math.floor(Date.now() / 1000);

  /** Shopify's scheme, written out here: sorted `key=value` pairs, repeats joined by ",". */
  function signedUrl(
    params: [string, string][],
    options: { secret?: string; extra?: [string, string][] } = {},
  ): URL {
    const grouped = new Map<string, string[]>();
    for (const [k, v] of params) grouped.set(k, [...(grouped.get(k) ?? []), v]);
    const message = [...grouped]
      .map(([k, v]) => `${k}=${v.join(",")}`)
      .sort()
      .join("");
    const signature = createHmac(
      "sha256",
      options.secret ?? TEST_CREDS.apiSecret,
    )
      .update(message)
      .digest("hex");
    const url = new URL("/proxy/collect", APP_URL);
    for (const [k, v] of [
      ...params,
      ["signature", signature] as [string, string],
      ...(options.extra ?? []),
    ])
      url.searchParams.append(k, v);
    return url;
  }

  const base = (timestamp = now()): [string, string][] => [
    ["shop", SHOP],
    ["logged_in_customer_id", ""],
    ["path_prefix", "/apps/tiktok-events"],
    ["timestamp", String(timestamp)],
  ];

  const cases: [string, () => URL, boolean][] = [
    ["a valid request", () => signedUrl(base()), true],
    ["a timestamp 80 s old", () => signedUrl(base(now() - 80)), true],
    ["a timestamp 200 s old", () => signedUrl(base(now() - 200)), false],
    ["a timestamp 200 s ahead", () => signedUrl(base(now() + 200)), false],
    [
      "a timestamp that is not an integer",
      () => signedUrl([...base().slice(0, 3), ["timestamp", "12.5"]]),
      false,
    ],
    ["no timestamp", () => signedUrl(base().slice(0, 3)), false],
    [
      "signed with another secret",
      () => signedUrl(base(), { secret: "other" }),
      false,
    ],
    [
      "a parameter added after signing",
      () => signedUrl(base(), { extra: [["logged_in_customer_id", "42"]] }),
      false,
    ],
    [
      "no signature",
      () => {
        const url = signedUrl(base());
        url.searchParams.delete("signature");
        return url;
      },
      false,
    ],
    [
      "the signature twice",
      () => {
        const url = signedUrl(base());
        url.searchParams.append(
          "signature",
          url.searchParams.get("signature")!,
        );
        return url;
      },
      false,
    ],
    [
      "the shop twice (both signed)",
      () => signedUrl([...base(), ["shop", "other.myshopify.com"]]),
      false,
    ],
    [
      "a repeated extra parameter, signed joined by commas",
      () => signedUrl([...base(), ["tag", "a"], ["tag", "b"]]),
      true,
    ],
    [
      "an empty index parameter, not signed",
      () => signedUrl(base(), { extra: [["index", ""]] }),
      true,
    ],
    [
      "signed with Remix's _data parameter, which Remix strips before the action",
      () => {
        const url = signedUrl([...base(), ["_data", "routes/proxy.collect"]]);
        url.searchParams.delete("_data");
        return url;
      },
      true,
    ],
    [
      "signed with a _data parameter for another route",
      () => {
        const url = signedUrl([...base(), ["_data", "routes/app._index"]]);
        url.searchParams.delete("_data");
        return url;
      },
      false,
    ],
  ];

  it.each(cases)("%s", async (_name, make, valid) => {
    const { authenticate } = await import("~/shopify.server");
    const { verifyAppProxyRequest } = await import("~/shopify-hmac.server");
    const library = await outcome(async () => {
      await authenticate.public.appProxy(
        new Request(make(), { method: "POST", body: "{}" }),
      );
      return { valid: true };
    });
    const ours = await outcome(async () => {
      verifyAppProxyRequest(make());
      return { valid: true };
    });
    expect(library).toEqual(valid ? { valid: true } : { status: 400 });
    expect(ours).toEqual(library);
  });
});
