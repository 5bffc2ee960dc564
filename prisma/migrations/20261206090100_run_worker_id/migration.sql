-- The worker that last claimed a segmentation run (issue 12: routing by model version, honest cancel).
-- AlterTable
ALTER TABLE "SegmentationRun" ADD COLUMN     "workerId" TEXT;
