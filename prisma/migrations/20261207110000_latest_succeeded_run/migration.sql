-- The review queue at 50,000 studies (issue #19, docs/architecture.md "Review meeting"): each
-- study's latest succeeded segmentation run (finished last, then queued last, then id: the order
-- loadReviewCases uses), its patient's pseudonym and the three numbers the queue ranks by, as
-- sort keys (ascending = more discordant first, missing last: the ITV Dice, minus the ITV FP cc,
-- minus the largest FP distance, normalised as keyNumbersFromSummary does: no FP at all is 0 mm;
-- all null without a summary row), kept by triggers on SegmentationRun, RunSummary, Study and
-- Patient instead of found by DISTINCT ON over every run per request. One index per criterion
-- lets a page be read in order (LIMIT) instead of sorting every study. A study without a
-- succeeded run has no row.

-- CreateTable
CREATE TABLE "LatestSucceededRun" (
    "studyId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "pseudonym" TEXT NOT NULL,
    "lowDiceKey" DOUBLE PRECISION,
    "largeFpKey" DOUBLE PRECISION,
    "distantFpKey" DOUBLE PRECISION,

    CONSTRAINT "LatestSucceededRun_pkey" PRIMARY KEY ("studyId")
);

-- CreateIndex
CREATE UNIQUE INDEX "LatestSucceededRun_runId_key" ON "LatestSucceededRun"("runId");

-- CreateIndex
CREATE INDEX "LatestSucceededRun_lowDiceKey_largeFpKey_distantFpKey_idx" ON "LatestSucceededRun"("lowDiceKey", "largeFpKey", "distantFpKey");

-- CreateIndex
CREATE INDEX "LatestSucceededRun_largeFpKey_distantFpKey_lowDiceKey_idx" ON "LatestSucceededRun"("largeFpKey", "distantFpKey", "lowDiceKey");

-- CreateIndex
CREATE INDEX "LatestSucceededRun_distantFpKey_largeFpKey_lowDiceKey_idx" ON "LatestSucceededRun"("distantFpKey", "largeFpKey", "lowDiceKey");

-- AddForeignKey
ALTER TABLE "LatestSucceededRun" ADD CONSTRAINT "LatestSucceededRun_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LatestSucceededRun" ADD CONSTRAINT "LatestSucceededRun_runId_fkey" FOREIGN KEY ("runId") REFERENCES "SegmentationRun"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written from here.
-- Recomputes the rows of some studies from their runs. Refreshes of one study are serialised
-- (two runs of a study finishing at once must not each keep the one it saw): an advisory lock per
-- study, taken in id order; a refresh of more than 256 studies (bulk inserts) locks the table
-- against every other refresh instead, which also waits for it (ROW EXCLUSIVE below). Each
-- statement after the locks reads with a fresh snapshot (READ COMMITTED), so it sees the run the
-- other transaction committed.
CREATE FUNCTION "latest_succeeded_run_refresh"(ids text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE x text;
BEGIN
  ids := ARRAY(SELECT DISTINCT i FROM unnest(ids) i WHERE i IS NOT NULL ORDER BY i);
  IF cardinality(ids) = 0 THEN
    RETURN;
  END IF;
  IF cardinality(ids) > 256 THEN
    LOCK TABLE "LatestSucceededRun" IN SHARE ROW EXCLUSIVE MODE;
  ELSE
    LOCK TABLE "LatestSucceededRun" IN ROW EXCLUSIVE MODE;
    FOREACH x IN ARRAY ids LOOP
      PERFORM pg_advisory_xact_lock(hashtext('LatestSucceededRun'), hashtext(x));
    END LOOP;
  END IF;
  DELETE FROM "LatestSucceededRun" WHERE "studyId" = ANY(ids);
  INSERT INTO "LatestSucceededRun" ("studyId", "runId", "pseudonym", "lowDiceKey", "largeFpKey", "distantFpKey")
    SELECT DISTINCT ON (r."studyId") r."studyId", r.id, p.pseudonym, rs."itvDice", -rs."itvFpCc",
           -COALESCE(rs."itvMaxFpDistanceMm", CASE WHEN rs."itvFpCc" = 0 THEN 0 END)
    FROM "SegmentationRun" r JOIN "Study" s ON s.id = r."studyId" JOIN "Patient" p ON p.id = s."patientId"
    LEFT JOIN "RunSummary" rs ON rs."runId" = r.id
    WHERE r."studyId" = ANY(ids) AND r.status = 'SUCCEEDED'
    ORDER BY r."studyId", r."finishedAt" DESC NULLS LAST, r."queuedAt" DESC, r.id DESC;
END;
$$;

-- SegmentationRun: a succeeded run inserted or deleted, or a run whose status, finish or queue
-- time or study changed while it was (or became) succeeded. Statement triggers with transition
-- tables: a bulk insert refreshes its studies in one statement.
CREATE FUNCTION "latest_succeeded_run_on_run"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "latest_succeeded_run_refresh"(ARRAY(SELECT n."studyId" FROM new_rows n WHERE n.status = 'SUCCEEDED'));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "latest_succeeded_run_refresh"(ARRAY(SELECT o."studyId" FROM old_rows o WHERE o.status = 'SUCCEEDED'));
  ELSE
    PERFORM "latest_succeeded_run_refresh"(ARRAY(
      SELECT unnest(ARRAY[o."studyId", n."studyId"]) FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE (o.status = 'SUCCEEDED' OR n.status = 'SUCCEEDED')
        AND (o.status IS DISTINCT FROM n.status OR o."finishedAt" IS DISTINCT FROM n."finishedAt"
             OR o."queuedAt" IS DISTINCT FROM n."queuedAt" OR o."studyId" IS DISTINCT FROM n."studyId")));
  END IF;
  RETURN NULL;
END;
$$;

-- RunSummary: a summary of a study's latest succeeded run written, edited or deleted (a run's
-- summary deleted with the run is handled by the run's trigger).
CREATE FUNCTION "latest_succeeded_run_on_summary"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM "latest_succeeded_run_refresh"(ARRAY(SELECT r."studyId" FROM new_rows n JOIN "SegmentationRun" r ON r.id = n."runId" WHERE r.status = 'SUCCEEDED'));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM "latest_succeeded_run_refresh"(ARRAY(SELECT l."studyId" FROM old_rows o JOIN "LatestSucceededRun" l ON l."runId" = o."runId"));
  ELSE
    PERFORM "latest_succeeded_run_refresh"(ARRAY(
      SELECT r."studyId" FROM (SELECT "runId" FROM old_rows UNION SELECT "runId" FROM new_rows) x
      JOIN "SegmentationRun" r ON r.id = x."runId" WHERE r.status = 'SUCCEEDED'));
  END IF;
  RETURN NULL;
END;
$$;

-- Study moved to another patient, or a patient's pseudonym changed: the pseudonym kept with the row.
CREATE FUNCTION "latest_succeeded_run_on_study_or_patient"() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
  IF TG_TABLE_NAME = 'Study' THEN
    PERFORM "latest_succeeded_run_refresh"(ARRAY(
      SELECT n.id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o."patientId" IS DISTINCT FROM n."patientId"));
  ELSE
    PERFORM "latest_succeeded_run_refresh"(ARRAY(
      SELECT s.id FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN "Study" s ON s."patientId" = n.id
      WHERE o.pseudonym IS DISTINCT FROM n.pseudonym));
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "SegmentationRun_latest_succeeded_insert" AFTER INSERT ON "SegmentationRun"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "latest_succeeded_run_on_run"();
CREATE TRIGGER "SegmentationRun_latest_succeeded_update" AFTER UPDATE ON "SegmentationRun"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "latest_succeeded_run_on_run"();
CREATE TRIGGER "SegmentationRun_latest_succeeded_delete" AFTER DELETE ON "SegmentationRun"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "latest_succeeded_run_on_run"();
CREATE TRIGGER "RunSummary_latest_succeeded_insert" AFTER INSERT ON "RunSummary"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "latest_succeeded_run_on_summary"();
CREATE TRIGGER "RunSummary_latest_succeeded_update" AFTER UPDATE ON "RunSummary"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "latest_succeeded_run_on_summary"();
CREATE TRIGGER "RunSummary_latest_succeeded_delete" AFTER DELETE ON "RunSummary"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "latest_succeeded_run_on_summary"();

CREATE TRIGGER "Study_latest_succeeded_update" AFTER UPDATE ON "Study"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "latest_succeeded_run_on_study_or_patient"();
CREATE TRIGGER "Patient_latest_succeeded_update" AFTER UPDATE ON "Patient"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "latest_succeeded_run_on_study_or_patient"();

-- Backfill: every study's latest succeeded run now.
INSERT INTO "LatestSucceededRun" ("studyId", "runId", "pseudonym", "lowDiceKey", "largeFpKey", "distantFpKey")
  SELECT DISTINCT ON (r."studyId") r."studyId", r.id, p.pseudonym, rs."itvDice", -rs."itvFpCc",
         -COALESCE(rs."itvMaxFpDistanceMm", CASE WHEN rs."itvFpCc" = 0 THEN 0 END)
  FROM "SegmentationRun" r JOIN "Study" s ON s.id = r."studyId" JOIN "Patient" p ON p.id = s."patientId"
  LEFT JOIN "RunSummary" rs ON rs."runId" = r.id
  WHERE r.status = 'SUCCEEDED'
  ORDER BY r."studyId", r."finishedAt" DESC NULLS LAST, r."queuedAt" DESC, r.id DESC;
