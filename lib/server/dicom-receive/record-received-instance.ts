/**
 * Record one instance the listener has put in the spool: the received study's row
 * (DicomReceivedStudy: counts, modalities, last receipt, the patient's pseudonym, back to
 * RECEIVING if it had been imported or had failed) and the association's count.
 * Called by the listener process after the file is on disk and before it answers Success.
 */
import type { Db } from '../db/client';
import { getPseudonymSecret } from '../deid/get-pseudonym-secret';
import { isUniqueViolation, pseudonymFor } from '../studies/write-study';

export interface RecordReceivedInstanceOptions {
  db: Db;
  associationId: string;
  callingAeTitle: string;
  studyInstanceUid: string;
  modality: string | null;
  patientId: string | null;
  institutionName: string | null;
  /** A file of this SOP Instance UID was in the spool already. */
  replaced: boolean;
}

/**
 * The pseudonym secret per database client: it is created once per install and never changes, and
 * the listener needs it for every instance (one query fewer per C-STORE).
 */
const secrets = new WeakMap<Db, Promise<string>>();

/** Same rule as write-study.ts: HMAC of the PatientID (or the study UID) per institution. */
export async function pseudonymForReceived(db: Db, h: { patientId: string | null; institutionName: string | null; studyInstanceUid: string }): Promise<string> {
  let secret = secrets.get(db);
  if (!secret) {
    secret = getPseudonymSecret(db);
    secrets.set(db, secret);
    // A failed read is not kept: the next instance asks again.
    secret.catch(() => secrets.delete(db));
  }
  return pseudonymFor(await secret, h.institutionName ?? 'Unassigned', h.patientId ?? `study:${h.studyInstanceUid}`);
}

export async function recordReceivedInstance(options: RecordReceivedInstanceOptions): Promise<void> {
  const { db, studyInstanceUid, callingAeTitle } = options;
  const pseudonym = await pseudonymForReceived(db, options);
  const now = new Date();
  const added = options.replaced ? 0 : 1;
  // The usual case, the study's row exists: one statement (one round trip to the database per
  // C-STORE, instead of a transaction of five; the listener answers each instance only after it).
  // Same effect as write()'s update path, and the modalities are merged in the row itself, so
  // two associations sending to one study at once cannot lose one's modality.
  if ((await updateExisting()) > 0) return;
  // The spool scan (sync-dicom-spool.ts) may create the row between our read and our create:
  // the unique violation is answered by running the update path once more.
  for (let attempt = 0; ; attempt++) {
    try {
      await write();
      return;
    } catch (e) {
      if (attempt > 0 || !isUniqueViolation(e)) throw e;
    }
  }

  async function updateExisting(): Promise<number> {
    const modality = options.modality ? [options.modality] : [];
    const rows = await db.$queryRaw<{ n: number }[]>`
      WITH s AS (
        UPDATE "DicomReceivedStudy" SET
          "callingAeTitle" = ${callingAeTitle},
          "patientPseudonym" = COALESCE("patientPseudonym", ${pseudonym}),
          "instanceCount" = "instanceCount" + ${added}::int,
          "instancesReceived" = "instancesReceived" + 1,
          "modalities" = ARRAY(SELECT DISTINCT m COLLATE "C" FROM unnest("modalities" || ${modality}::text[]) AS m ORDER BY 1),
          "lastReceivedAt" = (${now.toISOString()}::timestamptz AT TIME ZONE 'UTC'),
          "state" = CASE WHEN "state" = 'IMPORTING' THEN 'IMPORTING'::"DicomReceivedStudyState" ELSE 'RECEIVING'::"DicomReceivedStudyState" END,
          "error" = CASE WHEN "state" = 'FAILED' THEN NULL ELSE "error" END
        WHERE "studyInstanceUid" = ${studyInstanceUid}
        RETURNING 1
      ), a AS (
        UPDATE "DicomAssociation" SET "instancesReceived" = "instancesReceived" + 1
        WHERE "id" = ${options.associationId} AND EXISTS (SELECT 1 FROM s)
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM s)::int AS n, (SELECT count(*) FROM a)::int AS a`;
    return rows[0]?.n ?? 0;
  }

  async function write() {
    await db.$transaction(async (tx) => {
      const existing = await tx.dicomReceivedStudy.findUnique({ where: { studyInstanceUid } });
      const modality = options.modality ? [options.modality] : [];
      if (!existing) {
        await tx.dicomReceivedStudy.create({
          data: {
            studyInstanceUid,
            callingAeTitle,
            patientPseudonym: pseudonym,
            instanceCount: 1,
            instancesReceived: 1,
            modalities: modality,
            firstReceivedAt: now,
            lastReceivedAt: now,
          },
        });
      } else {
        const modalities = [...new Set([...existing.modalities, ...modality])].sort();
        // An imported (or failed) study that receives more goes back to RECEIVING: the new files are imported (merged) when quiet.
        const state = existing.state === 'IMPORTING' ? 'IMPORTING' : 'RECEIVING';
        await tx.dicomReceivedStudy.update({
          where: { studyInstanceUid },
          data: {
            callingAeTitle,
            patientPseudonym: existing.patientPseudonym ?? pseudonym,
            instanceCount: { increment: added },
            instancesReceived: { increment: 1 },
            modalities,
            lastReceivedAt: now,
            state,
            ...(existing.state === 'FAILED' ? { error: null } : {}),
          },
        });
      }
      await tx.dicomAssociation.update({ where: { id: options.associationId }, data: { instancesReceived: { increment: 1 } } });
    });
  }
}
