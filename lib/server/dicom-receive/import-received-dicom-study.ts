/**
 * Import one received study from its spool folder through the same import as uploads
 * (importStudyAndQueue: atomic, idempotent, merges later RTSTRUCTs, reports conflicts, queues the
 * segmentation run). The files present when the import starts are imported; on success exactly
 * those are removed from the spool (and the folder when empty), the row becomes IMPORTED with the
 * study id and findings. Files that arrived during the import stay and the row goes back to
 * RECEIVING (they are imported, merged, when quiet). On failure the spool is kept and the row is
 * FAILED with the error (named by toAppError); "import now" or a new receipt tries again.
 *
 * CT volumes prepared before the import (prepare-received-series.ts: decoded and stored once their
 * series stopped growing) are taken from the volume store instead of being decoded again, when
 * their slice files are exactly the ones imported; with `preparer` (the node's), a series still
 * being prepared is waited for. The study's records of prepared volumes go after a success.
 *
 * The import acts as a physicist named `dicom:<calling AE title>` in the audit log, as the CLI
 * acts as `cli:<user>`.
 */
import { rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import type { Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { toAppError } from '../errors';
import { volumeStore, type VolumeStore } from '../storage/volume-store';
import { importStudyAndQueue } from '../studies/import-study-and-queue';
import { listSpoolStudies } from '@/lib/dicom/net/spool-file';
import { preparedDirOf, preparedVolumeLookup, removePreparedRecords } from './prepare-received-series';
import type { ReceivedSeriesPreparer } from './received-series-preparer';

export interface ImportReceivedDicomStudyOptions {
  db: Db;
  spoolDir: string;
  studyInstanceUid: string;
  boss: PgBoss | (() => Promise<PgBoss>) | null;
  store?: VolumeStore;
  modelsRoot?: string;
  log?: (line: string) => void;
  /** The node's early preparation: the import waits for a series of this study being prepared. */
  preparer?: Pick<ReceivedSeriesPreparer, 'whenSettled' | 'forgetFiles'>;
}

export type ImportReceivedDicomStudyResult =
  | {
      state: 'IMPORTED';
      studyId: string;
      alreadyImported: boolean;
      files: number;
      moreArrived: boolean;
      /** CT volumes taken from the early preparation instead of decoded by the import. */
      preparedVolumesUsed: number;
    }
  | { state: 'FAILED'; error: string }
  | { state: 'SKIPPED'; reason: string };

export async function importReceivedDicomStudy(options: ImportReceivedDicomStudyOptions): Promise<ImportReceivedDicomStudyResult> {
  const { db, spoolDir, studyInstanceUid } = options;
  const say = options.log ?? (() => undefined);
  const startedAt = new Date();
  // Claim the row (RECEIVING or FAILED → IMPORTING); another claimant gets count 0.
  const claimed = await db.dicomReceivedStudy.updateMany({
    where: { studyInstanceUid, state: { in: ['RECEIVING', 'FAILED'] } },
    data: { state: 'IMPORTING', importStartedAt: startedAt, error: null },
  });
  if (claimed.count === 0) return { state: 'SKIPPED', reason: 'not waiting for import' };
  const row = await db.dicomReceivedStudy.findUniqueOrThrow({ where: { studyInstanceUid } });
  const folder = (await listSpoolStudies(spoolDir)).find((f) => f.studyUid === studyInstanceUid);
  const files = folder?.files ?? [];
  if (files.length === 0) {
    const error = `The spool folder ${path.join(spoolDir, studyInstanceUid)} has no files: nothing to import (send the study again).`;
    await db.dicomReceivedStudy.update({ where: { id: row.id }, data: { state: 'FAILED', error, importRequestedAt: null } });
    return { state: 'FAILED', error };
  }
  const caller: Caller = {
    userId: `dicom:${row.callingAeTitle}`,
    email: `dicom:${row.callingAeTitle}`,
    name: `DICOM from ${row.callingAeTitle}`,
    role: 'PHYSICIST',
    userAgent: 'iseg-qa dicom-node',
  };
  say(`importing received study ${row.id} (${files.length} file(s) from ${row.callingAeTitle})`);
  // When each import stage ran, for the log (where a long import spends its time): its first and
  // last progress event, in s from the start (loading and rasterising overlap).
  const importStart = performance.now();
  const stages = new Map<string, [number, number]>();
  const onProgress = (p: { stage: string }) => {
    const at = (performance.now() - importStart) / 1000;
    const span = stages.get(p.stage);
    if (span) span[1] = at;
    else stages.set(p.stage, [at, at]);
  };
  const stageSummary = () => [...stages].map(([stage, [a, b]]) => `${stage} ${a.toFixed(1)}–${b.toFixed(1)} s`).join(', ');
  const store = options.store ?? volumeStore();
  const preparer = options.preparer;
  const preparedVolumes = preparedVolumeLookup({
    dir: preparedDirOf(spoolDir, studyInstanceUid),
    store,
    ...(preparer ? { whenSettled: () => preparer.whenSettled(studyInstanceUid) } : {}),
  });
  try {
    const r = await importStudyAndQueue({
      onProgress,
      preparedVolumes,
      db,
      boss: options.boss,
      caller,
      files,
      label: `received study ${row.id} (from ${row.callingAeTitle})`,
      store,
      ...(options.modelsRoot ? { modelsRoot: options.modelsRoot } : {}),
    });
    // Many at a time: one by one, a thousand removals took seconds on a loaded machine.
    for (let i = 0; i < files.length; i += 64) await Promise.all(files.slice(i, i + 64).map((f) => rm(f, { force: true })));
    await rmdir(path.join(spoolDir, studyInstanceUid)).catch(() => undefined);
    await removePreparedRecords(spoolDir, studyInstanceUid);
    preparer?.forgetFiles(studyInstanceUid, files);
    const after = await db.dicomReceivedStudy.findUniqueOrThrow({ where: { id: row.id } });
    const moreArrived = after.lastReceivedAt > startedAt;
    const left = (await listSpoolStudies(spoolDir)).find((f) => f.studyUid === studyInstanceUid)?.files.length ?? 0;
    await db.dicomReceivedStudy.update({
      where: { id: row.id },
      data: {
        state: moreArrived && left > 0 ? 'RECEIVING' : 'IMPORTED',
        importedAt: new Date(),
        studyId: r.studyId,
        findings: r.findings as unknown as object,
        instanceCount: left,
        importRequestedAt: null,
        importRequestedBy: null,
        error: null,
        patientPseudonym: r.pseudonym,
      },
    });
    const seg = r.segmentation
      ? r.segmentation.queued
        ? `; segmentation run ${r.segmentation.runId} queued`
        : `; not segmented: ${r.segmentation.reason}`
      : '';
    say(
      `received study ${row.id}: ${r.alreadyImported ? 'already imported' : r.merged ? 'merged into' : 'imported as'} study ${r.studyId} (${files.length} file(s), ${r.findings.length} finding(s); ${stageSummary()}; ${preparedVolumes.used()} CT volume(s) prepared before the import)${seg}`,
    );
    return {
      state: 'IMPORTED',
      studyId: r.studyId,
      alreadyImported: r.alreadyImported,
      files: files.length,
      moreArrived,
      preparedVolumesUsed: preparedVolumes.used(),
    };
  } catch (e) {
    const mapped = toAppError(e, {});
    const error = `${mapped.code}: ${mapped.message}`;
    say(`received study ${row.id} not imported (the spool folder is kept): ${error}`);
    await db.dicomReceivedStudy
      .update({ where: { id: row.id }, data: { state: 'FAILED', error, importRequestedAt: null, importRequestedBy: null } })
      .catch(() => undefined);
    return { state: 'FAILED', error };
  }
}
