// A local stand-in for the part of Shopify's Admin GraphQL API that reconciliation reads: the
// `orders` connection. Real HTTP on loopback, so the app's reader is exercised end to end.
//
// What it reproduces (https://shopify.dev/docs/api/usage/pagination-graphql,
// https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):
// - `POST /admin/api/<version>/graphql.json`, token in `X-Shopify-Access-Token`; a wrong or
//   revoked token answers 401.
// - `orders(first, after, query: "created_at:>=… created_at:<…", sortKey: CREATED_AT)` returning
//   `edges { cursor node }` and `pageInfo { hasNextPage endCursor }`; at most 250 per page.
// - Calculated query cost in `extensions.cost` (requested, actual, throttleStatus) with a leaky
//   bucket per token: a request whose requested cost exceeds what is available gets the
//   documented `THROTTLED` error (HTTP 200, `data` absent, `actualQueryCost: null`).
// - Injected failures: HTTP 5xx or 401 for the next N requests.
// It does not parse GraphQL: it checks the query names the `orders` connection and answers with
// the whole node shape the app selects (tests feed it nodes in that shape), except the
// `billingAddress` / `shippingAddress` objects, cut to the fields the query selects, so a field
// the query forgets is missing here as it would be from Shopify.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const ORDERS_STANDIN_TOKEN = "shpat_orders_standin";
export const MAX_PAGE_SIZE = 250;

/** An Admin GraphQL `Order` node as the app's reconciliation query selects it. */
export interface StandinOrder {
  id: string;
  name: string;
  createdAt: string;
  [field: string]: unknown;
}

export type InjectedFailure = { status: 401 | 403 | 500 | 502 | 503 };

export interface OrdersStandinOptions {
  /** token → shop it acts for. Default { ORDERS_STANDIN_TOKEN: "any" }. */
  tokens?: Record<string, string>;
  /** Bucket size in cost points (Shopify Standard: 2000 in the examples of the rate-limit page). */
  maximumAvailable?: number;
  /** Points restored per second. */
  restoreRate?: number;
  /** Clock in epoch ms; default Date.now. */
  now?: () => number;
}

export interface OrdersStandinRequest {
  status: number;
  first: number | null;
  after: string | null;
  query: string | null;
  throttled: boolean;
  requestedCost: number;
  actualCost: number | null;
}

export interface OrdersStandin {
  readonly url: string;
  /** Every request answered, in order. */
  readonly requests: OrdersStandinRequest[];
  /** Sum of actual query cost charged. */
  readonly costUsed: number;
  /** Replaces the order list (kept sorted by createdAt, then id). */
  setOrders(orders: StandinOrder[]): void;
  /** Answers the next `count` requests with this failure instead. */
  failNext(failure: InjectedFailure, count?: number): void;
  /** Fails the request that asks for the page after `cursor` (a 5xx mid-run). */
  failAfterCursor(cursor: string, failure: InjectedFailure): void;
  /** Token no longer valid (uninstall, revoked): every request with it gets 401. */
  revoke(token: string): void;
  /** Empties the bucket so the next request is throttled. */
  drainBucket(): void;
  close(): Promise<void>;
}

const ORDER_GID = /^gid:\/\/shopify\/Order\/(\d+)$/;

/** Opaque to clients; here the position after which the next page starts. */
/** The fields the query selects inside `<object> { … }` (a flat selection), or null if absent. */
function selectedFields(query: string, object: string): string[] | null {
  const match = new RegExp(`\\b${object}\\s*\\{([^{}]*)\\}`).exec(query);
  return match ? match[1].split(/[\s,]+/).filter(Boolean) : null;
}

/** The node with its addresses holding only the selected fields (dropped when not selected). */
function withSelectedAddressFields(
  node: StandinOrder,
  query: string,
): StandinOrder {
  const out: StandinOrder = { ...node };
  for (const object of ["billingAddress", "shippingAddress"]) {
    const address = node[object];
    if (address === null || address === undefined) continue;
    const fields = selectedFields(query, object);
    if (!fields) {
      delete out[object];
      continue;
    }
    const source = address as Record<string, unknown>;
    out[object] = Object.fromEntries(
      fields.map((field) => [field, source[field] ?? null]),
    );
  }
  return out;
}

const cursorOf = (order: StandinOrder) =>
  Buffer.from(
    JSON.stringify({ id: order.id, createdAt: order.createdAt }),
  ).toString("base64url");

function decodeCursor(
  cursor: string,
): { id: string; createdAt: string } | null {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString()) as {
      id?: unknown;
      createdAt?: unknown;
    };
    return typeof value.id === "string" && typeof value.createdAt === "string"
      ? { id: value.id, createdAt: value.createdAt }
      : null;
  } catch {
    return null;
  }
}

/**
 * The search terms the app uses (https://shopify.dev/docs/api/usage/search-syntax):
 * `created_at:>=ISO` (also >, <, <=) and `id:<digits>`; anything else is refused.
 */
export function createdAtFilter(query: string | null) {
  const tests: ((order: { id: string; createdAt: string }) => boolean)[] = [];
  for (const term of (query ?? "").split(/\s+/).filter(Boolean)) {
    const id = /^id:(\d{1,20})$/.exec(term);
    if (id) {
      tests.push((o) => o.id === `gid://shopify/Order/${id[1]}`);
      continue;
    }
    const m = /^created_at:(>=|<=|>|<)['"]?([^'"]+)['"]?$/.exec(term);
    if (!m) throw new Error(`unsupported search term ${term}`);
    const at = Date.parse(m[2]);
    if (Number.isNaN(at)) throw new Error(`bad date in ${term}`);
    const op = m[1];
    tests.push((o) => {
      const t = Date.parse(o.createdAt);
      return op === ">="
        ? t >= at
        : op === ">"
          ? t > at
          : op === "<"
            ? t < at
            : t <= at;
    });
  }
  return (order: { id: string; createdAt: string }) =>
    tests.every((test) => test(order));
}

function compareOrders(a: StandinOrder, b: StandinOrder): number {
  const d = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  if (d !== 0) return d;
  const ai = ORDER_GID.exec(a.id)?.[1] ?? a.id;
  const bi = ORDER_GID.exec(b.id)?.[1] ?? b.id;
  return ai.length - bi.length || (ai < bi ? -1 : ai > bi ? 1 : 0);
}

/**
 * Cost as the rate-limit page describes it: scalars 0, objects 1, a connection 2 plus what it
 * may return. Our node has 14 objects (money bags, customer, addresses, journey) and a line item
 * connection whose items have 4 objects each (product, variant, price bag).
 */
export function orderNodeCost(lineItems: number): number {
  return 14 + 2 + lineItems * 5;
}
/** A single query may not ask for more than this (rate-limit page, "Single query limit"). */
export const MAX_QUERY_COST = 1000;
export const requestedCost = (first: number, lineItemsFirst = 25) =>
  2 + first * orderNodeCost(lineItemsFirst);

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error("body too large");
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}

export async function startOrdersStandin(
  options: OrdersStandinOptions = {},
): Promise<OrdersStandin> {
  const tokens = { ...(options.tokens ?? { [ORDERS_STANDIN_TOKEN]: "any" }) };
  const maximumAvailable = options.maximumAvailable ?? 2000;
  const restoreRate = options.restoreRate ?? 100;
  const now = options.now ?? Date.now;
  let orders: StandinOrder[] = [];
  const requests: OrdersStandinRequest[] = [];
  let costUsed = 0;
  const injected: InjectedFailure[] = [];
  const failAt = new Map<string, InjectedFailure>();
  // One bucket per token (Shopify: per app and store).
  const buckets = new Map<string, { available: number; at: number }>();

  const bucket = (token: string) => {
    const t = now();
    const b = buckets.get(token) ?? { available: maximumAvailable, at: t };
    b.available = Math.min(
      maximumAvailable,
      b.available + ((t - b.at) / 1000) * restoreRate,
    );
    b.at = t;
    buckets.set(token, b);
    return b;
  };
  const throttleStatus = (available: number) => ({
    maximumAvailable,
    currentlyAvailable: Math.floor(available),
    restoreRate,
  });

  const server: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    void (async () => {
      const log: OrdersStandinRequest = {
        status: 0,
        first: null,
        after: null,
        query: null,
        throttled: false,
        requestedCost: 0,
        actualCost: null,
      };
      const finish = (status: number, body: unknown) => {
        log.status = status;
        requests.push(log);
        send(status, body);
      };
      if (
        req.method !== "POST" ||
        !/^\/admin\/api\/[\w-]+\/graphql\.json$/.test(req.url ?? "")
      )
        return finish(404, { errors: "Not Found" });
      let raw: string;
      try {
        raw = await readBody(req);
      } catch {
        return finish(413, { errors: "Payload too large" });
      }
      const token = req.headers["x-shopify-access-token"];
      if (typeof token !== "string" || !(token in tokens))
        return finish(401, {
          errors:
            "[API] Invalid API key or access token (unrecognized login or wrong password)",
        });
      const failure = injected.shift();
      if (failure)
        return finish(failure.status, {
          errors: failure.status >= 500 ? "Internal Server Error" : "Forbidden",
        });
      let body: {
        query?: unknown;
        variables?: {
          first?: unknown;
          after?: unknown;
          query?: unknown;
        };
      };
      try {
        body = JSON.parse(raw) as typeof body;
      } catch {
        return finish(400, { errors: "Invalid JSON" });
      }
      const text = typeof body.query === "string" ? body.query : "";
      if (!/\borders\s*\(/.test(text))
        return finish(200, {
          errors: [{ message: "This stand-in only answers the orders query" }],
        });
      const vars = body.variables ?? {};
      const first = vars.first;
      if (
        typeof first !== "number" ||
        !Number.isInteger(first) ||
        first < 1 ||
        first > MAX_PAGE_SIZE
      )
        return finish(200, {
          errors: [
            {
              message: `first must be between 1 and ${MAX_PAGE_SIZE}`,
              extensions: { code: "BAD_REQUEST" },
            },
          ],
        });
      log.first = first;
      log.after = typeof vars.after === "string" ? vars.after : null;
      log.query = typeof vars.query === "string" ? vars.query : null;
      if (log.after && failAt.has(log.after)) {
        const f = failAt.get(log.after)!;
        failAt.delete(log.after);
        return finish(f.status, { errors: "Internal Server Error" });
      }
      const lineItemsFirst = Number(
        /lineItems\s*\(\s*first:\s*(\d+)/.exec(text)?.[1] ?? 0,
      );
      const requested = requestedCost(first, lineItemsFirst);
      log.requestedCost = requested;
      if (requested > MAX_QUERY_COST)
        return finish(200, {
          errors: [
            {
              message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_QUERY_COST}).`,
              extensions: {
                code: "MAX_COST_EXCEEDED",
                cost: requested,
                maxCost: MAX_QUERY_COST,
              },
            },
          ],
        });
      const b = bucket(token);
      if (requested > b.available) {
        log.throttled = true;
        return finish(200, {
          errors: [
            {
              message: "Throttled",
              extensions: {
                code: "THROTTLED",
                documentation: "https://shopify.dev/api/usage/rate-limits",
              },
            },
          ],
          extensions: {
            cost: {
              requestedQueryCost: requested,
              actualQueryCost: null,
              throttleStatus: throttleStatus(b.available),
            },
          },
        });
      }
      let matches: (order: StandinOrder) => boolean;
      try {
        matches = createdAtFilter(log.query);
      } catch (error) {
        return finish(200, {
          errors: [{ message: (error as Error).message }],
        });
      }
      let start = 0;
      if (log.after) {
        const pos = decodeCursor(log.after);
        if (!pos)
          return finish(200, {
            errors: [
              { message: "Invalid cursor for current pagination sort." },
            ],
          });
        start = orders.findIndex(
          (o) => compareOrders(o, pos as StandinOrder) > 0,
        );
        if (start < 0) start = orders.length;
      }
      const page: StandinOrder[] = [];
      let hasNextPage = false;
      for (let i = start; i < orders.length; i += 1) {
        if (!matches(orders[i])) continue;
        if (page.length === first) {
          hasNextPage = true;
          break;
        }
        page.push(orders[i]);
      }
      const actual =
        2 +
        page.reduce((sum, o) => {
          const items = (o.lineItems as { nodes?: unknown[] } | undefined)
            ?.nodes;
          return sum + orderNodeCost(items?.length ?? 0);
        }, 0);
      // Charged the requested cost, refunded the difference (rate-limit page).
      b.available -= actual;
      costUsed += actual;
      log.actualCost = actual;
      const edges = page.map((node) => ({
        cursor: cursorOf(node),
        node: withSelectedAddressFields(node, text),
      }));
      finish(200, {
        data: {
          orders: {
            edges,
            pageInfo: {
              hasNextPage,
              endCursor: edges.at(-1)?.cursor ?? null,
            },
          },
        },
        extensions: {
          cost: {
            requestedQueryCost: requested,
            actualQueryCost: actual,
            throttleStatus: throttleStatus(b.available),
          },
        },
      });
    })().catch(() => {
      if (!res.headersSent) send(500, { errors: "stand-in failure" });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get costUsed() {
      return costUsed;
    },
    setOrders(list) {
      orders = [...list].sort(compareOrders);
    },
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i += 1) injected.push(failure);
    },
    failAfterCursor(cursor, failure) {
      failAt.set(cursor, failure);
    },
    revoke(token) {
      delete tokens[token];
    },
    drainBucket() {
      for (const token of Object.keys(tokens)) bucket(token).available = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
