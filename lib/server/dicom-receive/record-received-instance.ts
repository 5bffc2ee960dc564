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

/** Same rule as write-study.ts: HMAC of the PatientID (or the study UID) per institution. */
export async function pseudonymForReceived(db: Db, h: { patientId: string | null; institutionName: string | null; studyInstanceUid: string }): Promise<string> {
  const secret = await getPseudonymSecret(db);
  return pseudonymFor(secret, h.institutionName ?? 'Unassigned', h.patientId ?? `study:${h.studyInstanceUid}`);
}

export async function recordReceivedInstance(options: RecordReceivedInstanceOptions): Promise<void> {
  const { db, studyInstanceUid, callingAeTitle } = options;
  const pseudonym = await pseudonymForReceived(db, options);
  const now = new Date();
  const added = options.replaced ? 0 : 1;
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
