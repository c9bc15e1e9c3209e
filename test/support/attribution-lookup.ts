// The order webhook's storefront-session lookup (findStoredSessions), run the same way on SQLite
// (test/routes/orders.test.ts) and PostgreSQL (test/postgres): sessions are stored through the
// ingest writer, as the app proxy stores them.
import { expect } from "vitest";
import type { AttributionUpsert } from "~/db/sql.server";

const session = (
  shop: string,
  sessionKey: string,
  cartToken: string | null,
  seenAt: string,
  ttclid: string,
): AttributionUpsert => ({
  shop,
  sessionKey,
  consent: "granted",
  seenAt: new Date(seenAt),
  landingUrl: `https://${shop}/?ttclid=${ttclid}`,
  ttclid,
  ttp: null,
  ip: "203.0.113.5",
  userAgent: "UA",
  cartToken,
});

export async function checkAttributionLookup(
  shop: string,
  otherShop: string,
  store: (session: AttributionUpsert) => Promise<unknown>,
): Promise<void> {
  const { findStoredSessions } = await import("~/orders/order-webhook.server");
  // The most trusted of the two, as the join (browser-context.ts) ranks them.
  const findAttribution = async (
    forShop: string,
    keys: { sessionKey: string | null; cartToken: string | null },
  ) => {
    const found = await findStoredSessions(forShop, keys);
    return found.cartSession ?? found.tokenSession;
  };
  await store(
    session(shop, "named", "cart-a", "2026-11-20T10:00:00.000Z", "named-click"),
  );
  await store(
    session(shop, "older", "cart-b", "2026-11-20T10:00:00.000Z", "older-click"),
  );
  await store(
    session(shop, "newer", "cart-b", "2026-11-20T11:00:00.000Z", "newer-click"),
  );
  await store(
    session(
      shop,
      "newest-a",
      "cart-a",
      "2026-11-20T12:00:00.000Z",
      "newest-a-click",
    ),
  );
  // Another shop's sessions, with the same keys and later: never seen from `shop`.
  await store(
    session(otherShop, "named", "cart-a", "2026-11-21T10:00:00.000Z", "other"),
  );
  await store(
    session(
      otherShop,
      "other-only",
      "cart-z",
      "2026-11-21T10:00:00.000Z",
      "other",
    ),
  );

  const find = (sessionKey: string | null, cartToken: string | null) =>
    findAttribution(shop, { sessionKey, cartToken });
  // The session named in the cart attributes wins over a newer session of the cart token.
  expect(await find("named", "cart-a")).toEqual({
    sessionKey: "named",
    ttclid: "named-click",
    ttp: null,
    ip: "203.0.113.5",
    userAgent: "UA",
    consent: "granted",
    landingUrl: `https://${shop}/?ttclid=named-click`,
  });
  // Both are returned: the join ranks the checkout pixel's context between them.
  const both = await findStoredSessions(shop, {
    sessionKey: "named",
    cartToken: "cart-a",
  });
  expect(both.cartSession?.ttclid).toBe("named-click");
  expect(both.tokenSession?.ttclid).toBe("newest-a-click");
  // Without a stored named session: the latest session of the cart token.
  expect((await find("unknown", "cart-b"))?.ttclid).toBe("newer-click");
  expect((await find(null, "cart-a"))?.ttclid).toBe("newest-a-click");
  expect((await find("older", null))?.ttclid).toBe("older-click");
  expect(await find("unknown", "cart-unknown")).toBeNull();
  expect(await find(null, null)).toBeNull();
  // Shop scoping: keys that exist only in the other shop find nothing.
  expect(await find("other-only", "cart-z")).toBeNull();
  expect(
    (
      await findAttribution(otherShop, {
        sessionKey: null,
        cartToken: "cart-a",
      })
    )?.ttclid,
  ).toBe("other");
}
