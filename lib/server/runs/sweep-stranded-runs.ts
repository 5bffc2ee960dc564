/**
 * Runs that nothing will ever finish: QUEUED or RUNNING while their pg-boss job has ended
 * (failed for good after its retries, e.g. "job heartbeat timeout" because the worker was killed
 * each time, or expired; cancelled; completed without the run finishing) or is gone from the job
 * table. Each is marked FAILED with a code and the reason, by compare-and-set on its status and
 * job id, so whichever process notices first (a worker's periodic sweep, the jobs page, a Retry)
 * does it once and a worker that just took the run is never overruled. Audited as
 * `run.failed.stranded`.
 *
 * Also: a RUNNING run whose job is waiting for its next attempt (the worker died; pg-boss will
 * retry it) goes back to QUEUED with "attempt n of m interrupted", once its own heartbeat is older
 * than `interruptedAfterMs`, so the jobs page does not show a dead run as running.
 *
 * Codes: WORKER_LOST (heartbeat timeout), JOB_EXPIRED (ran past the queue's expiry), JOB_FAILED
 * (any other final failure), JOB_CANCELLED, JOB_ENDED (completed, run unfinished), JOB_MISSING.
 */
import type { Db } from '../db/client';
import { findDeadLetters, findRunJobs, hasJobTable, jobFailureMessage, type RunJob } from '../jobs/find-run-jobs';

export interface SweptRun {
  runId: string;
  from: 'QUEUED' | 'RUNNING';
  to: 'FAILED' | 'QUEUED';
  code: string;
  reason: string;
}

const HEARTBEAT_TIMEOUT = 'job heartbeat timeout';
const TIMED_OUT = 'job timed out';

function finalFailure(message: string | null, attempts: number | null, deadLettered: boolean): { code: string; reason: string } {
  const tries = attempts ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : '';
  const dl = deadLettered ? ' (moved to the dead-letter queue)' : '';
  if (message === HEARTBEAT_TIMEOUT) {
    return {
      code: 'WORKER_LOST',
      reason: `The job failed for good${tries}${dl}: job heartbeat timeout, i.e. the worker running it stopped (killed, crashed or its machine lost) each time. Retry starts a fresh run.`,
    };
  }
  if (message === TIMED_OUT) {
    return { code: 'JOB_EXPIRED', reason: `The job failed for good${tries}${dl}: it ran longer than the queue's expiry. Retry starts a fresh run.` };
  }
  return { code: 'JOB_FAILED', reason: `The job failed for good${tries}${dl}: ${message ?? 'no reason recorded'}.` };
}

function verdict(
  run: { status: string; jobId: string | null; heartbeatAt: Date | null; attempts: number },
  job: RunJob | undefined,
  dead: { output: unknown; retryCount: number | null } | undefined,
  now: Date,
  interruptedAfterMs: number,
): { to: 'FAILED' | 'QUEUED'; code: string; reason: string } | null {
  if (!job) {
    if (dead) return { to: 'FAILED', ...finalFailure(jobFailureMessage(dead.output), dead.retryCount === null ? null : dead.retryCount + 1, true) };
    return {
      to: 'FAILED',
      code: 'JOB_MISSING',
      reason: run.jobId
        ? `Its job ${run.jobId} is not in the job queue any more, so nothing will run it. Retry starts a fresh run.`
        : 'It has no job in the job queue, so nothing will run it. Retry starts a fresh run.',
    };
  }
  switch (job.state) {
    case 'failed':
      return { to: 'FAILED', ...finalFailure(jobFailureMessage(job.output), job.retryCount + 1, job.deadLettered) };
    case 'cancelled':
      return {
        to: 'FAILED',
        code: 'JOB_CANCELLED',
        reason: `Its job ${job.id} was cancelled in the job queue but the run was not, so nothing will run it. Retry starts a fresh run.`,
      };
    case 'completed':
      return {
        to: 'FAILED',
        code: 'JOB_ENDED',
        reason: `Its job ${job.id} ended without the run finishing, so nothing will run it. Retry starts a fresh run.`,
      };
    case 'created':
    case 'retry': {
      const stale = !run.heartbeatAt || now.getTime() - run.heartbeatAt.getTime() > interruptedAfterMs;
      if (run.status !== 'RUNNING' || !stale) return null;
      const why = jobFailureMessage(job.output);
      return {
        to: 'QUEUED',
        code: 'WORKER_LOST',
        reason: `Attempt ${Math.max(run.attempts, 1)} of ${job.retryLimit + 1} was interrupted (${why === HEARTBEAT_TIMEOUT ? 'its worker stopped: job heartbeat timeout' : (why ?? 'its worker stopped')}); it will be retried.`,
      };
    }
    default:
      return null;
  }
}

export async function sweepStrandedRuns(
  db: Db,
  { runIds, now = new Date(), interruptedAfterMs = 30_000 }: { runIds?: string[]; now?: Date; interruptedAfterMs?: number } = {},
): Promise<SweptRun[]> {
  if (!(await hasJobTable(db))) return [];
  const runs = await db.segmentationRun.findMany({
    where: { status: { in: ['QUEUED', 'RUNNING'] }, ...(runIds ? { id: { in: runIds } } : {}) },
    select: { id: true, status: true, jobId: true, heartbeatAt: true, attempts: true, study: { select: { patientId: true } } },
  });
  if (runs.length === 0) return [];
  const jobs = await findRunJobs(
    db,
    runs.map((r) => r.jobId),
  );
  const gone = runs.filter((r) => r.jobId && !jobs.has(r.jobId)).map((r) => r.jobId!);
  const dead = await findDeadLetters(db, gone);
  const swept: SweptRun[] = [];
  for (const run of runs) {
    const v = verdict(run, run.jobId ? jobs.get(run.jobId) : undefined, run.jobId ? dead.get(run.jobId) : undefined, now, interruptedAfterMs);
    if (!v) continue;
    const changed = await db.segmentationRun.updateMany({
      where: {
        id: run.id,
        status: run.status,
        jobId: run.jobId,
        // A worker that claimed the run since it was read has refreshed its heartbeat.
        ...(v.to === 'QUEUED' ? { heartbeatAt: run.heartbeatAt } : {}),
      },
      data:
        v.to === 'FAILED'
          ? { status: 'FAILED', errorCode: v.code, error: v.reason, finishedAt: now }
          : { status: 'QUEUED', errorCode: v.code, error: v.reason },
    });
    if (changed.count !== 1) continue;
    swept.push({ runId: run.id, from: run.status as SweptRun['from'], to: v.to, code: v.code, reason: v.reason });
    if (v.to === 'FAILED') {
      await db.auditEvent.create({
        data: {
          action: 'run.failed.stranded',
          userEmail: 'system',
          patientId: run.study.patientId,
          target: `run:${run.id}`,
          details: { previousStatus: run.status, jobId: run.jobId, code: v.code, reason: v.reason },
        },
      });
    }
  }
  return swept;
}

const lastSweep = globalThis as unknown as { __isegStrandedSweepAt?: number };

/**
 * The sweep for a page that refreshes every few seconds: at most once per `minIntervalMs` per
 * process (the workers sweep every 15 s anyway); resolves to [] when skipped.
 */
export async function sweepStrandedRunsThrottled(
  db: Db,
  { minIntervalMs = 10_000, now = Date.now() }: { minIntervalMs?: number; now?: number } = {},
): Promise<SweptRun[]> {
  if (lastSweep.__isegStrandedSweepAt !== undefined && now - lastSweep.__isegStrandedSweepAt < minIntervalMs) return [];
  lastSweep.__isegStrandedSweepAt = now;
  return sweepStrandedRuns(db);
}
