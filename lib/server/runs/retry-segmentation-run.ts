/**
 * Retry a FAILED or CANCELLED run (the jobs page): a fresh run of the same study with the same
 * model version, through createSegmentationRun, whose advisory lock and active-run check mean a
 * retry never starts a second concurrent run of one study + model (a run already queued or
 * running is returned instead). The old run stays as history. Audited. A run still shown as
 * queued or running whose job has ended (stranded, see sweep-stranded-runs.ts) is first marked
 * FAILED with its reason, so it can be retried at once rather than after the next sweep.
 * @throws AppError NOT_FOUND; CONFLICT when the run has not ended in failure or cancellation,
 *   or when its model version is no longer installed with a file matching its sha256.
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { findModelFolderForVersion } from '../models/find-model-folder';
import { createSegmentationRun, RUN_PRIORITY } from './create-segmentation-run';
import { sweepStrandedRuns } from './sweep-stranded-runs';

export async function retrySegmentationRun(
  db: Db,
  boss: PgBoss,
  { caller, runId, modelsRoot }: { caller: Caller; runId: string; modelsRoot?: string },
): Promise<{ runId: string; previousRunId: string; reused: boolean }> {
  authorize(caller, 'jobs:enqueue');
  const find = () => db.segmentationRun.findUnique({ where: { id: runId }, include: { modelVersion: true, study: { select: { patientId: true } } } });
  let run = await find();
  if (run && (run.status === 'QUEUED' || run.status === 'RUNNING') && (await sweepStrandedRuns(db, { runIds: [runId] })).length > 0) run = await find();
  if (!run) throw new AppError('NOT_FOUND', `Segmentation run ${runId} does not exist.`);
  if (run.status !== 'FAILED' && run.status !== 'CANCELLED') {
    throw new AppError('CONFLICT', `Run ${runId} is ${run.status}: only a failed or cancelled run can be retried.`);
  }
  const mv = run.modelVersion;
  const folder = await findModelFolderForVersion(mv, { modelsRoot });
  if (!folder) {
    throw new AppError(
      'CONFLICT',
      `Model ${mv.name} ${mv.version} (sha256 ${mv.sha256.slice(0, 12)}…) is not installed with a matching file any more: fix or reinstall models/${mv.name} (the models page shows why it does not verify), then retry.`,
    );
  }
  const created = await createSegmentationRun(db, boss, { caller, studyId: run.studyId, modelDir: folder.dir, priority: RUN_PRIORITY.interactive });
  const reused = !created.created;
  await recordAuditEvent(db, {
    action: 'run.retried',
    caller,
    patientId: run.study.patientId,
    target: `run:${created.runId}`,
    details: { previousRunId: runId, previousStatus: run.status, previousError: run.errorCode, reusedActiveRun: reused },
  });
  return { runId: created.runId, previousRunId: runId, reused };
}
