-- Several pixels per shop: the code, token and switches of each pixel move from ShopSettings to its
-- own row, and ShopSettings keeps what belongs to the shop (purchase trigger, install state, the
-- checkout web pixel). The existing pixel of a shop becomes its first Pixel row with the same values:
-- the ciphertext of the token moves as it is (it is bound to the shop, not to the row), so it still
-- decrypts and nothing has to be entered again.

-- CreateTable
CREATE TABLE "Pixel" (
    "id" TEXT NOT NULL,
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
    "lastTestAt" TIMESTAMP(3),
    "lastTestOk" BOOLEAN,
    "lastTestCode" INTEGER,
    "lastTestMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Pixel_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Pixel_shop_createdAt_idx" ON "Pixel"("shop", "createdAt");
CREATE UNIQUE INDEX "Pixel_shop_pixelCode_key" ON "Pixel"("shop", "pixelCode");

-- AddForeignKey
ALTER TABLE "Pixel" ADD CONSTRAINT "Pixel_shop_fkey" FOREIGN KEY ("shop") REFERENCES "ShopSettings"("shop") ON DELETE CASCADE ON UPDATE CASCADE;

-- The existing pixel of each shop, values unchanged.
INSERT INTO "Pixel" ("id", "shop", "name", "pixelCode", "enabled", "accessTokenCiphertext", "accessTokenLast4",
    "testEventCode", "sendPurchase", "sendViewContent", "sendAddToCart", "sendInitiateCheckout", "sendAddPaymentInfo", "sendCheckoutSteps", "sendSearch", "purchaseEventName", "consentPolicy", "valueSource", "skipTestOrders", "skipPosOrders", "skipDraftOrders", "skipSubscriptionRecurringOrders", "createdAt", "updatedAt")
SELECT 'px' || substr(md5(random()::text || "id"::text), 1, 24), "shop", 'TikTok pixel', "pixelCode", true,
    "accessTokenCiphertext", "accessTokenLast4", "testEventCode", "sendPurchase", "sendViewContent", "sendAddToCart", "sendInitiateCheckout", "sendAddPaymentInfo", "sendCheckoutSteps", "sendSearch", "purchaseEventName", "consentPolicy", "valueSource", "skipTestOrders", "skipPosOrders", "skipDraftOrders", "skipSubscriptionRecurringOrders", "createdAt", "updatedAt"
FROM "ShopSettings" WHERE length("pixelCode") > 0;

-- AlterTable
ALTER TABLE "ShopSettings" DROP COLUMN "pixelCode",
DROP COLUMN "accessTokenCiphertext",
DROP COLUMN "accessTokenLast4",
DROP COLUMN "testEventCode",
DROP COLUMN "sendPurchase",
DROP COLUMN "sendViewContent",
DROP COLUMN "sendAddToCart",
DROP COLUMN "sendInitiateCheckout",
DROP COLUMN "sendAddPaymentInfo",
DROP COLUMN "sendCheckoutSteps",
DROP COLUMN "sendSearch",
DROP COLUMN "purchaseEventName",
DROP COLUMN "consentPolicy",
DROP COLUMN "valueSource",
DROP COLUMN "skipTestOrders",
DROP COLUMN "skipPosOrders",
DROP COLUMN "skipDraftOrders",
DROP COLUMN "skipSubscriptionRecurringOrders";

-- One delivery per pixel and event (was per event): the old rows, one pixel each, stay unique.
DROP INDEX "Delivery_shop_eventName_eventId_key";
CREATE UNIQUE INDEX "Delivery_shop_pixelCode_eventName_eventId_key" ON "Delivery"("shop", "pixelCode", "eventName", "eventId");
CREATE INDEX "Delivery_shop_pixelCode_createdAt_idx" ON "Delivery"("shop", "pixelCode", "createdAt");
