-- Several pixels per shop: the code, token and switches of each pixel move from ShopSettings to its
-- own row, and ShopSettings keeps what belongs to the shop (purchase trigger, install state, the
-- checkout web pixel). The existing pixel of a shop becomes its first Pixel row with the same values:
-- the ciphertext of the token moves as it is (it is bound to the shop, not to the row), so it still
-- decrypts and nothing has to be entered again.

-- CreateTable
CREATE TABLE "Pixel" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "pixelCode" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "accessTokenCiphertext" TEXT,
    "accessTokenLast4" TEXT,
    "testEventCode" TEXT,
    "sendPurchase" BOOLEAN NOT NULL DEFAULT true,
    "sendViewContent" BOOLEAN NOT NULL DEFAULT true,
    "sendAddToCart" BOOLEAN NOT NULL DEFAULT true,
    "sendInitiateCheckout" BOOLEAN NOT NULL DEFAULT true,
    "sendAddPaymentInfo" BOOLEAN NOT NULL DEFAULT true,
    "sendCheckoutSteps" BOOLEAN NOT NULL DEFAULT false,
    "sendSearch" BOOLEAN NOT NULL DEFAULT true,
    "purchaseEventName" TEXT NOT NULL DEFAULT 'Purchase',
    "consentPolicy" TEXT NOT NULL DEFAULT 'limited',
    "valueSource" TEXT NOT NULL DEFAULT 'total',
    "skipTestOrders" BOOLEAN NOT NULL DEFAULT true,
    "skipPosOrders" BOOLEAN NOT NULL DEFAULT true,
    "skipDraftOrders" BOOLEAN NOT NULL DEFAULT true,
    "skipSubscriptionRecurringOrders" BOOLEAN NOT NULL DEFAULT true,
    "lastTestAt" DATETIME,
    "lastTestOk" BOOLEAN,
    "lastTestCode" INTEGER,
    "lastTestMessage" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Pixel_shop_fkey" FOREIGN KEY ("shop") REFERENCES "ShopSettings" ("shop") ON DELETE CASCADE ON UPDATE CASCADE
);

-- The existing pixel of each shop, values unchanged.
INSERT INTO "Pixel" ("id", "shop", "name", "pixelCode", "enabled", "accessTokenCiphertext", "accessTokenLast4",
    "testEventCode", "sendPurchase", "sendViewContent", "sendAddToCart", "sendInitiateCheckout", "sendAddPaymentInfo", "sendCheckoutSteps", "sendSearch", "purchaseEventName", "consentPolicy", "valueSource", "skipTestOrders", "skipPosOrders", "skipDraftOrders", "skipSubscriptionRecurringOrders", "createdAt", "updatedAt")
SELECT 'px' || lower(hex(randomblob(12))), "shop", 'TikTok pixel', "pixelCode", true, "accessTokenCiphertext",
    "accessTokenLast4", "testEventCode", "sendPurchase", "sendViewContent", "sendAddToCart", "sendInitiateCheckout", "sendAddPaymentInfo", "sendCheckoutSteps", "sendSearch", "purchaseEventName", "consentPolicy", "valueSource", "skipTestOrders", "skipPosOrders", "skipDraftOrders", "skipSubscriptionRecurringOrders", "createdAt", "updatedAt"
FROM "ShopSettings" WHERE length("pixelCode") > 0;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ShopSettings" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "shop" TEXT NOT NULL,
    "purchaseTrigger" TEXT NOT NULL DEFAULT 'orders/create',
    "uninstalledAt" DATETIME,
    "webPixelId" TEXT,
    "webPixelConnectedAt" DATETIME,
    "webPixelError" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_ShopSettings" ("id", "shop", "purchaseTrigger", "uninstalledAt", "webPixelId", "webPixelConnectedAt", "webPixelError", "createdAt", "updatedAt")
SELECT "id", "shop", "purchaseTrigger", "uninstalledAt", "webPixelId", "webPixelConnectedAt", "webPixelError", "createdAt", "updatedAt" FROM "ShopSettings";
DROP TABLE "ShopSettings";
ALTER TABLE "new_ShopSettings" RENAME TO "ShopSettings";
CREATE UNIQUE INDEX "ShopSettings_shop_key" ON "ShopSettings"("shop");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Pixel_shop_createdAt_idx" ON "Pixel"("shop", "createdAt");
CREATE UNIQUE INDEX "Pixel_shop_pixelCode_key" ON "Pixel"("shop", "pixelCode");

-- One delivery per pixel and event (was per event): the old rows, one pixel each, stay unique.
DROP INDEX "Delivery_shop_eventName_eventId_key";
CREATE UNIQUE INDEX "Delivery_shop_pixelCode_eventName_eventId_key" ON "Delivery"("shop", "pixelCode", "eventName", "eventId");
CREATE INDEX "Delivery_shop_pixelCode_createdAt_idx" ON "Delivery"("shop", "pixelCode", "createdAt");
