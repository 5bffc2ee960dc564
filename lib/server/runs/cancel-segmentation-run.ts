/**
 * Cancel a QUEUED or RUNNING segmentation run (the jobs page). The run row is set CANCELLED by
 * compare-and-set, which is what the worker watches: a running job stops at its next patch
 * (workers/tasks/segmentation-run.ts) and a queued one is skipped when taken. The pg-boss job is
 * cancelled too, so it is neither retried nor counted as queued. Audited.
 * @throws AppError NOT_FOUND (no such run), CONFLICT (the run has already ended).
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { QUEUES } from '../jobs/queues';
import { recordAuditEvent } from '../audit/record-audit-event';

export async function cancelSegmentationRun(db: Db, boss: PgBoss, { caller, runId }: { caller: Caller; runId: string }): Promise<{ runId: string; previousStatus: string }> {
  authorize(caller, 'jobs:enqueue');
  const run = await db.segmentationRun.findUnique({ where: { id: runId }, include: { study: { select: { patientId: true } } } });
  if (!run) throw new AppError('NOT_FOUND', `Segmentation run ${runId} does not exist.`);
  const changed = await db.segmentationRun.updateMany({
    where: { id: runId, status: { in: ['QUEUED', 'RUNNING'] } },
    data: { status: 'CANCELLED', finishedAt: new Date(), errorCode: 'CANCELLED', error: `Cancelled by ${caller.email}.` },
  });
  if (changed.count === 0) {
    const now = await db.segmentationRun.findUnique({ where: { id: runId }, select: { status: true } });
    throw new AppError('CONFLICT', `Run ${runId} is ${now?.status ?? 'gone'}: only a queued or running run can be cancelled.`);
  }
  if (run.jobId) {
    // The run row already says CANCELLED, which the worker obeys; the job is cancelled so that
    // pg-boss does not retry it. A job that already ended cannot be cancelled, which is fine.
    await boss.cancel(QUEUES.segmentationRun, run.jobId).catch((e: Error) => console.error(`[jobs] cancel job ${run.jobId}: ${e.message}`));
  }
  await recordAuditEvent(db, { action: 'run.cancelled', caller, patientId: run.study.patientId, target: `run:${runId}`, details: { previousStatus: run.status, jobId: run.jobId } });
  return { runId, previousStatus: run.status };
}
