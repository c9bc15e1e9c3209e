-- CreateTable
CREATE TABLE "ReconciliationRun" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "windowStart" DATETIME NOT NULL,
    "windowEnd" DATETIME NOT NULL,
    "backfill" BOOLEAN NOT NULL DEFAULT true,
    "cursor" TEXT,
    "stopReason" TEXT,
    "ordersSeen" INTEGER NOT NULL DEFAULT 0,
    "backfilled" INTEGER NOT NULL DEFAULT 0,
    "costUsed" INTEGER NOT NULL DEFAULT 0,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME
);

-- CreateTable
CREATE TABLE "ReconciliationOrder" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "runId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "orderName" TEXT,
    "orderCreatedAt" DATETIME NOT NULL,
    "currency" TEXT,
    "value" TEXT,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "backfill" TEXT,
    "deliveryId" TEXT,
    CONSTRAINT "ReconciliationOrder_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ReconciliationRun" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "ReconciliationRun_shop_startedAt_idx" ON "ReconciliationRun"("shop", "startedAt");

-- CreateIndex
CREATE INDEX "ReconciliationOrder_shop_orderId_idx" ON "ReconciliationOrder"("shop", "orderId");

-- CreateIndex
CREATE INDEX "ReconciliationOrder_runId_status_idx" ON "ReconciliationOrder"("runId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "ReconciliationOrder_runId_orderId_key" ON "ReconciliationOrder"("runId", "orderId");

