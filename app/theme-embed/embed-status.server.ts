// Reads the live theme's settings_data.json through the Admin GraphQL API (scope read_themes:
// https://shopify.dev/docs/api/admin-graphql/latest/objects/OnlineStoreTheme) and says whether our
// app embed is on. Never throws for the page's sake: a failure is an "unknown" with a reason the
// merchant can act on. The one exception is the Response the app's Admin client throws to send the
// merchant through authentication again; that one is the library's to handle.
import type { GraphqlAdmin } from "~/checkout/web-pixel.server";
import { serverEnv } from "~/config.server";
import { logger } from "~/observability/logger.server";
import {
  embedSetting,
  parseSettingsData,
  type EmbedStatus,
} from "./embed-status";

// The MAIN theme is the one shoppers see. A large file's body may come as a short-lived URL
// instead of text (https://shopify.dev/docs/api/admin-graphql/latest/unions/OnlineStoreThemeFileBody).
export const MAIN_THEME_SETTINGS_QUERY = `#graphql
  query MainThemeSettings {
    themes(first: 1, roles: [MAIN]) {
      nodes {
        id
        name
        files(filenames: ["config/settings_data.json"], first: 1) {
          nodes {
            filename
            body {
              __typename
              ... on OnlineStoreThemeFileBodyText { content }
              ... on OnlineStoreThemeFileBodyBase64 { contentBase64 }
              ... on OnlineStoreThemeFileBodyUrl { url }
            }
          }
        }
      }
    }
  }`;

/** The home page waits this long for Shopify before it says it could not check. */
export const EMBED_CHECK_TIMEOUT_MS = 5_000;

interface ThemeFileBody {
  __typename?: string;
  content?: string;
  contentBase64?: string;
  url?: string;
}
interface ThemesAnswer {
  data?: {
    themes?: {
      nodes?: {
        name?: string;
        files?: { nodes?: { body?: ThemeFileBody | null }[] } | null;
      }[];
    } | null;
  };
  errors?: GraphqlError[];
}
interface GraphqlError {
  message?: string;
  extensions?: { code?: string };
}

const unknown = (reason: string): EmbedStatus => ({ state: "unknown", reason });

export async function readEmbedStatus(
  admin: GraphqlAdmin,
  options: { timeoutMs?: number; extensionId?: string | null } = {},
): Promise<EmbedStatus> {
  const timeoutMs = options.timeoutMs ?? EMBED_CHECK_TIMEOUT_MS;
  const extensionId =
    options.extensionId === undefined
      ? (serverEnv().SHOPIFY_TIKTOK_PIXEL_ID ?? null)
      : options.extensionId;
  const signal = AbortSignal.timeout(timeoutMs);
  let answer: ThemesAnswer;
  try {
    const response = await admin.graphql(MAIN_THEME_SETTINGS_QUERY, {
      signal,
    });
    answer = (await response.json()) as ThemesAnswer;
  } catch (error) {
    // An expired or revoked token: the Admin client answers with a redirect (or a 401 carrying
    // the re-authorize header) that takes the merchant through authentication again.
    if (
      error instanceof Response &&
      (error.status === 401 || error.headers.has("Location"))
    )
      throw error;
    return unknown(describeFailure(error, signal.aborted, timeoutMs));
  }
  if (answer.errors?.length) return unknown(describeErrors(answer.errors));
  const theme = answer.data?.themes?.nodes?.[0];
  if (!theme) return unknown("the store has no published theme");
  const themeName = theme.name ?? "your live theme";
  const body = theme.files?.nodes?.[0]?.body;
  // A theme without settings_data.json has never had an embed turned on.
  if (!body) return { state: "missing", themeName };
  let text: string;
  try {
    text = await bodyText(body, signal);
  } catch (error) {
    return unknown(describeFailure(error, signal.aborted, timeoutMs));
  }
  const settings = parseSettingsData(text);
  if (!settings)
    return unknown(`the settings of “${themeName}” could not be read`);
  return { state: embedSetting(settings, extensionId), themeName };
}

async function bodyText(body: ThemeFileBody, signal: AbortSignal) {
  if (typeof body.content === "string") return body.content;
  if (typeof body.contentBase64 === "string")
    return Buffer.from(body.contentBase64, "base64").toString("utf8");
  if (typeof body.url === "string") {
    const response = await fetch(body.url, { signal });
    if (!response.ok)
      throw new Error(`the theme file answered HTTP ${response.status}`);
    return response.text();
  }
  throw new Error(`unexpected theme file body ${body.__typename ?? ""}`.trim());
}

function describeErrors(errors: GraphqlError[]): string {
  if (errors.some((e) => e.extensions?.code === "ACCESS_DENIED"))
    return "the app is not allowed to read your theme (the read_themes permission is missing; open the app again to approve it)";
  if (errors.some((e) => e.extensions?.code === "THROTTLED"))
    return "Shopify asked the app to slow down; try again in a minute";
  return `Shopify answered: ${errors
    .map((e) => e.message ?? "error")
    .join("; ")
    .slice(0, 200)}`;
}

function describeFailure(error: unknown, aborted: boolean, timeoutMs: number) {
  if (aborted) return `Shopify did not answer within ${timeoutMs / 1000} s`;
  // The app's Admin client throws GraphqlQueryError for an answer with `errors` (its body holds
  // them as errors.graphQLErrors), and a Response copying any other HTTP failure
  // (@shopify/shopify-api lib/clients/common, @shopify/shopify-app-remix handle-client-error).
  if (error instanceof Response)
    return `the Shopify Admin API answered HTTP ${error.status}`;
  const e = error as {
    body?: { errors?: GraphqlError[] | { graphQLErrors?: GraphqlError[] } };
    message?: string;
  };
  const errors = Array.isArray(e.body?.errors)
    ? e.body.errors
    : e.body?.errors?.graphQLErrors;
  if (errors?.length) return describeErrors(errors);
  logger().warn(
    { err: (e.message ?? String(error)).slice(0, 200) },
    "theme embed check failed",
  );
  return "the Shopify Admin API could not be reached";
}
