// The theme app extension reads the pixel code from an app-owned shop metafield.
// Only the pixel code goes there: Liquid can render every metafield to the storefront.
export const PIXEL_METAFIELD = {
  namespace: "$app:tiktok",
  key: "pixel_code",
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

export class MetafieldError extends Error {}

export async function publishPixelCode(
  admin: GraphqlAdmin,
  pixelCode: string,
): Promise<void> {
  const shopResponse = await admin.graphql(SHOP_ID_QUERY);
  const shopJson = (await shopResponse.json()) as {
    data?: { shop?: { id?: string } };
  };
  const ownerId = shopJson.data?.shop?.id;
  if (!ownerId) throw new MetafieldError("Shopify did not return the shop id.");

  const response = await admin.graphql(METAFIELDS_SET, {
    variables: {
      metafields: [
        {
          ownerId,
          namespace: PIXEL_METAFIELD.namespace,
          key: PIXEL_METAFIELD.key,
          type: "single_line_text_field",
          value: pixelCode,
        },
      ],
    },
  });
  const json = (await response.json()) as {
    data?: { metafieldsSet?: { userErrors?: { message: string }[] } };
  };
  const userErrors = json.data?.metafieldsSet?.userErrors ?? [];
  if (userErrors.length > 0) {
    throw new MetafieldError(userErrors.map((e) => e.message).join("; "));
  }
}
