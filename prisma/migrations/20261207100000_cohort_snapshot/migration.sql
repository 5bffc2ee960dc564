-- The cohort page's first request after a start (issue #19, docs/architecture.md "Cohort page"):
-- the web process stores its kept cohort (the rows and phase values of every study, as the page
-- computed them at a data version) so that a new process reads it and applies the change log
-- since that version instead of reading the whole cohort. One row per kept view (which view:
-- identifiers or not, the filters); "sha256" is the hex digest of "data", checked on read.
-- CreateTable
CREATE TABLE "CohortSnapshot" (
    "key" TEXT NOT NULL,
    "version" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "data" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CohortSnapshot_pkey" PRIMARY KEY ("key")
);
