-- CreateTable
CREATE TABLE "CheckoutContext" (
    "id" TEXT NOT NULL,
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
    "startedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "lateRelayAt" TIMESTAMP(3),
    "firstSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CheckoutContext_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CheckoutContext_shop_orderId_idx" ON "CheckoutContext"("shop", "orderId");

-- CreateIndex
CREATE INDEX "CheckoutContext_lastSeenAt_idx" ON "CheckoutContext"("lastSeenAt");

-- CreateIndex
CREATE UNIQUE INDEX "CheckoutContext_shop_checkoutToken_key" ON "CheckoutContext"("shop", "checkoutToken");


-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "keySources" TEXT;

-- AlterTable
ALTER TABLE "ShopSettings" ADD COLUMN     "webPixelConnectedAt" TIMESTAMP(3),
ADD COLUMN     "webPixelError" TEXT,
ADD COLUMN     "webPixelId" TEXT;
