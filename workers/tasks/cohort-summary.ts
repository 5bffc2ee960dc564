/**
 * Job `cohort.summary`: first store the QA summary of succeeded runs that have none (runs that
 * finished before summaries existed; the cohort page leaves them out until then), then
 * recompute the cached cohort counts (idempotent upsert).
 */
import type { Job } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import { env } from '../../lib/server/env';
import { createVolumeStore } from '../../lib/server/storage/volume-store';
import { backfillRunSummaries } from '../../lib/server/cohort/backfill-run-summaries';
import { refreshCohortSummary } from '../../lib/server/cohort/compute-cohort-summary';

export async function runCohortSummary(db: Db, jobs: Job<object>[]): Promise<void> {
  const store = createVolumeStore({ dir: env().volumeDir });
  for (const job of jobs) {
    const backfill = await backfillRunSummaries(db, { store });
    if (backfill.updated) console.log(`[cohort.summary] stored ${backfill.updated} missing run summaries`);
    for (const f of backfill.failed) console.warn(`[cohort.summary] run ${f.runId}: no summary: ${f.reason}`);
    await refreshCohortSummary(db, { jobId: job.id });
  }
}
