-- The cohort page after a change (issue #19, docs/architecture.md "Cohort page"): the web process
-- keeps the computed cohort per data version (20261207040000_cohort_scale); this records which
-- studies each version changed, so that it can apply only those studies instead of computing the
-- whole cohort again. The same deferred triggers that bump CohortDataVersion write the log, with
-- the version their transaction committed as.
-- AlterTable
ALTER TABLE "CohortDataVersion" ADD COLUMN     "changesFrom" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "CohortChange" (
    "version" BIGINT NOT NULL,
    "studyId" TEXT NOT NULL,

    CONSTRAINT "CohortChange_pkey" PRIMARY KEY ("version","studyId")
);

-- Hand-written from here.
-- Versions up to the current one were not logged: a process holding an older cohort computes it again.
UPDATE "CohortDataVersion" SET "changesFrom" = "version";

-- The version this transaction commits as: bumped on the first call in a transaction (the row
-- lock on the version row is then held until commit, so versions commit in their order and a
-- reader that sees version v sees every change logged up to v). Every 1,000 versions, the log
-- keeps the last 10,000 and says so in "changesFrom" (changes of versions after it are complete).
CREATE OR REPLACE FUNCTION "cohort_version_now"() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE v bigint;
BEGIN
  IF current_setting('iseg.cohort_bumped', true) IS DISTINCT FROM txid_current()::text THEN
    INSERT INTO "CohortDataVersion" ("id", "version") VALUES (1, 1)
      ON CONFLICT ("id") DO UPDATE SET "version" = "CohortDataVersion"."version" + 1
      RETURNING "version" INTO v;
    PERFORM set_config('iseg.cohort_bumped', txid_current()::text, true);
    PERFORM set_config('iseg.cohort_version', v::text, true);
    IF v % 1000 = 0 THEN
      DELETE FROM "CohortChange" WHERE "version" <= v - 10000;
      UPDATE "CohortDataVersion" SET "changesFrom" = GREATEST("changesFrom", v - 10000) WHERE id = 1;
    END IF;
    RETURN v;
  END IF;
  RETURN current_setting('iseg.cohort_version')::bigint;
END;
$$;

-- One row trigger for every table the cohort page reads: bumps the version and logs the studies
-- the row belongs to, before and after the change. TG_ARGV[0] says how a row names its study:
-- 'study:<column>' (the column is a study id), 'run:<column>' (a run id), 'patient:<column>'
-- (a patient id: all the patient's studies), 'all-on-update' (an update may change any study:
-- logged as '*', the whole cohort; an insert or delete changes no study by itself). TRUNCATE
-- logs '*'. Runs that no longer exist at commit (deleted with their study) name no study; the
-- study's or the run's own row logs it.
CREATE OR REPLACE FUNCTION "cohort_data_changed"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  v bigint := "cohort_version_now"();
  how text := COALESCE(TG_ARGV[0], 'all');
  kind text := split_part(how, ':', 1);
  col text := split_part(how, ':', 2);
  keys text[];
  ids text[];
BEGIN
  IF TG_LEVEL = 'STATEMENT' OR kind = 'all' THEN
    ids := ARRAY['*'];
  ELSIF kind = 'all-on-update' THEN
    ids := CASE WHEN TG_OP = 'UPDATE' THEN ARRAY['*'] ELSE ARRAY[]::text[] END;
  ELSE
    keys := ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) ->> col END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) ->> col END];
    IF kind = 'study' THEN
      ids := keys;
    ELSIF kind = 'run' THEN
      SELECT array_agg(r."studyId") INTO ids FROM "SegmentationRun" r WHERE r.id = ANY(keys);
    ELSIF kind = 'patient' THEN
      SELECT array_agg(s.id) INTO ids FROM "Study" s WHERE s."patientId" = ANY(keys);
    ELSE
      ids := ARRAY['*'];
    END IF;
  END IF;
  INSERT INTO "CohortChange" ("version", "studyId")
    SELECT DISTINCT v, x FROM unnest(ids) x WHERE x IS NOT NULL
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END;
$$;

DO $$
DECLARE t text[];
BEGIN
  FOREACH t SLICE 1 IN ARRAY ARRAY[
    ['Study', 'study:id'], ['Patient', 'patient:id'], ['PatientIdentity', 'patient:patientId'],
    ['Institution', 'all-on-update'], ['ModelVersion', 'all-on-update'], ['RunSummary', 'run:runId'],
    ['RunPhaseSummary', 'run:runId'], ['DoseGrid', 'study:studyId'], ['DoseMetricResult', 'study:studyId']]
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', t[1] || '_cohort_version', t[1]);
    EXECUTE format('CREATE CONSTRAINT TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "cohort_data_changed"(%L)', t[1] || '_cohort_version', t[1], t[2]);
  END LOOP;
END $$;

DROP TRIGGER "SegmentationRun_cohort_version" ON "SegmentationRun";
CREATE CONSTRAINT TRIGGER "SegmentationRun_cohort_version" AFTER INSERT OR DELETE ON "SegmentationRun"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "cohort_data_changed"('study:studyId');
DROP TRIGGER "SegmentationRun_cohort_version_update" ON "SegmentationRun";
CREATE CONSTRAINT TRIGGER "SegmentationRun_cohort_version_update" AFTER UPDATE ON "SegmentationRun"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."finishedAt" IS DISTINCT FROM NEW."finishedAt"
        OR OLD."queuedAt" IS DISTINCT FROM NEW."queuedAt" OR OLD."modelVersionId" IS DISTINCT FROM NEW."modelVersionId"
        OR OLD."error" IS DISTINCT FROM NEW."error" OR OLD."studyId" IS DISTINCT FROM NEW."studyId")
  EXECUTE FUNCTION "cohort_data_changed"('study:studyId');
-- The TRUNCATE triggers (statement level) call the same function without an argument: '*'.
