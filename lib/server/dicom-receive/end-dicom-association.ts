/**
 * Record how an association ended. Released: the studies it sent are complete as far as the
 * sender is concerned (their `interrupted` mark is cleared). Timed out (silent for
 * ISEG_DICOM_IDLE_TIMEOUT_S, a hung peer, aborted by us): handled like released, so what arrived
 * is imported after the quiet time; a hung sender does not come back to finish it. Aborted (A-ABORT, or the connection
 * dropped, e.g. the sender was killed): the studies it sent are marked `interrupted` and are not
 * imported when quiet, because the rest may follow; a later association that sends to them and
 * is released clears the mark, and "import now" imports what arrived.
 * Called by the listener process.
 */
import type { Db } from '../db/client';

export async function endDicomAssociation(options: {
  db: Db;
  associationId: string;
  endState: 'RELEASED' | 'ABORTED' | 'TIMED_OUT';
  studyInstanceUids: readonly string[];
}): Promise<void> {
  const { db, associationId, endState, studyInstanceUids } = options;
  await db.$transaction([
    db.dicomAssociation.update({ where: { id: associationId }, data: { endedAt: new Date(), endState } }),
    db.dicomReceivedStudy.updateMany({ where: { studyInstanceUid: { in: [...studyInstanceUids] } }, data: { interrupted: endState === 'ABORTED' } }),
  ]);
}
