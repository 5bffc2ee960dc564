-- Generated with prisma@6.19.3 migrate diff (see docs/migrations.md)
-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMIN', 'PHYSICIST', 'RESEARCHER', 'REVIEWER');

-- CreateEnum
CREATE TYPE "StructureKind" AS ENUM ('GTV', 'ITV', 'OTHER');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "ReviewDecisionKind" AS ENUM ('MACHINE_ACCEPTABLE', 'PHYSICIAN_NEEDS_REVISION', 'MACHINE_WRONG', 'DISCUSS');

-- CreateTable
CREATE TABLE "Institution" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Institution_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "institutionId" TEXT,
    "failedSignIns" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "Patient" (
    "id" TEXT NOT NULL,
    "pseudonym" TEXT NOT NULL,
    "institutionId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Patient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PatientIdentity" (
    "patientId" TEXT NOT NULL,
    "name" TEXT,
    "mrn" TEXT,
    "birthDate" DATE,
    "dateShiftDays" INTEGER NOT NULL,

    CONSTRAINT "PatientIdentity_pkey" PRIMARY KEY ("patientId")
);

-- CreateTable
CREATE TABLE "Study" (
    "id" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "studyInstanceUid" TEXT NOT NULL,
    "studyDate" DATE,
    "description" TEXT,
    "physician" TEXT,
    "scanner" TEXT,
    "contentHash" TEXT NOT NULL,
    "findings" JSONB NOT NULL DEFAULT '[]',
    "importedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Study_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImageSeries" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "seriesInstanceUid" TEXT NOT NULL,
    "frameOfReferenceUid" TEXT,
    "modality" TEXT NOT NULL,
    "description" TEXT,
    "phaseIndex" INTEGER,
    "phasePercent" DOUBLE PRECISION,
    "dims" INTEGER[],
    "spacingMm" DOUBLE PRECISION[],
    "originMm" DOUBLE PRECISION[],
    "direction" DOUBLE PRECISION[],
    "volumeKey" TEXT,
    "volumeSha256" TEXT,

    CONSTRAINT "ImageSeries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PhysicianStructure" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "seriesId" TEXT NOT NULL,
    "roiNumber" INTEGER,
    "name" TEXT NOT NULL,
    "kind" "StructureKind" NOT NULL,
    "phaseIndex" INTEGER,
    "maskKey" TEXT,
    "maskSha256" TEXT,
    "voxelCount" INTEGER,
    "volumeCc" DOUBLE PRECISION,

    CONSTRAINT "PhysicianStructure_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelVersion" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "manifest" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SegmentationRun" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "stage" TEXT,
    "timings" JSONB NOT NULL DEFAULT '{}',
    "errorCode" TEXT,
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "jobId" TEXT,
    "queuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "heartbeatAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "SegmentationRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MachineStructure" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "seriesId" TEXT,
    "kind" "StructureKind" NOT NULL,
    "phaseIndex" INTEGER,
    "label" TEXT NOT NULL,
    "maskKey" TEXT,
    "maskSha256" TEXT,
    "voxelCount" INTEGER,
    "volumeCc" DOUBLE PRECISION,

    CONSTRAINT "MachineStructure_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MetricResult" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "runId" TEXT,
    "referenceStructureId" TEXT NOT NULL,
    "testStructureId" TEXT NOT NULL,
    "convention" TEXT NOT NULL,
    "values" JSONB NOT NULL,
    "nullReasons" JSONB NOT NULL DEFAULT '{}',
    "toleranceMm" DOUBLE PRECISION,
    "spacingMm" DOUBLE PRECISION[],
    "dims" INTEGER[],
    "codeVersion" TEXT NOT NULL,
    "referenceSha256" TEXT,
    "testSha256" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MetricResult_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Outcome" (
    "id" TEXT NOT NULL,
    "patientId" TEXT NOT NULL,
    "localFailure" BOOLEAN NOT NULL,
    "localFailureDays" DOUBLE PRECISION,
    "died" BOOLEAN NOT NULL,
    "deathDays" DOUBLE PRECISION,
    "lastFollowUpDays" DOUBLE PRECISION NOT NULL,
    "clinical" JSONB NOT NULL DEFAULT '{}',
    "source" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Outcome_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReviewDecision" (
    "id" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "runId" TEXT,
    "reviewerId" TEXT NOT NULL,
    "decision" "ReviewDecisionKind" NOT NULL,
    "comment" TEXT,
    "meeting" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ReviewDecision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" TEXT,
    "userEmail" TEXT,
    "role" "Role",
    "action" TEXT NOT NULL,
    "patientId" TEXT,
    "target" TEXT,
    "ip" TEXT,
    "userAgent" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CohortSummary" (
    "id" TEXT NOT NULL,
    "values" JSONB NOT NULL,
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "jobId" TEXT,

    CONSTRAINT "CohortSummary_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WorkerInstance" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "concurrency" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stoppedAt" TIMESTAMP(3),

    CONSTRAINT "WorkerInstance_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WorkerCheck" (
    "jobId" TEXT NOT NULL,
    "workerId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkerCheck_pkey" PRIMARY KEY ("jobId")
);

-- CreateIndex
CREATE UNIQUE INDEX "Institution_name_key" ON "Institution"("name");

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Patient_pseudonym_key" ON "Patient"("pseudonym");

-- CreateIndex
CREATE INDEX "Patient_institutionId_idx" ON "Patient"("institutionId");

-- CreateIndex
CREATE INDEX "PatientIdentity_mrn_idx" ON "PatientIdentity"("mrn");

-- CreateIndex
CREATE UNIQUE INDEX "Study_studyInstanceUid_key" ON "Study"("studyInstanceUid");

-- CreateIndex
CREATE UNIQUE INDEX "Study_contentHash_key" ON "Study"("contentHash");

-- CreateIndex
CREATE INDEX "Study_patientId_idx" ON "Study"("patientId");

-- CreateIndex
CREATE INDEX "Study_studyDate_idx" ON "Study"("studyDate");

-- CreateIndex
CREATE UNIQUE INDEX "ImageSeries_seriesInstanceUid_key" ON "ImageSeries"("seriesInstanceUid");

-- CreateIndex
CREATE INDEX "ImageSeries_studyId_idx" ON "ImageSeries"("studyId");

-- CreateIndex
CREATE INDEX "PhysicianStructure_studyId_idx" ON "PhysicianStructure"("studyId");

-- CreateIndex
CREATE UNIQUE INDEX "PhysicianStructure_seriesId_name_key" ON "PhysicianStructure"("seriesId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "ModelVersion_name_version_sha256_key" ON "ModelVersion"("name", "version", "sha256");

-- CreateIndex
CREATE INDEX "SegmentationRun_studyId_idx" ON "SegmentationRun"("studyId");

-- CreateIndex
CREATE INDEX "SegmentationRun_status_idx" ON "SegmentationRun"("status");

-- CreateIndex
CREATE UNIQUE INDEX "MachineStructure_runId_label_key" ON "MachineStructure"("runId", "label");

-- CreateIndex
CREATE INDEX "MetricResult_studyId_idx" ON "MetricResult"("studyId");

-- CreateIndex
CREATE UNIQUE INDEX "MetricResult_referenceStructureId_testStructureId_conventio_key" ON "MetricResult"("referenceStructureId", "testStructureId", "convention");

-- CreateIndex
CREATE UNIQUE INDEX "Outcome_patientId_key" ON "Outcome"("patientId");

-- CreateIndex
CREATE INDEX "ReviewDecision_studyId_idx" ON "ReviewDecision"("studyId");

-- CreateIndex
CREATE INDEX "AuditEvent_at_idx" ON "AuditEvent"("at");

-- CreateIndex
CREATE INDEX "AuditEvent_patientId_idx" ON "AuditEvent"("patientId");

-- CreateIndex
CREATE INDEX "AuditEvent_userId_idx" ON "AuditEvent"("userId");

-- AddForeignKey
ALTER TABLE "User" ADD CONSTRAINT "User_institutionId_fkey" FOREIGN KEY ("institutionId") REFERENCES "Institution"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Patient" ADD CONSTRAINT "Patient_institutionId_fkey" FOREIGN KEY ("institutionId") REFERENCES "Institution"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PatientIdentity" ADD CONSTRAINT "PatientIdentity_patientId_fkey" FOREIGN KEY ("patientId") REFERENCES "Patient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Study" ADD CONSTRAINT "Study_patientId_fkey" FOREIGN KEY ("patientId") REFERENCES "Patient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImageSeries" ADD CONSTRAINT "ImageSeries_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PhysicianStructure" ADD CONSTRAINT "PhysicianStructure_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PhysicianStructure" ADD CONSTRAINT "PhysicianStructure_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "ImageSeries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SegmentationRun" ADD CONSTRAINT "SegmentationRun_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SegmentationRun" ADD CONSTRAINT "SegmentationRun_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MachineStructure" ADD CONSTRAINT "MachineStructure_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SegmentationRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MachineStructure" ADD CONSTRAINT "MachineStructure_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "ImageSeries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricResult" ADD CONSTRAINT "MetricResult_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricResult" ADD CONSTRAINT "MetricResult_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SegmentationRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricResult" ADD CONSTRAINT "MetricResult_referenceStructureId_fkey" FOREIGN KEY ("referenceStructureId") REFERENCES "PhysicianStructure"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricResult" ADD CONSTRAINT "MetricResult_testStructureId_fkey" FOREIGN KEY ("testStructureId") REFERENCES "MachineStructure"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Outcome" ADD CONSTRAINT "Outcome_patientId_fkey" FOREIGN KEY ("patientId") REFERENCES "Patient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewDecision" ADD CONSTRAINT "ReviewDecision_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReviewDecision" ADD CONSTRAINT "ReviewDecision_reviewerId_fkey" FOREIGN KEY ("reviewerId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

