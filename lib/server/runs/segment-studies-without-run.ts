/**
 * Admin action on the models page: queue a segmentation run, with one installed model, of every
 * study that has no run of that model version yet (failed or cancelled runs are retried one by
 * one from the jobs page instead). The model is chosen by folder name and looked up in
 * listModels(), never joined onto a path from the request. Each run is created through
 * createSegmentationRun (run row, job and audit event in one transaction; one active run per
 * study + model). One audit event records the whole request.
 * @throws AppError FORBIDDEN (not models:manage), INVALID_INPUT (no such model folder),
 *   CONFLICT (the folder's model file does not verify).
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { createSegmentationRun } from './create-segmentation-run';
import { registerModelVersion } from './register-model-version';
import { findInstalledModels } from '../models/find-model-folder';

export async function segmentStudiesWithoutRun(
  db: Db,
  boss: PgBoss,
  { caller, modelFolder, modelsRoot }: { caller: Caller; modelFolder: string; modelsRoot?: string },
): Promise<{ model: string; queued: number; studiesWithoutRun: number }> {
  authorize(caller, 'models:manage');
  const installed = await findInstalledModels({ modelsRoot });
  const listing = installed.find((m) => m.folder === modelFolder);
  if (!listing) {
    throw new AppError(
      'INVALID_INPUT',
      `No model folder "${String(modelFolder).slice(0, 80)}": choose one of ${installed.map((m) => m.folder).join(', ') || '(none installed)'}.`,
    );
  }
  if (!listing.verified) {
    throw new AppError(
      'CONFLICT',
      `Model "${listing.folder}" does not verify (${listing.problem?.code}): ${listing.problem?.message} Fix the model folder first.`,
    );
  }
  const model = await registerModelVersion(db, { modelDir: listing.dir });
  const studies = await db.study.findMany({ where: { runs: { none: { modelVersionId: model.id } } }, select: { id: true }, orderBy: { importedAt: 'asc' } });
  let queued = 0;
  for (const s of studies) {
    if ((await createSegmentationRun(db, boss, { caller, studyId: s.id, modelDir: listing.dir })).created) queued++;
  }
  await recordAuditEvent(db, {
    action: 'model.segment-all',
    caller,
    target: `model:${model.name}@${model.version}`,
    details: { sha256: model.sha256, queued },
  });
  return { model: `${model.name} ${model.version}`, queued, studiesWithoutRun: studies.length };
}
