// The demo process has no internet and must not use it: the demo shop's Admin API is answered
// locally (saving settings publishes the pixel code metafield through it), loopback requests
// go through, and anything else fails at once instead of leaking to a real host.
// Installed on globalThis.fetch before the app is imported, because @shopify/shopify-api
// captures globalThis.fetch when its Node adapter loads.
import { isLoopbackHost } from "../tiktok-standin.server";

export interface AdminApiStandin {
  /** Metafields set through the stand-in, keyed "namespace.key" (e.g. "$app:tiktok.pixel_code"). */
  readonly metafields: Map<string, string>;
  readonly requests: number;
  handle(request: Request): Promise<Response>;
}

interface GraphqlBody {
  query?: unknown;
  variables?: {
    metafields?: { namespace?: unknown; key?: unknown; value?: unknown }[];
  };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });

/** Just the Admin GraphQL calls the app makes (shop id, metafieldsSet), checked like Shopify would. */
export function createAdminApiStandin(options: {
  shop: string;
  accessToken: string;
}): AdminApiStandin {
  const metafields = new Map<string, string>();
  let requests = 0;
  return {
    metafields,
    get requests() {
      return requests;
    },
    async handle(request) {
      requests += 1;
      const url = new URL(request.url);
      if (
        request.method !== "POST" ||
        !/^\/admin\/api\/[\w-]+\/graphql\.json$/.test(url.pathname)
      ) {
        return json(404, { errors: "Not Found" });
      }
      if (
        request.headers.get("x-shopify-access-token") !== options.accessToken
      ) {
        return json(401, {
          errors:
            "[API] Invalid API key or access token (unrecognized login or wrong password)",
        });
      }
      let body: GraphqlBody;
      try {
        body = (await request.json()) as GraphqlBody;
      } catch {
        return json(400, { errors: "Invalid JSON" });
      }
      const query = typeof body.query === "string" ? body.query : "";
      if (/\bmetafieldsSet\s*\(/.test(query)) {
        const input = body.variables?.metafields ?? [];
        const set = input.map((m, i) => {
          metafields.set(
            `${String(m.namespace)}.${String(m.key)}`,
            String(m.value),
          );
          return {
            id: `gid://shopify/Metafield/${1000 + metafields.size + i}`,
          };
        });
        return json(200, {
          data: { metafieldsSet: { metafields: set, userErrors: [] } },
        });
      }
      if (/\bshop\s*\{\s*id\s*\}/.test(query)) {
        return json(200, {
          data: { shop: { id: "gid://shopify/Shop/90000000001" } },
        });
      }
      return json(200, {
        errors: [
          {
            message:
              "The demo Admin API stand-in does not implement this query.",
          },
        ],
      });
    },
  };
}

/** Replaces globalThis.fetch: demo shop → Admin API stand-in, loopback → real fetch, else an error. */
export function installOfflineFetch(options: {
  shop: string;
  admin: AdminApiStandin;
  log?: (m: string) => void;
}): void {
  const realFetch = globalThis.fetch;
  const offlineFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol === "https:" && url.hostname === options.shop) {
      return options.admin.handle(new Request(input, init));
    }
    if (isLoopbackHost(url.hostname)) return realFetch(input, init);
    options.log?.(
      `[demo] blocked a request to ${url.origin}: the demo uses no network beyond loopback`,
    );
    throw new TypeError(
      `fetch failed: ${url.origin} is not reachable in the demo (loopback only)`,
    );
  };
  globalThis.fetch = offlineFetch;
}
