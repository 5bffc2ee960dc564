-- QA flag thresholds as admin-set, append-only versions (lib/core/flags, docs/flags.md). The
-- latest FlagRuleSet is the current one; saving one recomputes every RunSummary's flags
-- (lib/server/flags/apply-flag-rules.ts), and start-up does the same for summaries whose stored
-- thresholds differ from it (those written before this migration included).
-- "Low Dice" now means the ITV Dice; a low phase GTV Dice is its own flag, LOW_PHASE_DICE.
ALTER TYPE "RunFlag" ADD VALUE 'LOW_PHASE_DICE' AFTER 'LOW_DICE';

-- The phase GTV Dice threshold the flags used (0.5 was the old single Dice threshold).
ALTER TABLE "RunSummary" ADD COLUMN "phaseDiceThreshold" DOUBLE PRECISION NOT NULL DEFAULT 0.5;

-- CreateTable
CREATE TABLE "FlagRuleSet" (
    "version" INTEGER NOT NULL,
    "thresholds" JSONB NOT NULL,
    "createdById" TEXT,
    "createdByEmail" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "note" TEXT,

    CONSTRAINT "FlagRuleSet_pkey" PRIMARY KEY ("version")
);
