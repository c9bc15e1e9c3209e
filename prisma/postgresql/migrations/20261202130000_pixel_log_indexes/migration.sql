-- The delivery log's pixel filter (test/delivery/admin-query-plans.test.ts reads the plans).
-- One pixel's orders, storefront or test events newest first.
CREATE INDEX "Delivery_shop_pixelCode_source_createdAt_status_idx" ON "Delivery"("shop", "pixelCode", "source", "createdAt", "status");

-- The status indexes and the pixel's own one end in the other column, so a pixel with a status
-- is checked in whichever index the planner takes, reading only the rows shown.
DROP INDEX "Delivery_shop_source_status_createdAt_idx";
CREATE INDEX "Delivery_shop_source_status_createdAt_pixelCode_idx" ON "Delivery"("shop", "source", "status", "createdAt", "pixelCode");
DROP INDEX "Delivery_shop_status_createdAt_idx";
CREATE INDEX "Delivery_shop_status_createdAt_pixelCode_idx" ON "Delivery"("shop", "status", "createdAt", "pixelCode");
DROP INDEX "Delivery_shop_pixelCode_createdAt_idx";
CREATE INDEX "Delivery_shop_pixelCode_createdAt_status_idx" ON "Delivery"("shop", "pixelCode", "createdAt", "status");

-- An order's deliveries at every pixel: the delivery detail lists them, the checkout relay reads them.
CREATE INDEX "Delivery_shop_orderId_source_idx" ON "Delivery"("shop", "orderId", "source");
