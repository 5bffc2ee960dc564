-- Hand-written: a hash chain over the audit log (docs/security.md, "Audit integrity").
-- Each row stores hash = sha256(prevHash || canonical content of the row) and prevHash = the
-- previous row's hash (64 zeros for the first row), computed here in the database by a BEFORE
-- INSERT trigger owned by the migration (owner) role, so the app cannot write a row outside the
-- chain. Inserts are serialised by a transaction-level advisory lock, and the trigger assigns the
-- row's id after taking it, so id order is chain order even with concurrent writers.
-- Together with the app's database role (no ownership, only INSERT and SELECT on "AuditEvent",
-- lib/server/db/grant-app-role.ts), a changed or removed row is detected by
-- lib/server/audit/verify-audit-chain.ts (iseg-qa doctor, /admin/audit).

ALTER TABLE "AuditEvent" ADD COLUMN "prevHash" TEXT, ADD COLUMN "hash" TEXT;

-- The canonical content: every column but the chain's own, as a JSON array (jsonb's text form
-- is deterministic; timestamps in JSON are ISO 8601 whatever DateStyle says).
CREATE FUNCTION "audit_event_hash"(prev TEXT, e "AuditEvent") RETURNS TEXT
  LANGUAGE sql STABLE
  SET search_path = public, pg_temp
  AS $$
    SELECT encode(sha256(convert_to(
      prev || jsonb_build_array(e.id, e.at, e."userId", e."userEmail", e.role, e.action, e."patientId", e.target, e.ip, e."userAgent", e.details)::text,
      'UTF8')), 'hex')
  $$;

CREATE FUNCTION "audit_event_chain"() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
  AS $$
DECLARE
  prev TEXT;
BEGIN
  -- The previous row must be visible: a REPEATABLE READ snapshot could miss one committed while
  -- this transaction waited for the lock, and fork the chain. Refuse rather than fork.
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'AuditEvent rows must be written in a READ COMMITTED transaction (this one is %): the hash chain needs the latest row', current_setting('transaction_isolation')
      USING ERRCODE = 'serialization_failure';
  END IF;
  PERFORM pg_advisory_xact_lock(7324118030);
  NEW.id := nextval('"AuditEvent_id_seq"');
  SELECT a.hash INTO prev FROM "AuditEvent" a ORDER BY a.id DESC LIMIT 1;
  NEW."prevHash" := COALESCE(prev, repeat('0', 64));
  NEW.hash := "audit_event_hash"(NEW."prevHash", NEW);
  RETURN NEW;
END;
$$;

CREATE TRIGGER "AuditEvent_chain" BEFORE INSERT ON "AuditEvent"
  FOR EACH ROW EXECUTE FUNCTION "audit_event_chain"();

-- Backfill the chain over the rows already there, in id order (the update trigger is lifted for
-- this one statement of the migration only; the migration runs as the table's owner).
ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_no_update";
DO $$
DECLARE
  r "AuditEvent";
  prev TEXT := repeat('0', 64);
  h TEXT;
BEGIN
  FOR r IN SELECT * FROM "AuditEvent" ORDER BY id LOOP
    h := "audit_event_hash"(prev, r);
    UPDATE "AuditEvent" SET "prevHash" = prev, hash = h WHERE id = r.id;
    prev := h;
  END LOOP;
END;
$$;
ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_no_update";
