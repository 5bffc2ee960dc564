/**
 * Job `pacs.retrieve` (lib/server/pacs/pacs-retrieve-job.ts): retrieve one study from a PACS
 * over DICOMweb and import it (lib/server/pacs/execute-pacs-retrieval.ts). The queue is created
 * here when missing, so a worker can start before anyone asked for a retrieval.
 */
import type { PgBoss } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import { workJob } from '../../lib/server/jobs/define-job';
import { PACS_RETRIEVE_JOB } from '../../lib/server/pacs/pacs-retrieve-job';
import { executePacsRetrieval } from '../../lib/server/pacs/execute-pacs-retrieval';
import type { VolumeStore } from '../../lib/server/storage/volume-store';

export async function workPacsRetrievals(
  boss: PgBoss,
  { db, store, signal, log }: { db: Db; store: VolumeStore; signal: AbortSignal; log: (msg: string) => void },
): Promise<string> {
  if (!(await boss.getQueue(PACS_RETRIEVE_JOB.name))) await boss.createQueue(PACS_RETRIEVE_JOB.name, PACS_RETRIEVE_JOB.policy);
  await workJob(boss, PACS_RETRIEVE_JOB, { options: { localConcurrency: 1 } }, async (job) => {
    const outcome = await executePacsRetrieval({ db, retrievalId: job.data.retrievalId, boss, store, signal });
    log(`pacs.retrieve ${job.data.retrievalId}: ${outcome.state === 'IMPORTED' ? `study ${outcome.studyId}${outcome.alreadyImported ? ' (already imported)' : ''}` : outcome.reason}`);
  });
  return PACS_RETRIEVE_JOB.name;
}
