// Activation of the checkout web pixel on a shop through the Admin GraphQL API: the app's pixel
// is created with webPixelCreate, or brought up to date with webPixelUpdate, with the settings
// extensions/tiktok-web-pixel/shopify.extension.toml declares (Shopify validates them against it:
// https://shopify.dev/docs/api/admin-graphql/latest/mutations/webPixelCreate). Needs the scopes
// write_pixels and read_customer_events
// (https://shopify.dev/docs/apps/build/marketing-analytics/build-web-pixels). Uninstalling the
// app removes its pixel on Shopify's side; the app deletes nothing itself.
import prisma from "~/db.server";
import { forgetCachedPixels } from "~/pixels/pixels.server";

export interface GraphqlAdmin {
  graphql: (
    query: string,
    options?: { variables?: Record<string, unknown>; signal?: AbortSignal },
  ) => Promise<Response>;
}

/** The pixel's settings: public by nature (they reach the browser), so nothing secret. */
export function webPixelSettings(shop: string): { relayUrl: string } {
  return { relayUrl: `https://${shop}/apps/tiktok-events/checkout` };
}

// Without an id, webPixel returns the calling app's pixel
// (https://shopify.dev/docs/api/admin-graphql/latest/queries/webPixel).
const WEB_PIXEL_QUERY = `#graphql
  query AppWebPixel { webPixel { id settings } }`;
const WEB_PIXEL_CREATE = `#graphql
  mutation CreateWebPixel($webPixel: WebPixelInput!) {
    webPixelCreate(webPixel: $webPixel) {
      webPixel { id settings }
      userErrors { code field message }
    }
  }`;
const WEB_PIXEL_UPDATE = `#graphql
  mutation UpdateWebPixel($id: ID!, $webPixel: WebPixelInput!) {
    webPixelUpdate(id: $id, webPixel: $webPixel) {
      webPixel { id settings }
      userErrors { code field message }
    }
  }`;

interface UserError {
  code?: string | null;
  message: string;
}
interface PixelPayload {
  webPixel?: { id: string; settings: unknown } | null;
  userErrors?: UserError[];
}

export type ConnectResult =
  | { ok: true; id: string; action: "created" | "updated" | "unchanged" }
  | { ok: false; message: string };

/** `settings` is a JSON scalar: Shopify may hand it back as text or as an object. */
function parseSettings(value: unknown): Record<string, unknown> | null {
  if (typeof value === "string") {
    try {
      return parseSettings(JSON.parse(value));
    } catch {
      return null;
    }
  }
  return value && typeof value === "object"
    ? (value as Record<string, unknown>)
    : null;
}

async function call<T>(
  admin: GraphqlAdmin,
  query: string,
  variables?: Record<string, unknown>,
): Promise<{ data?: T; errors?: { message: string }[] }> {
  const response = await admin.graphql(query, variables ? { variables } : {});
  return (await response.json()) as {
    data?: T;
    errors?: { message: string }[];
  };
}

/** The app's pixel on the shop, or null when it has none. */
async function currentPixel(
  admin: GraphqlAdmin,
): Promise<{ id: string; settings: Record<string, unknown> | null } | null> {
  let json: { data?: { webPixel?: { id: string; settings: unknown } | null } };
  try {
    json = await call(admin, WEB_PIXEL_QUERY);
  } catch (error) {
    // The app's Admin client throws on a response with `errors`; one that says there is no
    // pixel (data.webPixel null) is an answer, anything else is a failure.
    const body = (error as { body?: { data?: { webPixel?: unknown } } }).body;
    if (body?.data && body.data.webPixel == null) return null;
    throw error;
  }
  const pixel = json.data?.webPixel;
  // No pixel yet: Shopify answers null, or an error naming the missing record.
  return pixel?.id
    ? { id: pixel.id, settings: parseSettings(pixel.settings) }
    : null;
}

function failure(errors: UserError[] | undefined, fallback: string) {
  const message = errors?.map((e) => e.message).join("; ");
  return { ok: false as const, message: message || fallback };
}

/**
 * Creates the shop's pixel, or updates it when its settings differ; records the outcome on the
 * shop's settings for the setup checklist. Never throws: a failure is returned and recorded.
 */
export async function connectWebPixel(
  admin: GraphqlAdmin,
  shop: string,
): Promise<ConnectResult> {
  let result: ConnectResult;
  try {
    result = await connect(admin, shop);
  } catch (error) {
    result = {
      ok: false,
      message: `The Shopify Admin API could not be reached (${(error as Error).message}).`,
    };
  }
  await recordPixel(shop, result);
  return result;
}

async function connect(
  admin: GraphqlAdmin,
  shop: string,
): Promise<ConnectResult> {
  const wanted = webPixelSettings(shop);
  const settings = JSON.stringify(wanted);
  let pixel = await currentPixel(admin);
  if (!pixel) {
    const created = await call<{ webPixelCreate?: PixelPayload }>(
      admin,
      WEB_PIXEL_CREATE,
      { webPixel: { settings } },
    );
    const payload = created.data?.webPixelCreate;
    if (payload?.webPixel?.id && !payload.userErrors?.length)
      return { ok: true, id: payload.webPixel.id, action: "created" };
    // Created meanwhile (another save, the install hook): update that one instead.
    if (!payload?.userErrors?.some((e) => e.code === "TAKEN"))
      return failure(
        payload?.userErrors ?? created.errors,
        "Shopify did not create the web pixel.",
      );
    pixel = await currentPixel(admin);
    if (!pixel) return failure(payload.userErrors, "The web pixel is taken.");
  }
  if (pixel.settings?.relayUrl === wanted.relayUrl)
    return { ok: true, id: pixel.id, action: "unchanged" };
  const updated = await call<{ webPixelUpdate?: PixelPayload }>(
    admin,
    WEB_PIXEL_UPDATE,
    { id: pixel.id, webPixel: { settings } },
  );
  const payload = updated.data?.webPixelUpdate;
  if (payload?.webPixel?.id && !payload.userErrors?.length)
    return { ok: true, id: payload.webPixel.id, action: "updated" };
  return failure(
    payload?.userErrors ?? updated.errors,
    "Shopify did not update the web pixel.",
  );
}

async function recordPixel(shop: string, result: ConnectResult) {
  await prisma.shopSettings.updateMany({
    where: { shop },
    data: result.ok
      ? {
          webPixelId: result.id,
          webPixelConnectedAt: new Date(),
          webPixelError: null,
        }
      : { webPixelError: result.message.slice(0, 500) },
  });
  forgetCachedPixels(shop);
}
