// The theme app extension reads the shop's enabled pixel codes from app-owned shop metafields.
// Only pixel codes go there: Liquid can render every metafield to the storefront.
export const PIXEL_CODES_METAFIELD = {
  namespace: "$app:tiktok",
  key: "pixel_codes",
  // Liquid reads a list metafield's value as an array of strings
  // (https://shopify.dev/docs/api/liquid/objects/metafield), which the embed renders with `json`.
  type: "list.single_line_text_field",
} as const;

// The single code the embed read before the list existed. Still written (the first code), so the
// storefront keeps its pixel if the app is rolled back to an embed that reads only this key; the
// current embed reads it only where the list is missing (shops not saved since).
export const PIXEL_METAFIELD = {
  namespace: "$app:tiktok",
  key: "pixel_code",
  type: "single_line_text_field",
} as const;

interface GraphqlAdmin {
  graphql: (
    query: string,
    options?: { variables?: Record<string, unknown> },
  ) => Promise<Response>;
}

const SHOP_ID_QUERY = `#graphql
  query ShopId { shop { id } }`;

const METAFIELDS_SET = `#graphql
  mutation PublishPixelCode($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields { id }
      userErrors { field message }
    }
  }`;

// https://shopify.dev/docs/api/admin-graphql/latest/mutations/metafieldsDelete
const METAFIELDS_DELETE = `#graphql
  mutation UnpublishPixelCodes($metafields: [MetafieldIdentifierInput!]!) {
    metafieldsDelete(metafields: $metafields) {
      deletedMetafields { key }
      userErrors { field message }
    }
  }`;

export class MetafieldError extends Error {}

type UserErrors = { userErrors?: { message: string }[] } | null | undefined;

/**
 * Publishes the shop's enabled pixel codes (in order, duplicates dropped) to the storefront.
 * With none, both metafields are deleted, so the embed renders nothing.
 */
export async function publishPixelCodes(
  admin: GraphqlAdmin,
  pixelCodes: readonly string[],
): Promise<void> {
  const codes = [...new Set(pixelCodes)];
  const shopResponse = await admin.graphql(SHOP_ID_QUERY);
  const shopJson = (await shopResponse.json()) as {
    data?: { shop?: { id?: string } };
  };
  const ownerId = shopJson.data?.shop?.id;
  if (!ownerId) throw new MetafieldError("Shopify did not return the shop id.");

  const keys = [PIXEL_CODES_METAFIELD, PIXEL_METAFIELD].map(
    ({ namespace, key }) => ({ ownerId, namespace, key }),
  );
  const [codesField, codeField] = keys;
  const response = codes.length
    ? await admin.graphql(METAFIELDS_SET, {
        variables: {
          metafields: [
            {
              ...codesField,
              type: PIXEL_CODES_METAFIELD.type,
              value: JSON.stringify(codes),
            },
            { ...codeField, type: PIXEL_METAFIELD.type, value: codes[0] },
          ],
        },
      })
    : await admin.graphql(METAFIELDS_DELETE, {
        variables: { metafields: keys },
      });
  const json = (await response.json()) as {
    data?: { metafieldsSet?: UserErrors; metafieldsDelete?: UserErrors };
  };
  const result = codes.length
    ? json.data?.metafieldsSet
    : json.data?.metafieldsDelete;
  if (!result) throw new MetafieldError("Shopify did not apply the change.");
  const userErrors = result.userErrors ?? [];
  if (userErrors.length > 0) {
    throw new MetafieldError(userErrors.map((e) => e.message).join("; "));
  }
}
