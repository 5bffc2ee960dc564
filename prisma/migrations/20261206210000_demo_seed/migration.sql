-- The first-run demo cohort is seeded in the background while the web server answers
-- (lib/server/seed/run-demo-seed.ts); this row holds its progress for the cohort page and lets a
-- restart resume an interrupted seed.
-- CreateTable
CREATE TABLE "DemoSeed" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT NOT NULL,
    "patients" INTEGER NOT NULL,
    "imported" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "error" TEXT,

    CONSTRAINT "DemoSeed_pkey" PRIMARY KEY ("id")
);
