// The demo's journey data must be what the real endpoints accept, and tie together the way the
// storefront script and Shopify tie a visit to its order.
import { describe, expect, it } from "vitest";
import { parseOrder } from "~/orders/order";
import { orderFilterReason } from "~/orders/purchase";
import { cartAttribute, fromWebhookOrder } from "~/orders/shop-order";
import { parseCollectBody } from "~/storefront/collect-schema";
import { parseRelayBody } from "~/checkout/relay-schema";
import {
  buildJourney,
  demoHostParam,
  embeddedQuery,
  type ProxyStep,
  type RelayStep,
  type WebhookStep,
} from "../../dev/demo/journey";
import {
  matchKeysOf,
  notSentFromDeliveries,
  receivedTable,
} from "../../dev/demo/report";

const FILTERS = {
  purchaseEventName: "Purchase",
  valueSource: "total",
  consentPolicy: "limited",
  skipTestOrders: true,
  skipPosOrders: true,
  skipDraftOrders: true,
  skipSubscriptionRecurringOrders: true,
};

describe("demo journey", () => {
  const journey = buildJourney(new Date("2026-11-21T12:00:00Z"));
  const proxies = journey.steps.filter(
    (s): s is ProxyStep => s.kind === "proxy",
  );
  const webhooks = journey.steps.filter(
    (s): s is WebhookStep => s.kind === "webhook",
  );

  it("relays only bodies the checkout relay accepts, joined to their orders by checkout token", () => {
    const relays = journey.steps.filter(
      (s): s is RelayStep => s.kind === "relay",
    );
    expect(relays.length).toBeGreaterThanOrEqual(5);
    for (const step of relays)
      expect(
        parseRelayBody(JSON.stringify(step.body)),
        step.label,
      ).toMatchObject({ ok: true });
    for (const orderName of ["#1005", "#1006"]) {
      const webhook = webhooks.find((w) => w.orderName === orderName)!;
      const order = fromWebhookOrder(parseOrder(webhook.body));
      expect(order.hints.cartAttributes).toEqual({}); // Buy it now, a checkout link: no cart
      const completed = relays.find(
        (r) =>
          r.body.event === "checkout_completed" &&
          r.body.order_id === webhook.orderId,
      )!;
      expect(completed.body.token).toBe(order.hints.checkoutToken);
    }
    // #1006's webhook comes before its thank-you page
    const steps = journey.steps.map((s) => s.label);
    const late = webhooks.find((w) => w.orderName === "#1006")!;
    expect(steps.indexOf(late.label)).toBeLessThan(steps.length - 1);
    expect(journey.steps.at(-1)!.kind).toBe("relay");
  });

  it("posts only bodies the app proxy schema accepts", () => {
    for (const step of proxies) {
      const parsed = parseCollectBody(JSON.stringify(step.body));
      expect(parsed, step.label).toMatchObject({ ok: true });
    }
  });

  it("sends orders the webhook parser reads with their exact 13-digit ids", () => {
    for (const step of webhooks) {
      expect(step.body).toContain(`"id":${step.orderId},`);
      expect(parseOrder(step.body).id).toBe(step.orderId);
    }
  });

  it("ties the first order to the ad click through the hidden cart attributes", () => {
    const landing = proxies[0]!.body;
    const order = fromWebhookOrder(parseOrder(webhooks[0]!.body));
    expect(landing.ttclid).toBe(journey.clickOrder.ttclid);
    expect(cartAttribute(order, "_tt_sid")).toBe(landing.session_id);
    expect(cartAttribute(order, "_tt_ttclid")).toBe(landing.ttclid);
    expect(cartAttribute(order, "_ttp")).toBe(landing.ttp);
    expect(order.hints.cartToken).toBe(proxies[2]!.body.cart_token);
  });

  it("covers consent denied, a POS order and a re-delivery with the same webhook ids", () => {
    const denied = proxies.find((p) => p.body.consent === "denied")!;
    const deniedOrder = fromWebhookOrder(parseOrder(webhooks[2]!.body));
    expect(cartAttribute(deniedOrder, "_tt_sid")).toBe(denied.body.session_id);
    expect(
      orderFilterReason(
        fromWebhookOrder(parseOrder(webhooks[3]!.body)),
        FILTERS,
      ),
    ).toBe("Skipped: point of sale order.");
    const redelivery = webhooks[4]!;
    expect(redelivery.redelivery).toBe(true);
    expect([redelivery.webhookId, redelivery.eventId, redelivery.body]).toEqual(
      [webhooks[0]!.webhookId, webhooks[0]!.eventId, webhooks[0]!.body],
    );
  });

  it("builds Shopify's host parameter for the demo shop", () => {
    expect(Buffer.from(demoHostParam(), "base64").toString()).toBe(
      "admin.shopify.com/store/demo-shop",
    );
    expect(embeddedQuery()).toBe(
      `embedded=1&shop=demo-shop.myshopify.com&host=${demoHostParam()}`,
    );
  });
});

describe("demo report", () => {
  it("lists the match keys TikTok received, in a fixed order", () => {
    expect(
      matchKeysOf({
        ip: "1.2.3.4",
        email: ["a".repeat(64)],
        ttclid: "E.C.P.x",
        phone: [],
        ttp: "",
      }),
    ).toEqual(["ttclid", "email", "ip"]);
  });

  it("aligns the received table and marks limited data use", () => {
    const lines = receivedTable([
      {
        event: "Purchase",
        event_id: "1_Purchase",
        user: { email: ["e"] },
        properties: { value: 58.8, currency: "USD" },
        limited_data_use: true,
      },
      {
        event: "ViewContent",
        event_id: "abc",
        user: {},
        properties: {},
        limited_data_use: false,
      },
    ]);
    expect(lines).toEqual([
      "  EVENT        EVENT_ID    MATCH KEYS  VALUE",
      "  Purchase     1_Purchase  email       58.80 USD  limited data use",
      "  ViewContent  abc         -           -",
    ]);
  });

  it("reports skipped and failed deliveries with the app's reason", () => {
    const base = {
      source: "order",
      eventName: "Purchase",
      matchKeys: "",
      attemptCount: 0,
    };
    expect(
      notSentFromDeliveries([
        {
          ...base,
          eventId: "1",
          orderName: "#1",
          status: "delivered",
          lastError: null,
        },
        {
          ...base,
          eventId: "2",
          orderName: "#2",
          status: "skipped",
          lastError: "Skipped: point of sale order.",
        },
        {
          ...base,
          eventId: "3",
          orderName: null,
          source: "storefront",
          status: "failed",
          lastError: "code 40001",
        },
      ]),
    ).toEqual([
      {
        what: "#2 Purchase",
        status: "skipped",
        reason: "Skipped: point of sale order.",
      },
      { what: "storefront Purchase", status: "failed", reason: "code 40001" },
    ]);
  });
});
