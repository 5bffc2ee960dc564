/**
 * Make the received-study rows agree with the spool folder (<data>/dicom-spool), so that nothing
 * received is lost when the listener died between receipt and import (kill -9, power loss after
 * the fsync) or when a receipt could not be recorded (database briefly down):
 *
 * - removes the temporary `.part` files of transfers that never finished (never answered Success);
 * - a spool folder without a row gets one (RECEIVING, counted from its files);
 * - a row left IMPORTING by a dead process goes back to RECEIVING (the import is atomic and
 *   idempotent, so importing again is safe);
 * - an IMPORTED row whose folder has files again (received after the import, or the process died
 *   between the import and the removal of the folder) goes back to RECEIVING;
 * - every RECEIVING row's instanceCount is the number of files in its folder;
 * - at start, records of prepared volumes (prepare-received-series.ts) of studies no longer in the
 *   spool are removed (left by a process killed between an import and their removal).
 *
 * Run by the listener process at start and every minute. @returns the studies picked up.
 */
import type { Db } from '../db/client';
import { listSpoolStudies, removeIncomingLeftovers } from '@/lib/dicom/net/spool-file';
import { readInstanceHeader } from '@/lib/dicom/net/read-instance-header';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { pseudonymForReceived } from './record-received-instance';
import { PREPARED_DIR, removePreparedRecords } from './prepare-received-series';

export interface SyncDicomSpoolResult {
  removedPartFiles: number;
  /** Study UIDs whose rows were created or set back to RECEIVING. */
  pickedUp: string[];
}

export async function syncDicomSpool(options: { db: Db; spoolDir: string; removePartFiles: boolean }): Promise<SyncDicomSpoolResult> {
  const { db, spoolDir } = options;
  const removed = options.removePartFiles ? await removeIncomingLeftovers(spoolDir) : [];
  const pickedUp: string[] = [];
  // Interrupted imports first (only a dead process leaves IMPORTING; the caller runs at start).
  if (options.removePartFiles) {
    const stuck = await db.dicomReceivedStudy.findMany({ where: { state: 'IMPORTING' }, select: { studyInstanceUid: true } });
    if (stuck.length) {
      await db.dicomReceivedStudy.updateMany({ where: { state: 'IMPORTING' }, data: { state: 'RECEIVING', importStartedAt: null } });
      pickedUp.push(...stuck.map((s) => s.studyInstanceUid));
    }
  }
  for (const folder of await listSpoolStudies(spoolDir)) {
    if (folder.files.length === 0) continue;
    const row = await db.dicomReceivedStudy.findUnique({ where: { studyInstanceUid: folder.studyUid } });
    if (!row) {
      const bytes = new Uint8Array(await readFile(folder.files[0]));
      const h = await readInstanceHeader({ bytes, complete: true }, folder.files[0]);
      const pseudonym = await pseudonymForReceived(db, {
        patientId: h.patientId ?? null,
        institutionName: h.institutionName ?? null,
        studyInstanceUid: folder.studyUid,
      });
      await db.dicomReceivedStudy.create({
        data: {
          studyInstanceUid: folder.studyUid,
          callingAeTitle: h.sourceAeTitle ?? '(unknown)',
          patientPseudonym: pseudonym,
          instanceCount: folder.files.length,
          instancesReceived: folder.files.length,
          modalities: h.modality ? [h.modality] : [],
        },
      });
      pickedUp.push(folder.studyUid);
    } else if (row.state === 'IMPORTED') {
      await db.dicomReceivedStudy.update({ where: { id: row.id }, data: { state: 'RECEIVING', instanceCount: folder.files.length } });
      pickedUp.push(folder.studyUid);
    } else if (row.state === 'RECEIVING' && row.instanceCount !== folder.files.length) {
      await db.dicomReceivedStudy.update({ where: { id: row.id }, data: { instanceCount: folder.files.length } });
    }
  }
  if (options.removePartFiles) {
    const inSpool = new Set((await listSpoolStudies(spoolDir)).filter((f) => f.files.length > 0).map((f) => f.studyUid));
    const prepared = await readdir(path.join(spoolDir, PREPARED_DIR)).catch(() => [] as string[]);
    for (const uid of prepared) if (!inSpool.has(uid)) await removePreparedRecords(spoolDir, uid);
  }
  return { removedPartFiles: removed.length, pickedUp: [...new Set(pickedUp)] };
}
