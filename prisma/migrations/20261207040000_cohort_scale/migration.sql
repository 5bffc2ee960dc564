-- The cohort page at 50,000 studies (issue #19, docs/architecture.md "Cohort page"): a data
-- version that triggers bump whenever a row the cohort page reads changes, so the web process can
-- keep the computed cohort (statistics, chart points, sorted case list) until it does. A worker's
-- heartbeat, progress or stage updates do not change it; a run's status, times, model or error do.
-- CreateTable
CREATE TABLE "CohortDataVersion" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "CohortDataVersion_pkey" PRIMARY KEY ("id")
);

-- Hand-written from here.
INSERT INTO "CohortDataVersion" ("id", "version") VALUES (1, 0);

-- Bumps the version once per transaction. Fired as a deferred constraint trigger (at commit), so
-- the row lock on the version row is taken last and held only for the commit: no transaction
-- waits for another row while holding it. SECURITY DEFINER: the app role writes the version row
-- through this function only. Upsert: a truncated version table starts again.
CREATE OR REPLACE FUNCTION "cohort_data_changed"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF current_setting('iseg.cohort_bumped', true) IS DISTINCT FROM txid_current()::text THEN
    PERFORM set_config('iseg.cohort_bumped', txid_current()::text, true);
    INSERT INTO "CohortDataVersion" ("id", "version") VALUES (1, 1)
      ON CONFLICT ("id") DO UPDATE SET "version" = "CohortDataVersion"."version" + 1;
  END IF;
  RETURN NULL;
END;
$$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['Study', 'Patient', 'PatientIdentity', 'Institution', 'ModelVersion', 'RunSummary', 'RunPhaseSummary', 'DoseGrid', 'DoseMetricResult']
  LOOP
    EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "cohort_data_changed"()', t || '_cohort_version', t);
    EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "cohort_data_changed"()', t || '_cohort_version_truncate', t);
  END LOOP;
END $$;

-- Runs: inserted or deleted, or a column the cohort page reads changed (not the heartbeat,
-- progress or stage a worker writes while it runs).
CREATE CONSTRAINT TRIGGER "SegmentationRun_cohort_version" AFTER INSERT OR DELETE ON "SegmentationRun"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "cohort_data_changed"();
CREATE CONSTRAINT TRIGGER "SegmentationRun_cohort_version_update" AFTER UPDATE ON "SegmentationRun"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."finishedAt" IS DISTINCT FROM NEW."finishedAt"
        OR OLD."queuedAt" IS DISTINCT FROM NEW."queuedAt" OR OLD."modelVersionId" IS DISTINCT FROM NEW."modelVersionId"
        OR OLD."error" IS DISTINCT FROM NEW."error" OR OLD."studyId" IS DISTINCT FROM NEW."studyId")
  EXECUTE FUNCTION "cohort_data_changed"();
CREATE TRIGGER "SegmentationRun_cohort_version_truncate" AFTER TRUNCATE ON "SegmentationRun"
  FOR EACH STATEMENT EXECUTE FUNCTION "cohort_data_changed"();
