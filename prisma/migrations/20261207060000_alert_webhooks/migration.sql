-- Alert webhooks (issue #17.3, docs/monitoring.md "Webhooks"): one optional URL per alert type,
-- each new alert's delivery and every HTTP attempt (status, error, duration).
-- CreateTable
CREATE TABLE "AlertWebhook" (
    "id" TEXT NOT NULL,
    "alertType" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "secret" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "updatedByEmail" TEXT,

    CONSTRAINT "AlertWebhook_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertWebhookDelivery" (
    "id" TEXT NOT NULL,
    "alertId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastStatus" INTEGER,
    "error" TEXT,
    "queuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "AlertWebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertWebhookAttempt" (
    "id" TEXT NOT NULL,
    "deliveryId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "statusCode" INTEGER,
    "error" TEXT,
    "durationMs" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AlertWebhookAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AlertWebhook_alertType_key" ON "AlertWebhook"("alertType");

-- CreateIndex
CREATE INDEX "AlertWebhookDelivery_webhookId_idx" ON "AlertWebhookDelivery"("webhookId");

-- CreateIndex
CREATE UNIQUE INDEX "AlertWebhookDelivery_alertId_webhookId_key" ON "AlertWebhookDelivery"("alertId", "webhookId");

-- CreateIndex
CREATE UNIQUE INDEX "AlertWebhookAttempt_deliveryId_attempt_key" ON "AlertWebhookAttempt"("deliveryId", "attempt");

-- AddForeignKey
ALTER TABLE "AlertWebhookDelivery" ADD CONSTRAINT "AlertWebhookDelivery_alertId_fkey" FOREIGN KEY ("alertId") REFERENCES "MonitoringAlert"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertWebhookDelivery" ADD CONSTRAINT "AlertWebhookDelivery_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "AlertWebhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertWebhookAttempt" ADD CONSTRAINT "AlertWebhookAttempt_deliveryId_fkey" FOREIGN KEY ("deliveryId") REFERENCES "AlertWebhookDelivery"("id") ON DELETE CASCADE ON UPDATE CASCADE;
