/**
 * Queue names and their retry/heartbeat policy. pg-boss keeps the queue in our Postgres, so
 * more workers on more machines need nothing new.
 */
import type { Queue } from 'pg-boss';

export const DEAD_LETTER_QUEUE = 'dead-letter';

export const QUEUES = {
  /** Recompute the cached cohort summary (counts and medians on the home page). */
  cohortSummary: 'cohort.summary',
  /** End-to-end worker check used by `iseg-qa doctor --worker`: hold, heartbeat, record. */
  workerSelfTest: 'worker.selftest',
  /**
   * Before per-model routing, every segmentation job went here, whatever its model. Kept so
   * that jobs queued by an older version are not lost: a worker with a model takes them only
   * to move each to its model's queue (workers/tasks/segmentation-run.ts), never to run it.
   */
  segmentationRun: 'segmentation.run',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

const COMMON: Omit<Queue, 'name'> = {
  // A worker that stops heartbeating (killed, machine lost) has its job retried after this.
  heartbeatSeconds: 10,
  expireInSeconds: 15 * 60,
  retryLimit: 3,
  retryDelay: 2,
  retryBackoff: true,
  deadLetter: DEAD_LETTER_QUEUE,
};

export const QUEUE_OPTIONS: Record<QueueName, Omit<Queue, 'name'>> = {
  [QUEUES.cohortSummary]: { ...COMMON, policy: 'singleton' },
  [QUEUES.workerSelfTest]: COMMON,
  [QUEUES.segmentationRun]: {
    ...COMMON,
    // With a singletonKey of study + model version, at most one run per pair is active.
    policy: 'singleton',
    heartbeatSeconds: 30,
    // A 10-phase CPU run takes minutes; an hour is far above the longest seen.
    expireInSeconds: 60 * 60,
    retryLimit: 2,
    retryDelay: 30,
  },
};

/** Attempts a job gets in all: the first plus retryLimit retries. */
export function maxAttempts(queue: QueueName): number {
  return 1 + (QUEUE_OPTIONS[queue].retryLimit ?? 2);
}

/**
 * Segmentation runs are routed by model version: one queue per model name + sha256 of its ONNX
 * file, `segmentation.run/<name>/<sha256>`. A worker subscribes only to the queue of the model
 * it loaded and verified, so a run can only be taken by a worker serving exactly its model.
 * Created on first use (createSegmentationRun) with SEGMENTATION_QUEUE_OPTIONS.
 */
export const SEGMENTATION_QUEUE_PREFIX = `${QUEUES.segmentationRun}/`;
export const SEGMENTATION_QUEUE_OPTIONS: Omit<Queue, 'name'> = QUEUE_OPTIONS[QUEUES.segmentationRun];

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
