-- DropIndex
DROP INDEX "Delivery_shop_status_idx";

-- CreateIndex
CREATE INDEX "Delivery_shop_source_createdAt_status_matchKeys_idx" ON "Delivery"("shop", "source", "createdAt", "status", "matchKeys");

-- CreateIndex
CREATE INDEX "Delivery_shop_source_status_createdAt_idx" ON "Delivery"("shop", "source", "status", "createdAt");

-- CreateIndex
CREATE INDEX "Delivery_shop_status_createdAt_idx" ON "Delivery"("shop", "status", "createdAt");

