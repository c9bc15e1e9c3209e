-- AlterTable
ALTER TABLE "ShopSettings" ADD COLUMN "sendAddPaymentInfo" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "ShopSettings" ADD COLUMN "sendCheckoutSteps" BOOLEAN NOT NULL DEFAULT false;
