/**
 * Asks a worker to recompute the cohort summary. The job is sent in the same transaction as the
 * audit row, so a request is either recorded and queued, or neither.
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { QUEUES } from '../jobs/queues';
import { COHORT_SUMMARY_JOB } from '../jobs/job-definitions';
import { sendJobInTransaction } from '../jobs/send-job';

export async function requestCohortSummary(
  db: Db,
  boss: PgBoss,
  { caller }: { caller: Caller },
): Promise<{ jobId: string | null }> {
  authorize(caller, 'jobs:enqueue');
  return db.$transaction(async (tx) => {
    const jobId = await sendJobInTransaction(boss, tx, COHORT_SUMMARY_JOB, { requestedBy: caller.userId });
    await tx.auditEvent.create({
      data: { action: 'job.enqueued', userId: caller.userId, userEmail: caller.email, role: caller.role, target: `job:${jobId ?? 'deduplicated'}`, details: { queue: QUEUES.cohortSummary } },
    });
    return { jobId };
  });
}
