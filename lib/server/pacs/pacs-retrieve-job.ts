/**
 * Job `pacs.retrieve`: retrieve one study from a PACS (WADO-RS) and import it
 * (execute-pacs-retrieval.ts; worker: workers/tasks/pacs-retrieve.ts). Not retried by pg-boss:
 * a failed retrieval is recorded with its reason (PacsRetrieval.error) and the user asks again
 * from the query page, which makes a new one.
 */
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import { DEAD_LETTER_QUEUE } from '../jobs/queues';

export const PACS_RETRIEVE_QUEUE = 'pacs.retrieve';

export const PACS_RETRIEVE_JOB = defineJob({
  name: PACS_RETRIEVE_QUEUE,
  payload: z.object({ retrievalId: z.string().min(1, 'the id of the PacsRetrieval row to execute') }),
  policy: {
    heartbeatSeconds: 30,
    // A 10-phase 4D CT (1,000 slices, ~0.5 GB) retrieves and imports in minutes; an hour is far above.
    expireInSeconds: 60 * 60,
    retryLimit: 0,
    deadLetter: DEAD_LETTER_QUEUE,
  },
});
export type PacsRetrieveJobData = z.infer<typeof PACS_RETRIEVE_JOB.payload>;
