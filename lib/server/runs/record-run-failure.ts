/**
 * A run's attempt failed: the run row says so (compare-and-set on RUNNING, so a cancelled run
 * stays cancelled). Not the last attempt: the run goes back to QUEUED with the error shown while
 * pg-boss retries the job; the last: FAILED.
 */
import type { Db } from '../db/client';

export async function recordRunFailure(o: {
  db: Db;
  runId: string;
  error: unknown;
  attempt: number;
  maxAttempts: number;
  timings: Record<string, number>;
}): Promise<void> {
  const err = o.error as Error & { code?: string };
  const final = o.attempt >= o.maxAttempts;
  await o.db.segmentationRun.updateMany({
    where: { id: o.runId, status: 'RUNNING' },
    data: {
      status: final ? 'FAILED' : 'QUEUED',
      error: `${final ? 'Failed' : `Attempt ${o.attempt} of ${o.maxAttempts} failed, will retry`}: ${err.message}`,
      errorCode: err.code ?? 'RUN_FAILED',
      finishedAt: final ? new Date() : null,
      timings: o.timings,
    },
  });
}
