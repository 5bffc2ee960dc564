/**
 * Job `worker.selftest`: proves a worker takes jobs end to end. It holds for `holdMs` (so an
 * operator can watch it run, and the fault tests can kill a worker mid-job), then records one
 * WorkerCheck row. The row's primary key is the job id, so a job completed twice would fail.
 */
import type { Job } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import type { WorkerSelfTestData } from '../../lib/server/jobs/job-definitions';

/** One job, its payload already checked against WORKER_SELF_TEST_JOB's schema (workJob). */
export async function runWorkerSelfTest(db: Db, job: Job<WorkerSelfTestData>, { workerId, signal }: { workerId: string; signal: AbortSignal }): Promise<void> {
  const startedAt = new Date();
  const holdMs = job.data.holdMs ?? 0;
  const until = Date.now() + holdMs;
  while (Date.now() < until) {
    if (signal.aborted) throw new Error('worker is shutting down; the job will be retried');
    await new Promise((r) => setTimeout(r, Math.min(200, until - Date.now())));
  }
  const previous = await db.workerCheck.count({ where: { jobId: job.id } });
  await db.workerCheck.create({
    data: { jobId: job.id, workerId, attempt: previous + 1, startedAt },
  });
}
