/**
 * The errors a segmentation run fails with (their code is stored on the run row as errorCode),
 * and the abort check run between phases and between metric pairs.
 */
export class RunError extends Error {
  constructor(
    readonly code: 'RUN_NOT_FOUND' | 'NO_CT' | 'PHASE_GRIDS_DIFFER' | 'VOLUME_UNREADABLE' | 'MODEL_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}

/** Throws when the worker is shutting down (or the run was cancelled): pg-boss retries the job. */
export function throwIfRunAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Error('The run was aborted (worker shutting down); it will be retried.');
}
