// The single-pixel → pixels migration (20261202120000_pixels) run on a copy of the schema before
// it, holding rows as the app wrote them then, on SQLite (test/delivery/pixel-migration.test.ts)
// and PostgreSQL (test/postgres/pixel-migration.test.ts).
import { expect } from "vitest";
import {
  decryptSecret,
  encryptSecret,
} from "../../app/credentials/encryption.server";
import { TEST_ENCRYPTION_KEY } from "./constants";

export const PIXELS_MIGRATION = "20261202120000_pixels";

/** Raw SQL on the database under test; `?` placeholders (PostgreSQL's runner numbers them). */
export interface SqlRunner {
  run(sql: string, args?: unknown[]): Promise<void>;
  all<T>(sql: string, args?: unknown[]): Promise<T[]>;
  /** Applies the committed migrations before the pixels one, or from it on. */
  migrate(part: { before?: string; from?: string }): Promise<void>;
}

const SHOP = "old-schema.myshopify.com";
const BARE = "installed-only.myshopify.com";
const TOKEN = "tt-old-schema-token-7788";
const CODE = "COLDSCHEMAPIXEL0001";
const T0 = "2026-11-20T10:00:00.000+00:00";
const T1 = "2026-11-20T10:00:05.000+00:00";

/** Seeds the old schema, migrates, and checks what a merchant would: same pixel, same token, same log. */
export async function checkPixelMigration(db: SqlRunner): Promise<void> {
  await db.migrate({ before: PIXELS_MIGRATION });
  const key = Buffer.from(TEST_ENCRYPTION_KEY, "base64");
  const ciphertext = encryptSecret(TOKEN, key, SHOP);
  // A shop whose settings differ from every default, and one that never saved a pixel.
  await db.run(
    `INSERT INTO "ShopSettings" ("shop", "pixelCode", "accessTokenCiphertext", "accessTokenLast4",
       "testEventCode", "sendPurchase", "sendViewContent", "sendAddToCart", "sendInitiateCheckout",
       "sendAddPaymentInfo", "sendCheckoutSteps", "sendSearch", "purchaseEventName", "purchaseTrigger",
       "consentPolicy", "valueSource", "skipTestOrders", "skipPosOrders", "skipDraftOrders",
       "skipSubscriptionRecurringOrders", "webPixelId", "webPixelConnectedAt", "createdAt", "updatedAt")
     VALUES (?, ?, ?, '7788', 'TEST778', true, false, true, false, false, true, false,
       'CompletePayment', 'orders/paid', 'skip', 'subtotal', false, false, true, false,
       'gid://shopify/WebPixel/77', ?, ?, ?)`,
    [SHOP, CODE, ciphertext, T0, T0, T1],
  );
  await db.run(
    `INSERT INTO "ShopSettings" ("shop", "createdAt", "updatedAt") VALUES (?, ?, ?)`,
    [BARE, T0, T0],
  );
  // The log: one delivered Purchase with its attempt, one pending with its outbox row.
  const delivery = (id: string, status: string, eventId: string) =>
    db.run(
      `INSERT INTO "Delivery" ("id", "shop", "source", "eventName", "eventId", "pixelCode", "orderId",
         "orderName", "status", "payload", "matchKeys", "attemptCount", "eventTime", "createdAt", "updatedAt")
       VALUES (?, ?, 'order', 'CompletePayment', ?, ?, ?, '#1001', ?, '{"event":"CompletePayment"}',
         'email,ttclid', ?, ?, ?, ?)`,
      [
        id,
        SHOP,
        eventId,
        CODE,
        `gid://shopify/Order/${eventId.split("_")[0]}`,
        status,
        status === "delivered" ? 1 : 0,
        T0,
        T0,
        T1,
      ],
    );
  await delivery("d-sent", "delivered", "1001_CompletePayment");
  await delivery("d-wait", "pending", "1002_CompletePayment");
  await db.run(
    `INSERT INTO "DeliveryAttempt" ("id", "deliveryId", "startedAt", "durationMs", "httpStatus",
       "tiktokCode", "message", "requestId", "outcome", "batchSize")
     VALUES ('a-1', 'd-sent', ?, 120, 200, 0, 'OK', 'req-1', 'delivered', 1)`,
    [T1],
  );
  await db.run(
    `INSERT INTO "OutboxEntry" ("id", "deliveryId", "shop", "attempts", "nextAttemptAt", "createdAt")
     VALUES ('o-1', 'd-wait', ?, 0, ?, ?)`,
    [SHOP, T1, T0],
  );

  await db.migrate({ from: PIXELS_MIGRATION });

  // The shop's pixel, every value as it was.
  const pixels = await db.all<Record<string, unknown>>(
    `SELECT * FROM "Pixel" ORDER BY "shop"`,
  );
  expect(pixels).toHaveLength(1);
  const bool = (v: unknown) => v === true || v === 1 || v === 1n;
  const pixel = pixels[0];
  expect(pixel).toMatchObject({
    shop: SHOP,
    name: "TikTok pixel",
    pixelCode: CODE,
    accessTokenLast4: "7788",
    testEventCode: "TEST778",
    purchaseEventName: "CompletePayment",
    consentPolicy: "skip",
    valueSource: "subtotal",
  });
  expect(String(pixel.id)).toMatch(/^px[0-9a-f]{24}$/);
  expect(
    Object.fromEntries(
      [
        "enabled",
        "sendPurchase",
        "sendViewContent",
        "sendAddToCart",
        "sendInitiateCheckout",
        "sendAddPaymentInfo",
        "sendCheckoutSteps",
        "sendSearch",
        "skipTestOrders",
        "skipPosOrders",
        "skipDraftOrders",
        "skipSubscriptionRecurringOrders",
      ].map((k) => [k, bool(pixel[k])]),
    ),
  ).toEqual({
    enabled: true,
    sendPurchase: true,
    sendViewContent: false,
    sendAddToCart: true,
    sendInitiateCheckout: false,
    sendAddPaymentInfo: false,
    sendCheckoutSteps: true,
    sendSearch: false,
    skipTestOrders: false,
    skipPosOrders: false,
    skipDraftOrders: true,
    skipSubscriptionRecurringOrders: false,
  });
  // The token still decrypts with the app's key: nothing to enter again.
  expect(decryptSecret(String(pixel.accessTokenCiphertext), key, SHOP)).toBe(
    TOKEN,
  );

  // The shop keeps what is the shop's; the per-pixel columns are gone.
  const shops = await db.all<Record<string, unknown>>(
    `SELECT * FROM "ShopSettings" ORDER BY "shop"`,
  );
  expect(shops.map((s) => [s.shop, s.purchaseTrigger, s.webPixelId])).toEqual([
    [BARE, "orders/create", null],
    [SHOP, "orders/paid", "gid://shopify/WebPixel/77"],
  ]);
  expect(Object.keys(shops[0])).not.toContain("pixelCode");
  expect(Object.keys(shops[0])).not.toContain("accessTokenCiphertext");

  // The log keeps its history, attempts and queue.
  expect(
    await db.all(
      `SELECT "id", "status", "pixelCode", "eventId" FROM "Delivery" ORDER BY "id"`,
    ),
  ).toEqual([
    {
      id: "d-sent",
      status: "delivered",
      pixelCode: CODE,
      eventId: "1001_CompletePayment",
    },
    {
      id: "d-wait",
      status: "pending",
      pixelCode: CODE,
      eventId: "1002_CompletePayment",
    },
  ]);
  expect(
    await db.all(`SELECT "id", "deliveryId", "outcome" FROM "DeliveryAttempt"`),
  ).toEqual([{ id: "a-1", deliveryId: "d-sent", outcome: "delivered" }]);
  expect(await db.all(`SELECT "id", "deliveryId" FROM "OutboxEntry"`)).toEqual([
    { id: "o-1", deliveryId: "d-wait" },
  ]);

  // One delivery per pixel and event now: a second pixel may record the same event id, the
  // same pixel may not.
  const insert = (id: string, pixelCode: string) =>
    db.run(
      `INSERT INTO "Delivery" ("id", "shop", "source", "eventName", "eventId", "pixelCode", "status",
         "payload", "eventTime", "createdAt", "updatedAt")
       VALUES (?, ?, 'order', 'CompletePayment', '1001_CompletePayment', ?, 'pending', '{}', ?, ?, ?)`,
      [id, SHOP, pixelCode, T1, T1, T1],
    );
  await insert("d-second-pixel", "CSECONDPIXEL000001");
  await expect(insert("d-again", CODE)).rejects.toThrow();

  // The pixel belongs to its shop's settings: removing the shop removes its pixels.
  await db.run(`DELETE FROM "ShopSettings" WHERE "shop" = ?`, [SHOP]);
  expect(await db.all(`SELECT "id" FROM "Pixel"`)).toEqual([]);
}
