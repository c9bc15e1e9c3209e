-- CreateTable
CREATE TABLE "CheckoutContext" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "checkoutToken" TEXT NOT NULL,
    "ttclid" TEXT,
    "ttp" TEXT,
    "sessionKey" TEXT,
    "consent" TEXT NOT NULL DEFAULT 'unknown',
    "ip" TEXT,
    "userAgent" TEXT,
    "emailHash" TEXT,
    "phoneHash" TEXT,
    "pageUrl" TEXT,
    "orderId" TEXT,
    "startedAt" DATETIME,
    "completedAt" DATETIME,
    "lateRelayAt" DATETIME,
    "firstSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "CheckoutContext_shop_orderId_idx" ON "CheckoutContext"("shop", "orderId");

-- CreateIndex
CREATE INDEX "CheckoutContext_lastSeenAt_idx" ON "CheckoutContext"("lastSeenAt");

-- CreateIndex
CREATE UNIQUE INDEX "CheckoutContext_shop_checkoutToken_key" ON "CheckoutContext"("shop", "checkoutToken");


-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN "keySources" TEXT;

-- AlterTable
ALTER TABLE "ShopSettings" ADD COLUMN "webPixelConnectedAt" DATETIME;
ALTER TABLE "ShopSettings" ADD COLUMN "webPixelError" TEXT;
ALTER TABLE "ShopSettings" ADD COLUMN "webPixelId" TEXT;
