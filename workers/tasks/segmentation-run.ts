/** Job `segmentation.run`: executes one run with the worker's model (see execute-segmentation-run). */
import type { Job } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import type { VolumeStore } from '../../lib/server/storage/volume-store';
import { executeSegmentationRun, type SegmentFn } from '../../lib/server/runs/execute-segmentation-run';
import type { SegmentationJobData } from '../../lib/server/runs/create-segmentation-run';
import { maxAttempts, QUEUES } from '../../lib/server/jobs/queues';
import { segmentVolume, type LoadedModel } from '../../lib/inference';

export function modelSegmenter(model: LoadedModel): SegmentFn {
  return async (ct, { signal, onProgress }) => {
    const r = await segmentVolume({ volume: ct, model, signal, onProgress });
    return { mask: r.mask, timingsMs: r.timingsMs as unknown as Record<string, number> };
  };
}

export async function runSegmentationJobs(
  jobs: Job<SegmentationJobData>[],
  { db, store, model, codeVersion, shutdown }: { db: Db; store: VolumeStore; model: LoadedModel; codeVersion: string; shutdown: AbortSignal },
): Promise<void> {
  for (const job of jobs) {
    // Abort on worker shutdown or when pg-boss gives up on the job (expiry, cancel).
    const signal = AbortSignal.any([job.signal, shutdown]);
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
  }
}
