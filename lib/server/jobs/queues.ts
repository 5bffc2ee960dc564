/**
 * Queue names, and the naming of the per-model segmentation queues. Each job's payload schema
 * and retry/heartbeat policy are in job-definitions.ts.
 */
export const DEAD_LETTER_QUEUE = 'dead-letter';

export const QUEUES = {
  /** End-to-end worker check used by `iseg-qa doctor --worker`: hold, heartbeat, record. */
  workerSelfTest: 'worker.selftest',
  /**
   * Before per-model routing, every segmentation job went here, whatever its model. Kept so
   * that jobs queued by an older version are not lost: a worker with a model takes them only
   * to move each to its model's queue (workers/tasks/segmentation-run.ts), never to run it.
   */
  segmentationRun: 'segmentation.run',
  /** Send a run's machine RTSTRUCT to a DICOM destination (C-STORE; lib/server/dicom-send/). */
  dicomSend: 'dicom.send',
  /** Retrieve one study from a PACS over DICOMweb and import it (lib/server/pacs/execute-pacs-retrieval.ts). */
  pacsRetrieve: 'pacs.retrieve',
  /** Write a study's de-identified export zip to the export store (lib/server/exports/execute-deid-export.ts). */
  deidExport: 'study.export.deid',
  /** POST one drift alert to an admin's webhook (lib/server/monitoring/execute-alert-webhook.ts). */
  alertWebhook: 'monitoring.alert.webhook',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/**
 * Segmentation runs are routed by model version: one queue per model name + sha256 of its ONNX
 * file, `segmentation.run/<name>/<sha256>`. A worker subscribes only to the queue of the model
 * it loaded and verified, so a run can only be taken by a worker serving exactly its model.
 * Created on first use (send-job.ts) with SEGMENTATION_RUN_JOB's policy (job-definitions.ts).
 */
export const SEGMENTATION_QUEUE_PREFIX = `${QUEUES.segmentationRun}/`;

/** Manifest names are folder-style (lib/core/inference/manifest.ts), all legal in a pg-boss queue name. */
const MODEL_NAME = /^[A-Za-z0-9._-]+$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function segmentationQueueFor(model: { name: string; sha256: string }): string {
  if (!MODEL_NAME.test(model.name)) {
    throw new Error(`Model name "${model.name}" cannot name a job queue: use letters, digits, ".", "_" or "-" only (the manifest's "name").`);
  }
  if (!SHA256.test(model.sha256)) throw new Error(`Model ${model.name} has no valid sha256 ("${model.sha256}"): 64 lower-case hex digits expected.`);
  return `${SEGMENTATION_QUEUE_PREFIX}${model.name}/${model.sha256}`;
}

/** The model a per-model segmentation queue serves, or null for any other queue name. */
export function modelOfSegmentationQueue(queue: string): { name: string; sha256: string } | null {
  if (!queue.startsWith(SEGMENTATION_QUEUE_PREFIX)) return null;
  const [name, sha256, ...rest] = queue.slice(SEGMENTATION_QUEUE_PREFIX.length).split('/');
  return rest.length === 0 && MODEL_NAME.test(name ?? '') && SHA256.test(sha256 ?? '') ? { name, sha256 } : null;
}
