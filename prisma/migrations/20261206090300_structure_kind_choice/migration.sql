-- A physicist's choice of the reference structure in the study viewer (issue 12: studies whose
-- ROIs are not named GTV/ITV): when and by whom a physician structure's kind was set by hand.
-- AlterTable
ALTER TABLE "PhysicianStructure" ADD COLUMN     "kindChosenAt" TIMESTAMP(3),
ADD COLUMN     "kindChosenBy" TEXT;
