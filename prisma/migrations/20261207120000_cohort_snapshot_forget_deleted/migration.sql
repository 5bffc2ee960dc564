-- A deleted study must not live on in the stored cohort (docs/architecture.md "Cohort page",
-- docs/security.md "Pseudonyms and dates"): deleting studies drops every CohortSnapshot in the
-- same transaction. The web process stores a new one after the next view; until then a restart
-- reads the whole cohort.
CREATE FUNCTION cohort_snapshot_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "CohortSnapshot";
  RETURN NULL;
END;
$$;

CREATE TRIGGER study_delete_forgets_cohort_snapshot
  AFTER DELETE ON "Study"
  FOR EACH STATEMENT EXECUTE FUNCTION cohort_snapshot_forget();
