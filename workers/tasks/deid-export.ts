/**
 * The `study.export.deid` job: one try of a prepared de-identified export
 * (lib/server/exports/execute-deid-export.ts). A failed try throws, so pg-boss retries it
 * (DEID_EXPORT_JOB's policy); a try killed with the worker is retried after the job's heartbeat
 * timeout. ISEG_FAULT_HOLD_AT_STAGE=export.half holds the try half-way (tests kill it there).
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import { workJob } from '../../lib/server/jobs/define-job';
import { DEID_EXPORT_JOB } from '../../lib/server/jobs/job-definitions';
import { executeDeidExport } from '../../lib/server/exports/execute-deid-export';
import type { VolumeStore } from '../../lib/server/storage/volume-store';

export async function workDeidExports(
  boss: PgBoss,
  { db, store, log, onStage }: { db: Db; store: VolumeStore; log: (msg: string) => void; onStage?: (stage: string) => Promise<void> },
): Promise<string> {
  await workJob(boss, DEID_EXPORT_JOB, { options: { localConcurrency: 1, includeMetadata: true } }, async (job) => {
    const attempt = job.retryCount + 1;
    const maxAttempts = job.retryLimit + 1;
    try {
      const r = await executeDeidExport({ db, store, exportId: job.data.exportId, attempt, maxAttempts, onStage });
      log(`deid export ${job.data.exportId}: ${r} (attempt ${attempt} of ${maxAttempts})`);
    } catch (e) {
      log(`deid export ${job.data.exportId}: attempt ${attempt} of ${maxAttempts} failed: ${(e as Error).message}`);
      throw e;
    }
  });
  return DEID_EXPORT_JOB.name;
}
