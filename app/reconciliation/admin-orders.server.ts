// Reads a shop's orders through the Admin GraphQL API with its offline access token: one page
// per call, cursor-paginated (https://shopify.dev/docs/api/usage/pagination-graphql), only the
// fields the Purchase mapping uses, within the calculated query cost limits
// (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): every answer's
// `extensions.cost.throttleStatus` says how many points are left and how fast they come back,
// so the reader waits before a request the bucket cannot cover, and a `THROTTLED` answer is
// retried after the restore time, a bounded number of times.
import { parseShopifyJson } from "~/shopify-json";

/** Line items read per order; an order with more sends the first ones as `contents`. */
export const LINE_ITEMS_PER_ORDER = 25;
/** A single query may cost at most 1,000 points (rate-limit page, "Single query limit"). */
const MAX_SINGLE_QUERY_COST = 1000;
/** Objects per order node (money bags, customer, addresses, visit) and per line item. */
const ORDER_OBJECTS = 14;
const LINE_ITEM_OBJECTS = 5;
/** Requested cost of one order node: a connection costs 2 plus what it may return. */
const NODE_COST = ORDER_OBJECTS + 2 + LINE_ITEMS_PER_ORDER * LINE_ITEM_OBJECTS;
/** As many orders per page as fit under the single query limit. */
export const ORDERS_PER_PAGE = Math.floor(
  (MAX_SINGLE_QUERY_COST - 2) / NODE_COST,
);

export const ORDERS_QUERY = `query ReconcileOrders($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: CREATED_AT) {
    edges {
      node {
        id name createdAt processedAt test sourceName tags email phone
        displayFinancialStatus currencyCode clientIp
        totalPriceSet { shopMoney { amount currencyCode } }
        subtotalPriceSet { shopMoney { amount currencyCode } }
        customAttributes { key value }
        customerJourneySummary { firstVisit { landingPage } }
        customer {
          id
          defaultEmailAddress { emailAddress }
          defaultPhoneNumber { phoneNumber }
        }
        billingAddress { phone firstName lastName city provinceCode countryCodeV2 zip }
        shippingAddress { phone firstName lastName city provinceCode countryCodeV2 zip }
        lineItems(first: ${LINE_ITEMS_PER_ORDER}) {
          nodes {
            sku title vendor quantity
            product { id }
            variant { id }
            originalUnitPriceSet { shopMoney { amount currencyCode } }
          }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** The shop no longer lets us read its orders (uninstalled, token revoked, scope removed). */
export class AdminAccessError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** Worth trying again later from the same cursor: 5xx, network, throttled too long. */
export class AdminTransientError extends Error {}

export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface OrdersPage {
  /** Raw `Order` nodes, checked later one by one (a bad node must not lose the page). */
  nodes: unknown[];
  hasNextPage: boolean;
  endCursor: string | null;
  /** Actual query cost charged. */
  cost: number;
}

export interface AdminOrdersReaderOptions {
  shop: string;
  accessToken: string;
  apiVersion: string;
  /** Default `https://{shop}`; a loopback stand-in in tests. */
  baseUrl?: string;
  pageSize?: number;
  /** THROTTLED answers retried per page before giving up for this run. Default 5. */
  maxThrottleRetries?: number;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, ms));

interface GraphqlAnswer {
  data?: {
    orders?: {
      edges?: { node?: unknown }[];
      pageInfo?: { hasNextPage?: boolean; endCursor?: string | null };
    };
  } | null;
  errors?: { message?: string; extensions?: { code?: string } }[] | string;
  extensions?: {
    cost?: {
      requestedQueryCost?: number;
      actualQueryCost?: number | null;
      throttleStatus?: ThrottleStatus;
    };
  };
}

/** Milliseconds until the bucket holds `needed` points (0 when it already does). */
export function waitForPoints(status: ThrottleStatus, needed: number): number {
  const missing =
    Math.min(needed, status.maximumAvailable) - status.currentlyAvailable;
  if (missing <= 0 || status.restoreRate <= 0) return 0;
  return Math.ceil((missing / status.restoreRate) * 1000);
}

export class AdminOrdersReader {
  private readonly url: string;
  private readonly opts: AdminOrdersReaderOptions;
  private readonly sleep: (ms: number) => Promise<void>;
  private status: ThrottleStatus | null = null;
  private requested = 0;
  /** Points charged so far, and time spent waiting for the bucket. */
  costUsed = 0;
  throttledMs = 0;
  throttledAnswers = 0;

  constructor(opts: AdminOrdersReaderOptions) {
    this.opts = opts;
    const base = opts.baseUrl ?? `https://${opts.shop}`;
    this.url = `${base.replace(/\/$/, "")}/admin/api/${opts.apiVersion}/graphql.json`;
    this.sleep = opts.sleep ?? defaultSleep;
  }

  /** One page of orders matching `query` (Shopify search syntax), after `cursor`. */
  async page(query: string, cursor: string | null): Promise<OrdersPage> {
    const maxRetries = this.opts.maxThrottleRetries ?? 5;
    for (let attempt = 0; ; attempt += 1) {
      // Slow down before asking for more than the bucket holds.
      if (this.status && this.requested > 0) {
        const wait = waitForPoints(this.status, this.requested);
        if (wait > 0) {
          this.throttledMs += wait;
          await this.sleep(wait);
        }
      }
      const answer = await this.post(query, cursor);
      const cost = answer.extensions?.cost;
      if (cost?.throttleStatus) this.status = cost.throttleStatus;
      if (typeof cost?.requestedQueryCost === "number")
        this.requested = cost.requestedQueryCost;
      const errors = Array.isArray(answer.errors) ? answer.errors : [];
      if (errors.some((e) => e.extensions?.code === "THROTTLED")) {
        this.throttledAnswers += 1;
        if (attempt >= maxRetries)
          throw new AdminTransientError(
            `Shopify throttled ${attempt + 1} requests in a row.`,
          );
        // The wait happens at the top of the loop, from the status just received; without
        // one, a second of back-off.
        if (!this.status) await this.sleep(1000);
        continue;
      }
      if (errors.some((e) => e.extensions?.code === "ACCESS_DENIED"))
        throw new AdminAccessError(
          "Shopify denied access to orders (is the read_orders scope granted?).",
          null,
        );
      const orders = answer.data?.orders;
      if (errors.length > 0 || typeof answer.errors === "string" || !orders)
        throw new AdminTransientError(
          `Shopify answered the orders query with an error: ${firstMessage(answer)}`,
        );
      const actual = cost?.actualQueryCost ?? 0;
      this.costUsed += actual;
      return {
        nodes: (orders.edges ?? []).map((edge) => edge.node),
        hasNextPage: orders.pageInfo?.hasNextPage === true,
        endCursor: orders.pageInfo?.endCursor ?? null,
        cost: actual,
      };
    }
  }

  private async post(
    query: string,
    cursor: string | null,
  ): Promise<GraphqlAnswer> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-Shopify-Access-Token": this.opts.accessToken,
        },
        body: JSON.stringify({
          query: ORDERS_QUERY,
          variables: {
            first: this.opts.pageSize ?? ORDERS_PER_PAGE,
            after: cursor,
            query,
          },
        }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new AdminTransientError(
        `Could not reach Shopify: ${(error as Error).message}`,
      );
    }
    const text = await response.text().catch(() => "");
    // 401: token invalid or revoked (uninstall); 403: scope or plan does not allow it;
    // 402/423: shop frozen or locked. Retrying any of these cannot help.
    if ([401, 402, 403, 423].includes(response.status))
      throw new AdminAccessError(
        response.status === 401
          ? "Shopify refused the app's access token (HTTP 401): the app was uninstalled or its access revoked."
          : `Shopify refused access to orders (HTTP ${response.status}).`,
        response.status,
      );
    if (response.status === 429 || response.status >= 500 || !response.ok)
      throw new AdminTransientError(
        `Shopify answered HTTP ${response.status}.`,
      );
    try {
      return parseShopifyJson(text) as GraphqlAnswer;
    } catch {
      throw new AdminTransientError("Shopify's answer was not JSON.");
    }
  }
}

function firstMessage(answer: GraphqlAnswer): string {
  if (typeof answer.errors === "string") return answer.errors.slice(0, 200);
  return (answer.errors?.[0]?.message ?? "no data").slice(0, 200);
}
