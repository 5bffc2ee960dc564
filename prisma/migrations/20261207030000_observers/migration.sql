-- Several physician observers per structure (issue #17.4–5, docs/observers.md): who drew each
-- physician structure, which observer is the study's reference (every existing row: true, so the
-- machine-vs-physician metrics do not change), and the inter-observer metrics.
-- AlterTable
ALTER TABLE "PhysicianStructure" ADD COLUMN     "observer" TEXT,
ADD COLUMN     "referenceObserver" BOOLEAN NOT NULL DEFAULT true;

-- CreateTable
CREATE TABLE "ObserverMetric" (
    "id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "runId" TEXT,
    "role" TEXT NOT NULL,
    "phasePercent" DOUBLE PRECISION,
    "comparison" TEXT NOT NULL,
    "referenceStructureId" TEXT,
    "testStructureId" TEXT,
    "machineStructureId" TEXT,
    "consensus" TEXT,
    "observerCount" INTEGER NOT NULL,
    "convention" TEXT NOT NULL,
    "values" JSONB NOT NULL,
    "nullReasons" JSONB NOT NULL DEFAULT '{}',
    "toleranceMm" DOUBLE PRECISION,
    "codeVersion" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ObserverMetric_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ObserverMetric_key_key" ON "ObserverMetric"("key");

-- CreateIndex
CREATE INDEX "ObserverMetric_studyId_idx" ON "ObserverMetric"("studyId");

-- CreateIndex
CREATE INDEX "ObserverMetric_runId_idx" ON "ObserverMetric"("runId");

-- AddForeignKey
ALTER TABLE "ObserverMetric" ADD CONSTRAINT "ObserverMetric_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ObserverMetric" ADD CONSTRAINT "ObserverMetric_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SegmentationRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;
