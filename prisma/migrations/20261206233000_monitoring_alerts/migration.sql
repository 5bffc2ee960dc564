-- Drift alerts (issue #17.3, docs/monitoring.md "Alerts"): the stored monitoring configuration
-- (append-only versions, like FlagRuleSet) and the alerts the worker records after a run succeeds
-- when a control chart of a series goes out of control. An alert is unique per
-- (configuration version, series, chart, study), so evaluating again never duplicates one.
-- CreateTable
CREATE TABLE "MonitoringConfig" (
    "version" INTEGER NOT NULL,
    "config" JSONB NOT NULL,
    "createdById" TEXT,
    "createdByEmail" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "note" TEXT,

    CONSTRAINT "MonitoringConfig_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "MonitoringAlert" (
    "id" TEXT NOT NULL,
    "configVersion" INTEGER NOT NULL,
    "seriesKey" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "split" TEXT NOT NULL,
    "splitLabel" TEXT NOT NULL,
    "chart" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "pseudonym" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "statistic" DOUBLE PRECISION NOT NULL,
    "limit" DOUBLE PRECISION NOT NULL,
    "direction" TEXT NOT NULL,
    "baselineMean" DOUBLE PRECISION NOT NULL,
    "baselineSigma" DOUBLE PRECISION NOT NULL,
    "triggeredByRunId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "acknowledgedAt" TIMESTAMP(3),
    "acknowledgedById" TEXT,
    "acknowledgedByEmail" TEXT,
    "acknowledgeComment" TEXT,

    CONSTRAINT "MonitoringAlert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "MonitoringAlert_configVersion_seriesKey_chart_studyId_key" ON "MonitoringAlert"("configVersion", "seriesKey", "chart", "studyId");

-- CreateIndex
CREATE INDEX "MonitoringAlert_acknowledgedAt_idx" ON "MonitoringAlert"("acknowledgedAt");
