-- CreateTable
CREATE TABLE "ReconciliationRun" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "windowStart" TIMESTAMP(3) NOT NULL,
    "windowEnd" TIMESTAMP(3) NOT NULL,
    "backfill" BOOLEAN NOT NULL DEFAULT true,
    "cursor" TEXT,
    "stopReason" TEXT,
    "ordersSeen" INTEGER NOT NULL DEFAULT 0,
    "backfilled" INTEGER NOT NULL DEFAULT 0,
    "costUsed" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "ReconciliationRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReconciliationOrder" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "orderName" TEXT,
    "orderCreatedAt" TIMESTAMP(3) NOT NULL,
    "currency" TEXT,
    "value" TEXT,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "backfill" TEXT,
    "deliveryId" TEXT,

    CONSTRAINT "ReconciliationOrder_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ReconciliationRun_shop_startedAt_idx" ON "ReconciliationRun"("shop", "startedAt");

-- CreateIndex
CREATE INDEX "ReconciliationOrder_shop_orderId_idx" ON "ReconciliationOrder"("shop", "orderId");

-- CreateIndex
CREATE INDEX "ReconciliationOrder_runId_status_idx" ON "ReconciliationOrder"("runId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "ReconciliationOrder_runId_orderId_key" ON "ReconciliationOrder"("runId", "orderId");

-- AddForeignKey
ALTER TABLE "ReconciliationOrder" ADD CONSTRAINT "ReconciliationOrder_runId_fkey" FOREIGN KEY ("runId") REFERENCES "ReconciliationRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

