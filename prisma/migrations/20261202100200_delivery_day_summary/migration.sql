-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN "journey" TEXT;

-- CreateTable
CREATE TABLE "DeliveryDaySummary" (
    "shop" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "pixelCode" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "matchKeys" TEXT NOT NULL,
    "journey" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    PRIMARY KEY ("shop", "day", "source", "pixelCode", "status", "matchKeys", "journey")
);

-- Backfill: the existing deliveries, counted once. From here on the outbox transitions keep
-- the counts in the transactions that write deliveries. The day is the UTC date of createdAt,
-- computed as app/db/sql.server.ts (utcDaySql) does.
INSERT INTO "DeliveryDaySummary" ("shop", "day", "source", "pixelCode", "status", "matchKeys", "journey", "count")
SELECT "shop", date("createdAt"), "source", "pixelCode", "status", "matchKeys", '', COUNT(*)
FROM "Delivery"
GROUP BY "shop", date("createdAt"), "source", "pixelCode", "status", "matchKeys";
