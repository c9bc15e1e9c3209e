// A real HTTP server on 127.0.0.1 standing in for the Shopify Admin GraphQL API, for the web
// pixel calls (webPixel, webPixelCreate, webPixelUpdate), checked the way Shopify checks
// them: the access token, one pixel per app and shop (TAKEN), settings validated against the
// extension's definition (INVALID_SETTINGS), an unknown id (NOT_FOUND)
// (https://shopify.dev/docs/api/admin-graphql/latest/enums/ErrorsWebPixelUserErrorCode); and for
// the live theme's settings file (themes(roles: [MAIN]) { files }), answered as text, base64 or a
// short-lived URL (https://shopify.dev/docs/api/admin-graphql/latest/unions/OnlineStoreThemeFileBody),
// or refused as Shopify refuses an app without read_themes (ACCESS_DENIED); and for the shop's
// metafields (metafieldsSet, metafieldsDelete), kept by namespace and key, with values checked
// against their type (https://shopify.dev/docs/apps/build/custom-data/metafields/list-of-data-types).
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";

/**
 * A GraphQL client shaped as the app's admin context offers it (`graphql(query, { variables })`
 * answering a Response), posting straight to the stand-in with this access token.
 */
export function standinAdminClient(
  standin: { url: string },
  accessToken: string,
): {
  graphql: (
    query: string,
    options?: { variables?: Record<string, unknown>; signal?: AbortSignal },
  ) => Promise<Response>;
} {
  const realFetch = globalThis.fetch;
  return {
    graphql: (query, options) =>
      realFetch(`${standin.url}/admin/api/2026-10/graphql.json`, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Shopify-Access-Token": accessToken,
        },
        body: JSON.stringify({ query, variables: options?.variables }),
        signal: options?.signal,
      }),
  };
}

/**
 * Points the app's Admin API client at the stand-in: the library's fetch hook rewrites only the
 * shop's host to the stand-in's address, so the requests stay real HTTP.
 */
export function routeAdminApiTo(standin: { url: string }): void {
  const realFetch = globalThis.fetch;
  setAbstractFetchFunc(async (input, init) => {
    const url = new URL(String(input));
    return realFetch(`${standin.url}${url.pathname}${url.search}`, init);
  });
}

export interface PixelCall {
  path: string;
  operation:
    | "query"
    | "create"
    | "update"
    | "themes"
    | "metafieldsSet"
    | "metafieldsDelete"
    | "other";
  variables: Record<string, unknown>;
}

export interface AdminPixelStandin {
  readonly url: string;
  /** The shop's pixel as Shopify would hold it, or null. Settings as the JSON text given. */
  pixel: { id: string; settings: string } | null;
  readonly calls: PixelCall[];
  /** Answer every request with this HTTP status instead (e.g. 503), or null. */
  failWith: number | null;
  /** The next webPixelCreate finds a pixel created meanwhile (a race with another request). */
  raceNextCreate: boolean;
  /**
   * The shop's live (MAIN) theme: its name and config/settings_data.json (null: the theme has no
   * such file), and how the file's body is answered. null: the shop has no published theme.
   */
  theme: {
    name: string;
    settingsData: string | null;
    bodyAs?: "text" | "base64" | "url";
  } | null;
  /** Answer theme queries as Shopify does when the app lacks the read_themes scope. */
  themesAccessDenied: boolean;
  /** The shop's metafields, keyed "namespace.key" (e.g. "$app:tiktok.pixel_codes"). */
  readonly metafields: Map<string, { type: string; value: string }>;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

type MetafieldInput = {
  ownerId?: unknown;
  namespace?: unknown;
  key?: unknown;
  type?: unknown;
  value?: unknown;
};

const singleLine = (v: unknown): v is string =>
  typeof v === "string" && v.trim() !== "" && !/[\r\n]/.test(v);

/** Why Shopify would refuse this value for this type, or null; only the types the app writes. */
function invalidValue(m: MetafieldInput): string | null {
  if (m.type === "single_line_text_field")
    return singleLine(m.value)
      ? null
      : "Value must be a single line text string.";
  if (m.type === "list.single_line_text_field") {
    let list: unknown;
    try {
      list = JSON.parse(String(m.value));
    } catch {
      return "Value is invalid JSON.";
    }
    return Array.isArray(list) && list.length > 0 && list.every(singleLine)
      ? null
      : "Value must be an array of single line text strings.";
  }
  return `Type '${String(m.type)}' is not supported here.`;
}

/** What the extension's [settings] declare: relayUrl, a text of at least 12 characters. */
function validSettings(text: unknown): boolean {
  if (typeof text !== "string") return false;
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    return (
      Object.keys(value).join() === "relayUrl" &&
      typeof value.relayUrl === "string" &&
      value.relayUrl.length >= 12
    );
  } catch {
    return false;
  }
}

export async function startAdminPixelStandin(options: {
  accessToken: string;
}): Promise<AdminPixelStandin> {
  let next = 1;
  const state: Omit<AdminPixelStandin, "url" | "close"> = {
    pixel: null,
    calls: [],
    failWith: null,
    raceNextCreate: false,
    theme: null,
    themesAccessDenied: false,
    metafields: new Map(),
  };
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const text = await readBody(req);
    if (state.failWith) return send(state.failWith, { errors: "Unavailable" });
    // The short-lived URL a large theme file's body is given as.
    if (req.method === "GET" && req.url === "/theme-files/settings_data.json") {
      if (!state.theme?.settingsData) return send(404, { errors: "Not Found" });
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(state.theme.settingsData);
    }
    if (
      req.method !== "POST" ||
      !/^\/admin\/api\/[\w-]+\/graphql\.json$/.test(req.url ?? "")
    )
      return send(404, { errors: "Not Found" });
    if (req.headers["x-shopify-access-token"] !== options.accessToken)
      return send(401, { errors: "[API] Invalid API key or access token" });
    const body = JSON.parse(text) as {
      query: string;
      variables?: Record<string, unknown>;
    };
    const variables = body.variables ?? {};
    const query = body.query;
    const operation = /\bwebPixelCreate\s*\(/.test(query)
      ? "create"
      : /\bwebPixelUpdate\s*\(/.test(query)
        ? "update"
        : /\bwebPixel\b/.test(query)
          ? "query"
          : /\bthemes\s*\(/.test(query)
            ? "themes"
            : /\bmetafieldsSet\s*\(/.test(query)
              ? "metafieldsSet"
              : /\bmetafieldsDelete\s*\(/.test(query)
                ? "metafieldsDelete"
                : "other";
    state.calls.push({ path: req.url ?? "", operation, variables });
    const input = variables.webPixel as { settings?: unknown } | undefined;
    const pixelOut = () => ({
      id: state.pixel!.id,
      settings: state.pixel!.settings,
    });
    switch (operation) {
      case "themes": {
        if (state.themesAccessDenied)
          return send(200, {
            errors: [
              {
                message:
                  "Access denied for themes field. Required access: `read_themes` access scope.",
                extensions: { code: "ACCESS_DENIED" },
              },
            ],
          });
        const theme = state.theme;
        if (!theme) return send(200, { data: { themes: { nodes: [] } } });
        const content = theme.settingsData;
        const body =
          content === null
            ? null
            : theme.bodyAs === "base64"
              ? {
                  __typename: "OnlineStoreThemeFileBodyBase64",
                  contentBase64: Buffer.from(content).toString("base64"),
                }
              : theme.bodyAs === "url"
                ? {
                    __typename: "OnlineStoreThemeFileBodyUrl",
                    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/theme-files/settings_data.json`,
                  }
                : { __typename: "OnlineStoreThemeFileBodyText", content };
        return send(200, {
          data: {
            themes: {
              nodes: [
                {
                  id: "gid://shopify/OnlineStoreTheme/140000000000000001",
                  name: theme.name,
                  files: {
                    nodes: body
                      ? [{ filename: "config/settings_data.json", body }]
                      : [],
                  },
                },
              ],
            },
          },
        });
      }
      case "query":
        return state.pixel
          ? send(200, { data: { webPixel: pixelOut() } })
          : send(200, {
              data: { webPixel: null },
              errors: [{ message: "No web pixel was found for this app." }],
            });
      case "create":
        if (state.raceNextCreate) {
          state.raceNextCreate = false;
          state.pixel = {
            id: `gid://shopify/WebPixel/${next++}`,
            settings: '{"relayUrl":"https://stale.example/apps/x"}',
          };
        }
        if (state.pixel)
          return send(200, {
            data: {
              webPixelCreate: {
                webPixel: null,
                userErrors: [
                  {
                    code: "TAKEN",
                    field: ["webPixel"],
                    message: "Web pixel is taken.",
                  },
                ],
              },
            },
          });
        if (!validSettings(input?.settings))
          return send(200, {
            data: {
              webPixelCreate: {
                webPixel: null,
                userErrors: [
                  {
                    code: "INVALID_SETTINGS",
                    field: ["webPixel", "settings"],
                    message:
                      "The provided settings does not match the expected settings definition on the app.",
                  },
                ],
              },
            },
          });
        state.pixel = {
          id: `gid://shopify/WebPixel/${next++}`,
          settings: input!.settings as string,
        };
        return send(200, {
          data: { webPixelCreate: { webPixel: pixelOut(), userErrors: [] } },
        });
      case "update":
        if (!state.pixel || variables.id !== state.pixel.id)
          return send(200, {
            data: {
              webPixelUpdate: {
                webPixel: null,
                userErrors: [
                  {
                    code: "NOT_FOUND",
                    field: ["id"],
                    message: "Web pixel not found.",
                  },
                ],
              },
            },
          });
        if (!validSettings(input?.settings))
          return send(200, {
            data: {
              webPixelUpdate: {
                webPixel: null,
                userErrors: [
                  {
                    code: "INVALID_SETTINGS",
                    field: ["webPixel", "settings"],
                    message: "Invalid settings.",
                  },
                ],
              },
            },
          });
        state.pixel.settings = input!.settings as string;
        return send(200, {
          data: { webPixelUpdate: { webPixel: pixelOut(), userErrors: [] } },
        });
      case "metafieldsSet": {
        // All or nothing, as Shopify applies the whole input atomically.
        const input = (variables.metafields ?? []) as MetafieldInput[];
        const userErrors = input.flatMap((m, i) => {
          const message = invalidValue(m);
          return message
            ? [{ field: ["metafields", String(i), "value"], message }]
            : [];
        });
        if (!userErrors.length)
          for (const m of input)
            state.metafields.set(`${String(m.namespace)}.${String(m.key)}`, {
              type: String(m.type),
              value: String(m.value),
            });
        return send(200, {
          data: {
            metafieldsSet: {
              metafields: userErrors.length
                ? []
                : input.map((_, i) => ({
                    id: `gid://shopify/Metafield/${i + 1}`,
                  })),
              userErrors,
            },
          },
        });
      }
      case "metafieldsDelete": {
        const input = (variables.metafields ?? []) as MetafieldInput[];
        // A metafield that does not exist is no error; it is answered as null.
        const deletedMetafields = input.map((m) => {
          const id = `${String(m.namespace)}.${String(m.key)}`;
          return state.metafields.delete(id)
            ? { key: m.key, namespace: m.namespace, ownerId: m.ownerId }
            : null;
        });
        return send(200, {
          data: { metafieldsDelete: { deletedMetafields, userErrors: [] } },
        });
      }
      default:
        // Anything else the app sends (the shop id) succeeds plainly.
        return send(200, {
          data: /shop\s*\{\s*id/.test(query)
            ? { shop: { id: "gid://shopify/Shop/1" } }
            : {},
        });
    }
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
