-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "isOnline" BOOLEAN NOT NULL DEFAULT false,
    "scope" TEXT,
    "expires" DATETIME,
    "accessToken" TEXT NOT NULL,
    "userId" BIGINT,
    "firstName" TEXT,
    "lastName" TEXT,
    "email" TEXT,
    "accountOwner" BOOLEAN NOT NULL DEFAULT false,
    "locale" TEXT,
    "collaborator" BOOLEAN DEFAULT false,
    "emailVerified" BOOLEAN DEFAULT false,
    "refreshToken" TEXT,
    "refreshTokenExpires" DATETIME
);

-- CreateTable
CREATE TABLE "ShopSettings" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "shop" TEXT NOT NULL,
    "pixelCode" TEXT,
    "accessTokenCiphertext" TEXT,
    "accessTokenLast4" TEXT,
    "testEventCode" TEXT,
    "sendPurchase" BOOLEAN NOT NULL DEFAULT true,
    "sendViewContent" BOOLEAN NOT NULL DEFAULT true,
    "sendAddToCart" BOOLEAN NOT NULL DEFAULT true,
    "sendInitiateCheckout" BOOLEAN NOT NULL DEFAULT true,
    "sendSearch" BOOLEAN NOT NULL DEFAULT true,
    "purchaseEventName" TEXT NOT NULL DEFAULT 'Purchase',
    "purchaseTrigger" TEXT NOT NULL DEFAULT 'orders/create',
    "consentPolicy" TEXT NOT NULL DEFAULT 'limited',
    "valueSource" TEXT NOT NULL DEFAULT 'total',
    "skipTestOrders" BOOLEAN NOT NULL DEFAULT true,
    "skipPosOrders" BOOLEAN NOT NULL DEFAULT true,
    "skipDraftOrders" BOOLEAN NOT NULL DEFAULT true,
    "skipSubscriptionRecurringOrders" BOOLEAN NOT NULL DEFAULT true,
    "uninstalledAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "AttributionSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "sessionKey" TEXT NOT NULL,
    "ttclid" TEXT,
    "ttclidFirstSeenAt" DATETIME,
    "ttclidLastSeenAt" DATETIME,
    "ttp" TEXT,
    "ip" TEXT,
    "userAgent" TEXT,
    "consent" TEXT NOT NULL DEFAULT 'unknown',
    "cartToken" TEXT,
    "landingUrl" TEXT,
    "firstSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "eventName" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "pixelCode" TEXT NOT NULL,
    "orderId" TEXT,
    "orderName" TEXT,
    "customerId" TEXT,
    "sessionKey" TEXT,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "payload" TEXT NOT NULL,
    "matchKeys" TEXT NOT NULL DEFAULT '',
    "attemptCount" INTEGER NOT NULL DEFAULT 0,
    "lastAttemptAt" DATETIME,
    "deliveredAt" DATETIME,
    "lastError" TEXT,
    "eventTime" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "OutboxEntry" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deliveryId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "firstAttemptAt" DATETIME,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseOwner" TEXT,
    "leaseExpiresAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "OutboxEntry_deliveryId_fkey" FOREIGN KEY ("deliveryId") REFERENCES "Delivery" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DeliveryAttempt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "deliveryId" TEXT NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "durationMs" INTEGER NOT NULL,
    "httpStatus" INTEGER,
    "tiktokCode" INTEGER,
    "message" TEXT,
    "requestId" TEXT,
    "outcome" TEXT NOT NULL,
    "batchSize" INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT "DeliveryAttempt_deliveryId_fkey" FOREIGN KEY ("deliveryId") REFERENCES "Delivery" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "WebhookReceipt" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "shop" TEXT NOT NULL,
    "topic" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "Session_shop_idx" ON "Session"("shop");

-- CreateIndex
CREATE UNIQUE INDEX "ShopSettings_shop_key" ON "ShopSettings"("shop");

-- CreateIndex
CREATE INDEX "AttributionSession_shop_cartToken_idx" ON "AttributionSession"("shop", "cartToken");

-- CreateIndex
CREATE INDEX "AttributionSession_lastSeenAt_idx" ON "AttributionSession"("lastSeenAt");

-- CreateIndex
CREATE UNIQUE INDEX "AttributionSession_shop_sessionKey_key" ON "AttributionSession"("shop", "sessionKey");

-- CreateIndex
CREATE INDEX "Delivery_shop_createdAt_idx" ON "Delivery"("shop", "createdAt");

-- CreateIndex
CREATE INDEX "Delivery_shop_status_idx" ON "Delivery"("shop", "status");

-- CreateIndex
CREATE INDEX "Delivery_shop_orderName_idx" ON "Delivery"("shop", "orderName");

-- CreateIndex
CREATE INDEX "Delivery_shop_customerId_idx" ON "Delivery"("shop", "customerId");

-- CreateIndex
CREATE UNIQUE INDEX "Delivery_shop_eventName_eventId_key" ON "Delivery"("shop", "eventName", "eventId");

-- CreateIndex
CREATE UNIQUE INDEX "OutboxEntry_deliveryId_key" ON "OutboxEntry"("deliveryId");

-- CreateIndex
CREATE INDEX "OutboxEntry_nextAttemptAt_idx" ON "OutboxEntry"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "OutboxEntry_shop_idx" ON "OutboxEntry"("shop");

-- CreateIndex
CREATE INDEX "DeliveryAttempt_deliveryId_startedAt_idx" ON "DeliveryAttempt"("deliveryId", "startedAt");

-- CreateIndex
CREATE INDEX "WebhookReceipt_shop_idx" ON "WebhookReceipt"("shop");

-- CreateIndex
CREATE INDEX "WebhookReceipt_receivedAt_idx" ON "WebhookReceipt"("receivedAt");

