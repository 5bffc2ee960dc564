/** Job `cohort.summary`: recompute the cached cohort counts (idempotent upsert). */
import type { Job } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import { refreshCohortSummary } from '../../lib/server/cohort/compute-cohort-summary';

export async function runCohortSummary(db: Db, jobs: Job<object>[]): Promise<void> {
  for (const job of jobs) {
    await refreshCohortSummary(db, { jobId: job.id });
  }
}
