/**
 * Moves a run's job to the queue of the run's own model version (`segmentation.run/<name>/<sha256>`).
 * A worker calls it for a job it must not execute: one from the legacy single queue
 * `segmentation.run` (queued by an older version, for any model), or, should one ever be there,
 * a job of another model in its own queue. The new job, the run's jobId and an audit event are
 * written in one transaction, and only while the job being moved is still the run's job and the
 * run has not ended (compare-and-set), so a retried or duplicate delivery moves nothing twice.
 * The caller then completes the old job; if it dies first, the old job comes back, is no longer
 * the run's job, and is completed without effect.
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { segmentationQueueFor } from '../jobs/queues';
import { SEGMENTATION_RUN_JOB } from '../jobs/job-definitions';
import { sendJobInTransaction } from '../jobs/send-job';
import { RunError } from './run-error';

export type RouteResult = { moved: true; queue: string; jobId: string | null } | { moved: false; reason: string };

export async function routeSegmentationRun(
  db: Db,
  boss: PgBoss,
  { runId, fromJobId, fromQueue, priority = 0 }: { runId: string; fromJobId: string; fromQueue: string; priority?: number },
): Promise<RouteResult> {
  const run = await db.segmentationRun.findUnique({ where: { id: runId }, include: { modelVersion: true, study: { select: { patientId: true } } } });
  if (!run) return { moved: false, reason: `run ${runId} does not exist` };
  const queue = segmentationQueueFor(run.modelVersion);
  if (queue === fromQueue) {
    // Only reachable if the queue of a model were served by a worker of another model.
    throw new RunError(
      'MODEL_MISMATCH',
      `Job ${fromJobId} of run ${runId} is already in its model's queue ${queue}: the worker taking it serves another model. Not executed.`,
    );
  }
  return db.$transaction(async (tx) => {
    const mine = await tx.segmentationRun.updateMany({
      where: { id: runId, jobId: fromJobId, status: { in: ['QUEUED', 'RUNNING'] } },
      // A legacy job retried after its worker died left the run RUNNING: it waits again now.
      data: { status: 'QUEUED' },
    });
    if (mine.count === 0) return { moved: false as const, reason: `job ${fromJobId} is no longer the job of run ${runId}, or the run has ended` };
    const jobId = await sendJobInTransaction(
      boss,
      tx,
      SEGMENTATION_RUN_JOB,
      { runId },
      { queue, options: { singletonKey: `${run.studyId}:${run.modelVersionId}`, priority } },
    );
    await tx.segmentationRun.update({ where: { id: runId }, data: { jobId } });
    await tx.auditEvent.create({
      data: {
        action: 'run.routed',
        userEmail: 'system',
        patientId: run.study.patientId,
        target: `run:${runId}`,
        details: {
          from: fromQueue,
          fromJobId,
          to: queue,
          jobId,
          model: `${run.modelVersion.name} ${run.modelVersion.version}`,
          sha256: run.modelVersion.sha256,
        },
      },
    });
    return { moved: true as const, queue, jobId };
  });
}
