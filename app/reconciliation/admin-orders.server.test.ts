import { afterEach, describe, expect, it } from "vitest";
import {
  ORDERS_STANDIN_TOKEN,
  startOrdersStandin,
  type OrdersStandin,
} from "../../dev/shopify-orders-standin.server";
import { graphqlOrder } from "../../test/fixtures/graphql-orders";
import {
  AdminAccessError,
  AdminOrdersReader,
  AdminTransientError,
  ORDERS_PER_PAGE,
  waitForPoints,
} from "./admin-orders.server";

let standin: OrdersStandin | undefined;
afterEach(async () => {
  await standin?.close();
  standin = undefined;
});

const SHOP = "reader.myshopify.com";
const start = new Date(Date.UTC(2026, 10, 20));
const orders = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    graphqlOrder(i, new Date(start.getTime() + i * 60_000)),
  );

function reader(
  overrides: Partial<ConstructorParameters<typeof AdminOrdersReader>[0]> = {},
) {
  return new AdminOrdersReader({
    shop: SHOP,
    accessToken: ORDERS_STANDIN_TOKEN,
    apiVersion: "2025-10",
    baseUrl: standin!.url,
    ...overrides,
  });
}

async function readAll(r: AdminOrdersReader, query = "") {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (;;) {
    const page = await r.page(query, cursor);
    ids.push(...page.nodes.map((n) => (n as { id: string }).id));
    if (!page.hasNextPage) return ids;
    cursor = page.endCursor;
  }
}

describe("AdminOrdersReader against the orders stand-in", () => {
  it("reads every order of the window page by page, ids exact, within the single query limit", async () => {
    standin = await startOrdersStandin();
    standin.setOrders(orders(40));
    const query = `created_at:>=${new Date(start.getTime() + 5 * 60_000).toISOString()}`;
    const ids = await readAll(reader(), query);
    expect(ids).toHaveLength(35);
    expect(ids[0]).toBe("gid://shopify/Order/820982911946154513");
    expect(new Set(ids).size).toBe(35);
    expect(standin.requests.every((r) => r.first === ORDERS_PER_PAGE)).toBe(
      true,
    );
    expect(standin.requests).toHaveLength(Math.ceil(35 / ORDERS_PER_PAGE));
    expect(standin.requests.every((r) => r.requestedCost <= 1000)).toBe(true);
  });

  it("slows down from throttleStatus and retries THROTTLED after the restore time", async () => {
    // A bucket for about one page, refilling fast enough to keep the test short.
    standin = await startOrdersStandin({
      maximumAvailable: 1000,
      restoreRate: 4000,
    });
    standin.setOrders(orders(60));
    const waits: number[] = [];
    const r = reader({
      sleep: (ms) => {
        waits.push(ms);
        return new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    standin.drainBucket();
    const ids = await readAll(r);
    expect(ids).toHaveLength(60);
    expect(standin.requests.filter((q) => q.throttled).length).toBeGreaterThan(
      0,
    );
    expect(r.throttledAnswers).toBe(
      standin.requests.filter((q) => q.throttled).length,
    );
    // Every wait asked for is what the bucket needed, never a blind fixed delay.
    expect(waits.length).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(
      Math.ceil((1000 / 4000) * 1000),
    );
    expect(r.costUsed).toBe(standin.costUsed);
  });

  it("gives up on a page after the bounded THROTTLED retries (transient, for the next run)", async () => {
    let clock = 0;
    standin = await startOrdersStandin({
      maximumAvailable: 1000,
      restoreRate: 1,
      now: () => clock, // frozen clock: the bucket never refills
    });
    standin.setOrders(orders(3));
    standin.drainBucket();
    const r = reader({ maxThrottleRetries: 2, sleep: async () => {} });
    await expect(r.page("", null)).rejects.toBeInstanceOf(AdminTransientError);
    expect(standin.requests).toHaveLength(3);
  });

  it("a 401 is an access error (no retry), a 5xx a transient one", async () => {
    standin = await startOrdersStandin();
    standin.setOrders(orders(3));
    standin.failNext({ status: 503 });
    await expect(reader().page("", null)).rejects.toBeInstanceOf(
      AdminTransientError,
    );
    const wrong = reader({ accessToken: "shpat_revoked" });
    const error = await wrong.page("", null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdminAccessError);
    expect((error as AdminAccessError).status).toBe(401);
    expect(standin.requests).toHaveLength(2);
  });

  it("waitForPoints is the shortfall over the restore rate", () => {
    const status = {
      maximumAvailable: 1000,
      currentlyAvailable: 100,
      restoreRate: 50,
    };
    expect(waitForPoints(status, 600)).toBe(10_000);
    expect(waitForPoints(status, 50)).toBe(0);
    // Never waits for more than the bucket can hold.
    expect(waitForPoints(status, 5000)).toBe(18_000);
  });
});
