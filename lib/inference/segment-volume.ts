import type { Volume, VoxelArray } from '@/lib/core/volume';
import { runSegmentation, type SegmentationResult } from '@/lib/core/inference/run-segmentation';
import type { LoadedModel } from './load-model';

/** CPU time of this process, all threads (onnxruntime's included), in ms. */
function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface SegmentVolumeOptions {
  /** CT in HU on its native grid. */
  volume: Volume<VoxelArray>;
  /** From loadModel. */
  model: LoadedModel;
  /** Checked between stages and patches; when it fires, throws InferenceError('ABORTED'). */
  signal?: AbortSignal;
  /** Fraction of the run done, in [0, 1]. */
  onProgress?: (fractionDone: number) => void;
}

export interface SegmentVolumeResult extends SegmentationResult {
  /** Exactly which model produced the mask. */
  model: { name: string; version: string; sha256: string; provider: string };
}

/**
 * Segment one CT with a loaded model: resample → normalise → sliding window (onnxruntime) →
 * activation → back to the native grid → threshold → post-process (runSegmentation).
 * @returns the mask on the CT's native grid, probability summary, per-stage timings (wall and CPU, ms) and
 *   the model's name, version and sha256.
 * @throws InferenceError INVALID_INPUT | PREDICT_FAILED | ABORTED.
 */
export async function segmentVolume({ volume, model, signal, onProgress }: SegmentVolumeOptions): Promise<SegmentVolumeResult> {
  const result = await runSegmentation({ volume, manifest: model.manifest, predict: model.predict, signal, onProgress, cpuClockMs: processCpuMs });
  return { ...result, model: { name: model.name, version: model.version, sha256: model.sha256, provider: model.provider } };
}
