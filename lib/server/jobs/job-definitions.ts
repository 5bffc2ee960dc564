/**
 * Every job the workers take, one definition each (define-job.ts): queue name, payload schema,
 * queue policy. pg-boss keeps the queues in our Postgres, so more workers on more machines need
 * nothing new. createBoss creates these queues; per-model segmentation queues are created on
 * first use with SEGMENTATION_RUN_JOB's policy (send-job.ts).
 */
import { z } from 'zod';
import { defineJob, type JobDefinition, type QueuePolicy } from './define-job';
import { DEAD_LETTER_QUEUE, QUEUES } from './queues';

const COMMON: QueuePolicy = {
  // A worker that stops heartbeating (killed, machine lost) has its job retried after this.
  heartbeatSeconds: 10,
  expireInSeconds: 15 * 60,
  retryLimit: 3,
  retryDelay: 2,
  retryBackoff: true,
  deadLetter: DEAD_LETTER_QUEUE,
};

/**
 * Execute one segmentation run (workers/tasks/segmentation-run.ts). Sent to the queue of the
 * run's model version (`segmentation.run/<name>/<sha256>`, queues.ts segmentationQueueFor) by
 * createSegmentationRun and routeSegmentationRun; the bare `segmentation.run` queue only holds
 * jobs queued before per-model routing, which workers move to their model's queue.
 */
export const SEGMENTATION_RUN_JOB = defineJob({
  name: QUEUES.segmentationRun,
  payload: z.object({ runId: z.string().min(1, 'the id of the SegmentationRun row to execute') }),
  policy: {
    ...COMMON,
    // With a singletonKey of study + model version, at most one run per pair is active.
    policy: 'singleton',
    heartbeatSeconds: 30,
    // A 10-phase CPU run takes minutes; an hour is far above the longest seen.
    expireInSeconds: 60 * 60,
    retryLimit: 2,
    retryDelay: 30,
  },
});
export type SegmentationJobData = z.infer<typeof SEGMENTATION_RUN_JOB.payload>;

/** End-to-end worker check used by `iseg-qa doctor --worker`: hold, heartbeat, record. */
export const WORKER_SELF_TEST_JOB = defineJob({
  name: QUEUES.workerSelfTest,
  payload: z.object({ holdMs: z.number().int().min(0).max(120_000).optional() }),
  policy: COMMON,
});
export type WorkerSelfTestData = z.infer<typeof WORKER_SELF_TEST_JOB.payload>;

/**
 * Send one DicomSend (a run's machine RTSTRUCT to a destination) by C-STORE
 * (workers/tasks/dicom-send.ts → lib/server/dicom-send/execute-dicom-send.ts). A failed try is
 * retried 3 times with backoff (pg-boss: 5-10, 10-20, then 20-40 s); each try is a DicomSendAttempt row.
 */
export const DICOM_SEND_JOB = defineJob({
  name: QUEUES.dicomSend,
  payload: z.object({ sendId: z.string().min(1, 'the id of the DicomSend row to send') }),
  policy: { ...COMMON, heartbeatSeconds: 30, expireInSeconds: 10 * 60, retryLimit: 3, retryDelay: 5, retryBackoff: true },
});
export type DicomSendJobData = z.infer<typeof DICOM_SEND_JOB.payload>;

/**
 * Retrieve one study from a PACS (WADO-RS) and import it (lib/server/pacs/execute-pacs-retrieval.ts;
 * worker: workers/tasks/pacs-retrieve.ts). Not retried by pg-boss: a failed retrieval is recorded
 * with its reason (PacsRetrieval.error) and the user asks again from the query page.
 */
export const PACS_RETRIEVE_JOB = defineJob({
  name: QUEUES.pacsRetrieve,
  payload: z.object({ retrievalId: z.string().min(1, 'the id of the PacsRetrieval row to execute') }),
  // A 10-phase 4D CT (1,000 slices, ~0.5 GB) retrieves and imports in minutes; an hour is far above.
  policy: { ...COMMON, heartbeatSeconds: 30, expireInSeconds: 60 * 60, retryLimit: 0 },
});
export type PacsRetrieveJobData = z.infer<typeof PACS_RETRIEVE_JOB.payload>;

/**
 * Write one prepared de-identified export (a DeidExport row) to the export store
 * (lib/server/exports/execute-deid-export.ts; worker: workers/tasks/deid-export.ts). A worker
 * killed mid-export stops heartbeating: pg-boss retries the job after heartbeatSeconds, and the
 * retry starts the zip again from the first file (a partial zip is never offered).
 */
export const DEID_EXPORT_JOB = defineJob({
  name: QUEUES.deidExport,
  payload: z.object({ exportId: z.string().min(1, 'the id of the DeidExport row to write') }),
  // A 177-slice study writes in well under a minute; 10-phase 4D CTs in minutes.
  policy: { ...COMMON, heartbeatSeconds: 10, expireInSeconds: 30 * 60, retryLimit: 2, retryDelay: 2, retryBackoff: false },
});
export type DeidExportJobData = z.infer<typeof DEID_EXPORT_JOB.payload>;

/**
 * POST one drift alert to its type's webhook (lib/server/monitoring/execute-alert-webhook.ts;
 * worker: workers/tasks/alert-webhook.ts). A failed try (no answer, a timeout, a status other than
 * 2xx) throws and is retried 4 times with backoff (pg-boss: about 2-4, 4-8, 8-16, 16-32 s); each
 * try is an AlertWebhookAttempt row, and the last failure leaves the delivery FAILED.
 */
export const ALERT_WEBHOOK_JOB = defineJob({
  name: QUEUES.alertWebhook,
  payload: z.object({ deliveryId: z.string().min(1, 'the id of the AlertWebhookDelivery row to send') }),
  policy: { ...COMMON, heartbeatSeconds: 30, expireInSeconds: 5 * 60, retryLimit: 4, retryDelay: 2, retryBackoff: true },
});
export type AlertWebhookJobData = z.infer<typeof ALERT_WEBHOOK_JOB.payload>;

/** All definitions: their queues are created at start (boss.ts ensureQueues). */
export const JOBS: readonly JobDefinition[] = [
  SEGMENTATION_RUN_JOB,
  WORKER_SELF_TEST_JOB,
  DICOM_SEND_JOB,
  PACS_RETRIEVE_JOB,
  DEID_EXPORT_JOB,
  ALERT_WEBHOOK_JOB,
];
