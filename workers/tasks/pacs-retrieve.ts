/**
 * Job `pacs.retrieve` (PACS_RETRIEVE_JOB in lib/server/jobs/job-definitions.ts): retrieve one
 * study from a PACS over DICOMweb and import it (lib/server/pacs/execute-pacs-retrieval.ts).
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import { workJob } from '../../lib/server/jobs/define-job';
import { PACS_RETRIEVE_JOB } from '../../lib/server/jobs/job-definitions';
import { executePacsRetrieval } from '../../lib/server/pacs/execute-pacs-retrieval';
import type { VolumeStore } from '../../lib/server/storage/volume-store';

export async function workPacsRetrievals(
  boss: PgBoss,
  { db, store, signal, log }: { db: Db; store: VolumeStore; signal: AbortSignal; log: (msg: string) => void },
): Promise<string> {
  await workJob(boss, PACS_RETRIEVE_JOB, { options: { localConcurrency: 1 } }, async (job) => {
    const outcome = await executePacsRetrieval({ db, retrievalId: job.data.retrievalId, boss, store, signal });
    log(
      `pacs.retrieve ${job.data.retrievalId}: ${outcome.state === 'IMPORTED' ? `study ${outcome.studyId}${outcome.alreadyImported ? ' (already imported)' : ''}` : outcome.reason}`,
    );
  });
  return PACS_RETRIEVE_JOB.name;
}
