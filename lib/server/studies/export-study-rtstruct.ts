/**
 * The machine contours of a study's latest succeeded run as a DICOM RT Structure Set that
 * references the source CT series (study, series and frame-of-reference UIDs, the patient's
 * name and ID) and each contour's CT image, so a planning system can load it next to the CT
 * (built by lib/server/dicom-send/build-run-rtstruct.ts, the same file the DICOM sender sends).
 * It carries identifiers and real UIDs: physicists only, and every export is audited
 * ('study.export.rtstruct').
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import type { VolumeStore } from '../storage/volume-store';
import { buildRunRtStruct } from '../dicom-send/build-run-rtstruct';

/**
 * @param phaseIndex the 4D CT phase whose series the file references (default: the first
 *   phase); the file holds that phase's machine GTV and the machine ITV.
 * @throws AppError FORBIDDEN (not a physicist), NOT_FOUND (no study, no succeeded run, no such
 *   phase), INVALID_INPUT (the series has no frame of reference).
 */
export async function exportStudyRtStruct(
  db: Db,
  store: VolumeStore,
  { caller, studyId, phaseIndex }: { caller: Caller | null; studyId: string; phaseIndex?: number | null },
): Promise<{ bytes: Uint8Array; fileName: string }> {
  const who = authorize(caller, 'identifiers:view');
  const study = await db.study.findUnique({ where: { id: studyId }, select: { id: true } });
  if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
  const run = await db.segmentationRun.findFirst({
    where: { studyId, status: 'SUCCEEDED' },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: { id: true },
  });
  if (!run) throw new AppError('NOT_FOUND', `Study ${studyId} has no finished segmentation run yet: wait for it, then export.`);
  const written = await buildRunRtStruct(db, store, { runId: run.id, phaseIndex });
  await recordAuditEvent(db, {
    action: 'study.export.rtstruct',
    caller: who,
    patientId: written.patientId,
    target: `study:${studyId}`,
    details: {
      runId: run.id,
      seriesInstanceUid: written.seriesInstanceUid,
      sopInstanceUid: written.sopInstanceUid,
      structures: written.structures,
      imageReferences: written.imageReferences,
    },
  });
  return { bytes: written.bytes, fileName: written.fileName };
}
