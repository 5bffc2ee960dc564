/**
 * Cancel a QUEUED or RUNNING segmentation run (the jobs page). The run row is set CANCELLED by
 * compare-and-set, which is what the worker watches: a running job stops at its next patch
 * (workers/tasks/segmentation-run.ts) and a queued one is skipped when taken. The pg-boss job is
 * cancelled too (in whichever queue holds it), so it is neither retried nor counted as queued.
 * Audited.
 *
 * Says who, if anyone, was running it: `runningOn` is the worker that claimed the run, while
 * the run's job is active and that worker has reported within RUNNING_WORKER_MS (it heartbeats
 * every 5 s); null when nobody runs it (queued, or its worker was killed and the job only waits
 * for pg-boss to notice), in which case the run is simply marked CANCELLED and nothing needs
 * stopping. Either way the run is CANCELLED; only what the caller is told differs.
 * @throws AppError NOT_FOUND (no such run), CONFLICT (the run has already ended).
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { findRunJobs } from '../jobs/find-run-jobs';
import { recordAuditEvent } from '../audit/record-audit-event';

/** A worker silent for this long (four missed 5 s heartbeats) is taken as not running anything (ms). */
export const RUNNING_WORKER_MS = 20_000;

export interface CancelResult {
  runId: string;
  previousStatus: string;
  runningOn: { id: string; host: string; pid: number } | null;
}

export async function cancelSegmentationRun(
  db: Db,
  boss: PgBoss,
  { caller, runId, now = new Date() }: { caller: Caller; runId: string; now?: Date },
): Promise<CancelResult> {
  authorize(caller, 'jobs:enqueue');
  const run = await db.segmentationRun.findUnique({ where: { id: runId }, include: { study: { select: { patientId: true } } } });
  if (!run) throw new AppError('NOT_FOUND', `Segmentation run ${runId} does not exist.`);
  const job = run.jobId ? (await findRunJobs(db, [run.jobId])).get(run.jobId) : undefined;
  const worker =
    run.status === 'RUNNING' && run.workerId && job?.state === 'active'
      ? await db.workerInstance.findFirst({ where: { id: run.workerId, stoppedAt: null, lastSeenAt: { gt: new Date(now.getTime() - RUNNING_WORKER_MS) } } })
      : null;
  const runningOn = worker ? { id: worker.id, host: worker.host, pid: worker.pid } : null;
  const nobody = run.status === 'RUNNING' && !runningOn ? ' No live worker was running it (its worker stopped reporting), so nothing needed stopping.' : '';
  const changed = await db.segmentationRun.updateMany({
    where: { id: runId, status: { in: ['QUEUED', 'RUNNING'] } },
    data: { status: 'CANCELLED', finishedAt: now, errorCode: 'CANCELLED', error: `Cancelled by ${caller.email}.${nobody}` },
  });
  if (changed.count === 0) {
    const current = await db.segmentationRun.findUnique({ where: { id: runId }, select: { status: true } });
    throw new AppError('CONFLICT', `Run ${runId} is ${current?.status ?? 'gone'}: only a queued or running run can be cancelled.`);
  }
  if (job) {
    // The run row already says CANCELLED, which the worker obeys; the job is cancelled so that
    // pg-boss does not retry it. A job that already ended cannot be cancelled, which is fine.
    await boss.cancel(job.queue, job.id).catch((e: Error) => console.error(`[jobs] cancel job ${job.id}: ${e.message}`));
  }
  await recordAuditEvent(db, {
    action: 'run.cancelled',
    caller,
    patientId: run.study.patientId,
    target: `run:${runId}`,
    details: { previousStatus: run.status, jobId: run.jobId, runningOn: runningOn?.id ?? null },
  });
  return { runId, previousStatus: run.status, runningOn };
}
