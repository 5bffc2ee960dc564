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
  /** Segment every phase of a study, build the ITV, compute metrics (one active per study+model). */
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
