import { afterEach, describe, expect, it } from "vitest";
import {
  ORDERS_STANDIN_TOKEN,
  createdAtFilter,
  requestedCost,
  startOrdersStandin,
  type OrdersStandin,
} from "./shopify-orders-standin.server";
import { graphqlOrder } from "../test/fixtures/graphql-orders";

const QUERY = `query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    edges { cursor node { id name createdAt lineItems(first: 25) { nodes { sku } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

let standin: OrdersStandin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

interface Answer {
  status: number;
  text: string;
  json: {
    data?: {
      orders: {
        edges: { cursor: string; node: { id: string; createdAt: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    errors?: { message: string; extensions?: { code?: string } }[] | string;
    extensions?: {
      cost: {
        requestedQueryCost: number;
        actualQueryCost: number | null;
        throttleStatus: {
          maximumAvailable: number;
          currentlyAvailable: number;
          restoreRate: number;
        };
      };
    };
  };
}

async function ask(
  variables: Record<string, unknown>,
  token = ORDERS_STANDIN_TOKEN,
  query = QUERY,
): Promise<Answer> {
  const res = await fetch(`${standin!.url}/admin/api/2025-10/graphql.json`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Shopify-Access-Token": token,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Answer["json"] };
}

const day = (n: number) => new Date(Date.UTC(2026, 10, 1 + n, 12));

describe("Admin GraphQL orders stand-in", () => {
  it("answers only the address fields the query selects, and no address the query leaves out", async () => {
    standin = await startOrdersStandin();
    standin.setOrders([
      graphqlOrder(1, day(1), {
        billingAddress: {
          phone: null,
          firstName: "Ann",
          zip: "10115",
          countryCodeV2: "DE",
        },
        shippingAddress: { firstName: "Bob", countryCodeV2: "FR" },
      }),
    ]);
    const node = async (query: string) =>
      (
        await ask(
          {
            first: 1,
            query: `created_at:>=${day(0).toISOString()} created_at:<${day(9).toISOString()}`,
          },
          ORDERS_STANDIN_TOKEN,
          query,
        )
      ).json.data!.orders.edges[0].node as unknown as Record<string, unknown>;
    const selecting = (fields: string) =>
      QUERY.replace("createdAt", `createdAt billingAddress { ${fields} }`);
    expect(
      (await node(selecting("firstName zip city"))).billingAddress,
    ).toEqual({ firstName: "Ann", zip: "10115", city: null });
    const without = await node(selecting("countryCodeV2"));
    expect(without.billingAddress).toEqual({ countryCodeV2: "DE" });
    expect("shippingAddress" in without).toBe(false);
  });

  it("pages through the window in creation order with cursors, ids exact", async () => {
    standin = await startOrdersStandin();
    // Out of order on purpose; two outside the window.
    standin.setOrders([
      graphqlOrder(5, day(5)),
      graphqlOrder(1, day(1)),
      graphqlOrder(3, day(3)),
      graphqlOrder(2, day(2)),
      graphqlOrder(4, day(4)),
      graphqlOrder(0, day(0)),
    ]);
    const query = `created_at:>=${day(1).toISOString()} created_at:<${day(5).toISOString()}`;
    const first = await ask({ first: 3, query });
    expect(first.status).toBe(200);
    const page1 = first.json.data!.orders;
    expect(page1.edges.map((e) => e.node.createdAt)).toEqual(
      [1, 2, 3].map((n) => day(n).toISOString()),
    );
    expect(page1.pageInfo.hasNextPage).toBe(true);
    // The raw text carries the 18-digit id verbatim (a string in GraphQL, never a number).
    expect(first.text).toContain('"gid://shopify/Order/820982911946154509"');
    const second = await ask({
      first: 3,
      after: page1.pageInfo.endCursor,
      query,
    });
    const page2 = second.json.data!.orders;
    expect(page2.edges.map((e) => e.node.id)).toEqual([
      "gid://shopify/Order/820982911946154512",
    ]);
    expect(page2.pageInfo).toEqual({
      hasNextPage: false,
      endCursor: page2.edges[0].cursor,
    });
  });

  it("reports the query cost and charges the leaky bucket", async () => {
    let clock = 0;
    standin = await startOrdersStandin({
      maximumAvailable: 1000,
      restoreRate: 10,
      now: () => clock,
    });
    standin.setOrders([graphqlOrder(0, day(0)), graphqlOrder(1, day(1))]);
    const answer = await ask({ first: 5 });
    const cost = answer.json.extensions!.cost;
    expect(cost.requestedQueryCost).toBe(requestedCost(5, 25));
    expect(cost.actualQueryCost).toBeGreaterThan(0);
    expect(cost.actualQueryCost).toBeLessThan(cost.requestedQueryCost);
    expect(cost.throttleStatus).toEqual({
      maximumAvailable: 1000,
      currentlyAvailable: 1000 - cost.actualQueryCost!,
      restoreRate: 10,
    });
    expect(standin.costUsed).toBe(cost.actualQueryCost);
    clock += 1000; // restores 10 points
    const later = await ask({ first: 5 });
    expect(later.json.extensions!.cost.throttleStatus.currentlyAvailable).toBe(
      1000 - 2 * cost.actualQueryCost! + 10,
    );
  });

  it("answers THROTTLED with the throttle status when the bucket cannot cover the request", async () => {
    let clock = 0;
    standin = await startOrdersStandin({
      maximumAvailable: 1000,
      restoreRate: 100,
      now: () => clock,
    });
    standin.setOrders([graphqlOrder(0, day(0))]);
    standin.drainBucket();
    const throttled = await ask({ first: 2 });
    expect(throttled.status).toBe(200);
    expect(throttled.json.data).toBeUndefined();
    expect(throttled.json.errors).toEqual([
      expect.objectContaining({
        message: "Throttled",
        extensions: expect.objectContaining({ code: "THROTTLED" }),
      }),
    ]);
    expect(throttled.json.extensions!.cost).toEqual({
      requestedQueryCost: requestedCost(2, 25),
      actualQueryCost: null,
      throttleStatus: {
        maximumAvailable: 1000,
        currentlyAvailable: 0,
        restoreRate: 100,
      },
    });
    expect(standin.costUsed).toBe(0);
    // After the restore time the same request goes through.
    clock += Math.ceil((requestedCost(2, 25) / 100) * 1000);
    const retried = await ask({ first: 2 });
    expect(retried.json.data!.orders.edges).toHaveLength(1);
  });

  it("refuses a wrong or revoked token with 401 and injects 5xx / 401 on demand", async () => {
    standin = await startOrdersStandin();
    standin.setOrders([graphqlOrder(0, day(0))]);
    expect((await ask({ first: 1 }, "shpat_wrong")).status).toBe(401);
    standin.failNext({ status: 503 }, 2);
    expect((await ask({ first: 1 })).status).toBe(503);
    expect((await ask({ first: 1 })).status).toBe(503);
    expect((await ask({ first: 1 })).status).toBe(200);
    standin.revoke(ORDERS_STANDIN_TOKEN);
    expect((await ask({ first: 1 })).status).toBe(401);
  });

  it("fails the page after a given cursor once (a 5xx mid-run)", async () => {
    standin = await startOrdersStandin();
    standin.setOrders([0, 1, 2].map((i) => graphqlOrder(i, day(i))));
    const first = await ask({ first: 1 });
    const cursor = first.json.data!.orders.pageInfo.endCursor!;
    standin.failAfterCursor(cursor, { status: 502 });
    expect((await ask({ first: 1, after: cursor })).status).toBe(502);
    const again = await ask({ first: 1, after: cursor });
    expect(again.json.data!.orders.edges[0].node.id).toBe(
      "gid://shopify/Order/820982911946154509",
    );
  });

  it("rejects what it does not implement with a GraphQL error", async () => {
    standin = await startOrdersStandin();
    const tooMany = await ask({ first: 251 });
    expect(tooMany.json.errors).toEqual([
      expect.objectContaining({ message: "first must be between 1 and 250" }),
    ]);
    const other = await ask(
      { first: 1 },
      ORDERS_STANDIN_TOKEN,
      "{ shop { id } }",
    );
    expect(other.json.data).toBeUndefined();
    const badCursor = await ask({ first: 1, after: "not-a-cursor" });
    expect(badCursor.json.errors).toEqual([
      expect.objectContaining({ message: expect.stringContaining("cursor") }),
    ]);
    expect(() => createdAtFilter("status:open")).toThrow(/unsupported/);
    const byId = createdAtFilter("id:820982911946154508");
    expect(byId(graphqlOrder(0, day(0)))).toBe(true);
    expect(byId(graphqlOrder(1, day(0)))).toBe(false);
    const tooCostly = await ask({ first: 100 });
    expect(tooCostly.json.errors).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({ code: "MAX_COST_EXCEEDED" }),
      }),
    ]);
  });
});
