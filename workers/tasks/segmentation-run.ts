/** Job `segmentation.run`: executes one run with the worker's model (see execute-segmentation-run). */
import type { Job } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import type { VolumeStore } from '../../lib/server/storage/volume-store';
import { executeSegmentationRun, type SegmentFn } from '../../lib/server/runs/execute-segmentation-run';
import type { SegmentationJobData } from '../../lib/server/runs/create-segmentation-run';
import { maxAttempts, QUEUES } from '../../lib/server/jobs/queues';
import { segmentVolume, type LoadedModel } from '../../lib/inference';

/** How often a running job looks for a cancel on its run row (ms). */
const CANCEL_POLL_MS = 1_000;

export function modelSegmenter(model: LoadedModel): SegmentFn {
  return async (ct, { signal, onProgress }) => {
    const r = await segmentVolume({ volume: ct, model, signal, onProgress });
    return { mask: r.mask, timingsMs: r.timingsMs as unknown as Record<string, number> };
  };
}

/**
 * An abort signal that fires when the run is CANCELLED (the jobs page). pg-boss also aborts
 * job.signal when the cancelled job's next heartbeat finds its claim gone, but that can take
 * half the queue's heartbeat (15 s); the run row says so within a second.
 */
function watchForCancel(db: Db, runId: string): { signal: AbortSignal; stop: () => void } {
  const ac = new AbortController();
  const timer = setInterval(() => {
    db.segmentationRun
      .findUnique({ where: { id: runId }, select: { status: true } })
      .then((r) => {
        if (r?.status === 'CANCELLED') ac.abort(new Error(`Run ${runId} was cancelled.`));
      })
      .catch(() => undefined); // a database blip: the next poll tries again
  }, CANCEL_POLL_MS);
  return { signal: ac.signal, stop: () => clearInterval(timer) };
}

export async function runSegmentationJobs(
  jobs: Job<SegmentationJobData>[],
  { db, store, model, codeVersion, shutdown }: { db: Db; store: VolumeStore; model: LoadedModel; codeVersion: string; shutdown: AbortSignal },
): Promise<void> {
  for (const job of jobs) {
    const cancel = watchForCancel(db, job.data.runId);
    // Abort on worker shutdown, when pg-boss gives up on the job (expiry, cancel) or when the
    // run is cancelled.
    const signal = AbortSignal.any([job.signal, shutdown, cancel.signal]);
    try {
      await executeSegmentationRun({
        db,
        store,
        runId: job.data.runId,
        segment: modelSegmenter(model),
        attempt: job.retryCount + 1,
        maxAttempts: maxAttempts(QUEUES.segmentationRun),
        codeVersion,
        signal,
      });
    } catch (e) {
      // A cancelled run is finished, not failed: the job ends without a retry.
      if (cancel.signal.aborted) {
        console.log(`[worker ${process.pid}] run ${job.data.runId} cancelled; stopped`);
        continue;
      }
      throw e;
    } finally {
      cancel.stop();
    }
  }
}
