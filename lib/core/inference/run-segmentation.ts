import { type Grid, type Mask, type Volume, type VoxelArray, voxelVolumeCc } from '@/lib/core/volume';
import { applyActivation } from './activation';
import { InferenceError } from './errors';
import type { ModelManifest } from './manifest';
import { modelGridFor } from './model-grid';
import { normaliseHuInPlace, normaliseHuValue } from './normalise';
import { postprocessMask } from './postprocess';
import { resampleProbabilityToMask, resampleTrilinear } from './resample';
import { giveBackScratch } from './scratch-volumes';
import { type PatchPredictor, slidingWindowInference } from './sliding-window';

export interface RunSegmentationInput {
  /** CT in HU on its native grid. */
  volume: Volume<VoxelArray>;
  manifest: ModelManifest;
  predict: PatchPredictor;
  /** Checked between stages and before every predict call. */
  signal?: AbortSignal;
  /** Fraction of the whole run done, in [0, 1]; the sliding window is 5 %–90 %. */
  onProgress?: (fractionDone: number) => void;
  /** CPU time of the process in ms (injected: lib/core does no I/O); when set, the result has cpuMs. */
  cpuClockMs?: () => number;
}

/** Wall-clock milliseconds per stage. */
export interface SegmentationTimingsMs {
  resampleToModel: number;
  normalise: number;
  slidingWindow: number;
  /** Part of slidingWindow spent inside predict (the network). */
  predict: number;
  activation: number;
  resampleToNative: number;
  postprocess: number;
  total: number;
}

export interface SegmentationResult {
  /** The structure on the CT's native grid, after post-processing. */
  mask: Mask;
  modelGrid: Grid;
  voxelCount: number;
  volumeCc: number;
  probability: {
    /** Largest probability on the model grid. */
    maxOnModelGrid: number;
    /** Mean interpolated probability over the thresholded native mask, before post-processing (null if empty). */
    meanInThresholdedMask: number | null;
    /** Native voxels at or above the threshold, before post-processing. */
    voxelsAtOrAboveThreshold: number;
    threshold: number;
  };
  postprocess: { componentsFound: number; componentsKept: number; voxelsRemoved: number };
  windows: number;
  batches: number;
  timingsMs: SegmentationTimingsMs;
  /** CPU milliseconds per stage (the process, all threads), when `cpuClockMs` was given. */
  cpuMs?: SegmentationTimingsMs;
}

function checkAbort(signal: AbortSignal | undefined, stage: string): void {
  if (signal?.aborted) throw new InferenceError('ABORTED', `Segmentation aborted before ${stage}.`, { cause: signal.reason });
}

/**
 * Segment one CT with a model: resample to the model grid (trilinear, modelGridFor) → clip and
 * normalise HU → sliding-window inference (MONAI-style, Gaussian weights) → activation →
 * trilinear back to the native grid and threshold → connected-component post-processing.
 * Pure: the network is the injected `predict` (lib/inference's loadModel gives one).
 * @throws InferenceError: INVALID_INPUT (bad volume), PREDICT_FAILED, ABORTED.
 */
export async function runSegmentation({ volume, manifest, predict, signal, onProgress, cpuClockMs }: RunSegmentationInput): Promise<SegmentationResult> {
  type Stage = 'resampled' | 'normalised' | 'windowed' | 'activated' | 'native' | 'done';
  const t: Record<'start', number> & Partial<Record<Stage, number>> = { start: performance.now() };
  const c: Record<'start', number> & Partial<Record<Stage, number>> = { start: cpuClockMs?.() ?? 0 };
  const mark = (name: Stage) => {
    t[name] = performance.now();
    if (cpuClockMs) c[name] = cpuClockMs();
  };
  /** Milliseconds between two marks; every stage is marked before the result is built. */
  const between = (marks: typeof t, to: Stage, from: Stage | 'start') => {
    const a = marks[from],
      b = marks[to];
    if (a === undefined || b === undefined) throw new Error(`runSegmentation timing: stage ${a === undefined ? from : to} was not marked.`);
    return b - a;
  };
  const ms = (to: Stage, from: Stage | 'start') => between(t, to, from);
  const cms = (to: Stage, from: Stage | 'start') => between(c, to, from);
  const [nx, ny, nz] = volume.grid.dims;
  if (volume.data.length !== nx * ny * nz)
    throw new InferenceError('INVALID_INPUT', `CT holds ${volume.data.length} values but its grid is ${volume.grid.dims.join('×')}: data and grid disagree.`);

  checkAbort(signal, 'resampling');
  const modelGrid = modelGridFor(volume.grid, manifest.targetSpacingMm, manifest.modelGridOrientation);
  const onModel = resampleTrilinear(volume, modelGrid);
  mark('resampled');
  onProgress?.(0.03);

  normaliseHuInPlace(onModel.data, manifest.intensity);
  mark('normalised');
  onProgress?.(0.05);

  checkAbort(signal, 'sliding-window inference');
  const sw = manifest.slidingWindow;
  const stitched = await slidingWindowInference({
    input: onModel.data,
    dims: modelGrid.dims,
    patchSizeXyz: manifest.input.patchSizeXyz,
    overlap: sw.overlap,
    mode: sw.mode,
    sigmaScale: sw.sigmaScale,
    batchSize: sw.batchSize,
    layout: manifest.input.layout,
    padValue: normaliseHuValue(sw.padHu ?? manifest.intensity.clipHu[0], manifest.intensity),
    expectedChannels: manifest.output.channels,
    predict,
    signal,
    onProgress: onProgress ? (f) => onProgress(0.05 + 0.85 * f) : undefined,
    cpuClockMs,
  });
  // The normalised CT and, below, the stitched output are reused by the next phase (scratch-volumes.ts).
  giveBackScratch(onModel.data);
  mark('windowed');

  // stitched.output is this run's own: the probabilities overwrite its foreground channel.
  const probability = applyActivation(stitched.output, stitched.channels, manifest.output.activation, manifest.output.foregroundChannel, true);
  let maxOnModel = 0;
  for (let v = 0; v < probability.length; v++) if (probability[v]! > maxOnModel) maxOnModel = probability[v]!;
  mark('activated');

  checkAbort(signal, 'resampling to the native grid');
  const back = resampleProbabilityToMask({ grid: modelGrid, data: probability }, volume.grid, manifest.output.threshold);
  giveBackScratch(stitched.output);
  mark('native');
  onProgress?.(0.95);

  const post = postprocessMask(back.mask, manifest.postprocess);
  mark('done');
  let voxels = 0;
  const out = post.mask.data;
  for (let v = 0; v < out.length; v++) voxels += out[v]!;
  onProgress?.(1);

  return {
    mask: post.mask,
    modelGrid,
    voxelCount: voxels,
    volumeCc: voxels * voxelVolumeCc(volume.grid),
    probability: {
      maxOnModelGrid: maxOnModel,
      meanInThresholdedMask: back.meanProbabilityInMask,
      voxelsAtOrAboveThreshold: back.voxels,
      threshold: manifest.output.threshold,
    },
    postprocess: { componentsFound: post.componentsFound, componentsKept: post.componentsKept, voxelsRemoved: post.voxelsRemoved },
    windows: stitched.windows,
    batches: stitched.batches,
    timingsMs: {
      resampleToModel: ms('resampled', 'start'),
      normalise: ms('normalised', 'resampled'),
      slidingWindow: ms('windowed', 'normalised'),
      predict: stitched.predictMs,
      activation: ms('activated', 'windowed'),
      resampleToNative: ms('native', 'activated'),
      postprocess: ms('done', 'native'),
      total: ms('done', 'start'),
    },
    cpuMs: cpuClockMs
      ? {
          resampleToModel: cms('resampled', 'start'),
          normalise: cms('normalised', 'resampled'),
          slidingWindow: cms('windowed', 'normalised'),
          predict: stitched.predictCpuMs,
          activation: cms('activated', 'windowed'),
          resampleToNative: cms('native', 'activated'),
          postprocess: cms('done', 'native'),
          total: cms('done', 'start'),
        }
      : undefined,
  };
}
