-- The review queue at 50,000 studies (issue #19, docs/architecture.md "Review meeting"): each
-- study's latest succeeded segmentation run (finished last, then queued last, then id: the order
-- loadReviewCases uses) and the three numbers the queue ranks by, kept by triggers on
-- SegmentationRun and RunSummary instead of found by DISTINCT ON over every run per request.
-- A study without a succeeded run has no row. "maxFpDistanceMm" is normalised as
-- keyNumbersFromSummary does (no FP at all: 0 mm); "hasSummary" false: all three are null.

-- CreateTable
CREATE TABLE "LatestSucceededRun" (
    "studyId" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "hasSummary" BOOLEAN NOT NULL,
    "itvDice" DOUBLE PRECISION,
    "itvFpCc" DOUBLE PRECISION,
    "maxFpDistanceMm" DOUBLE PRECISION,

    CONSTRAINT "LatestSucceededRun_pkey" PRIMARY KEY ("studyId")
);

-- CreateIndex
CREATE UNIQUE INDEX "LatestSucceededRun_runId_key" ON "LatestSucceededRun"("runId");

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
  INSERT INTO "LatestSucceededRun" ("studyId", "runId", "hasSummary", "itvDice", "itvFpCc", "maxFpDistanceMm")
    SELECT DISTINCT ON (r."studyId") r."studyId", r.id, rs."runId" IS NOT NULL, rs."itvDice", rs."itvFpCc",
           COALESCE(rs."itvMaxFpDistanceMm", CASE WHEN rs."itvFpCc" = 0 THEN 0 END)
    FROM "SegmentationRun" r LEFT JOIN "RunSummary" rs ON rs."runId" = r.id
    WHERE r."studyId" = ANY(ids) AND r.status = 'SUCCEEDED'
      AND EXISTS (SELECT 1 FROM "Study" s WHERE s.id = r."studyId")
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

-- Backfill: every study's latest succeeded run now.
INSERT INTO "LatestSucceededRun" ("studyId", "runId", "hasSummary", "itvDice", "itvFpCc", "maxFpDistanceMm")
  SELECT DISTINCT ON (r."studyId") r."studyId", r.id, rs."runId" IS NOT NULL, rs."itvDice", rs."itvFpCc",
         COALESCE(rs."itvMaxFpDistanceMm", CASE WHEN rs."itvFpCc" = 0 THEN 0 END)
  FROM "SegmentationRun" r LEFT JOIN "RunSummary" rs ON rs."runId" = r.id
  WHERE r.status = 'SUCCEEDED'
  ORDER BY r."studyId", r."finishedAt" DESC NULLS LAST, r."queuedAt" DESC, r.id DESC;
