-- Analysis snapshots (issue #16 item 2, docs/outcomes-snapshots.md): a frozen outcomes analysis,
-- stored once as the canonical JSON its sha256 (contentHash) and citable id (id) derive from.
-- CreateTable
CREATE TABLE "AnalysisSnapshot" (
    "id" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "codeVersion" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "rowCount" INTEGER NOT NULL,
    "createdById" TEXT,
    "createdByEmail" TEXT,
    "createdByRole" "Role",
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AnalysisSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AnalysisSnapshot_contentHash_key" ON "AnalysisSnapshot"("contentHash");

-- CreateIndex
CREATE INDEX "AnalysisSnapshot_createdAt_idx" ON "AnalysisSnapshot"("createdAt");

-- Hand-written: a snapshot is immutable once stored, whoever connects (the app role also lacks
-- UPDATE and DELETE on it, lib/server/startup/grant-app-role.ts).
CREATE OR REPLACE FUNCTION "analysis_snapshot_append_only"() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'AnalysisSnapshot is append-only: % is not allowed (a snapshot cannot be changed; freeze a new one)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "AnalysisSnapshot_no_update" BEFORE UPDATE ON "AnalysisSnapshot"
  FOR EACH ROW EXECUTE FUNCTION "analysis_snapshot_append_only"();
CREATE TRIGGER "AnalysisSnapshot_no_delete" BEFORE DELETE ON "AnalysisSnapshot"
  FOR EACH ROW EXECUTE FUNCTION "analysis_snapshot_append_only"();
CREATE TRIGGER "AnalysisSnapshot_no_truncate" BEFORE TRUNCATE ON "AnalysisSnapshot"
  FOR EACH STATEMENT EXECUTE FUNCTION "analysis_snapshot_append_only"();
