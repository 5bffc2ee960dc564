/**
 * Sliding-window inference over a single-channel volume, as MONAI's
 * `monai.inferers.sliding_window_inference` (inferers/utils.py) does it:
 * - windows of `patchSizeXyz` on a regular grid with interval floor(patch × (1 − overlap)),
 *   the last window on each axis shifted back to end at the volume's edge
 *   (`_get_scan_interval`, `dense_patch_slices`);
 * - a volume smaller than a patch along an axis is padded symmetrically (⌊diff/2⌋ before, the
 *   rest after) with `padValue`, and the padding is cropped off the result;
 * - outputs are stitched by a weighted average with a Gaussian importance map
 *   (σ = sigmaScale × patch size per axis, centred at (P − 1)/2, normalised to a maximum of 1,
 *   zeros clamped to the smallest non-zero weight; `compute_importance_map`) or constant weights.
 * The network is injected as `predict`, so the tiling is tested without a runtime
 * (tests/unit/inference/sliding-window.test.ts uses an identity-plus-one predictor).
 */
import type { Vec3 } from '@/lib/core/volume';
import { InferenceError } from './errors';
import { giveBackScratch, takeScratch } from './scratch-volumes';

/**
 * Runs the network on a batch. `batch` holds `batchShape` = [n, 1, a, b, c] values in C order
 * (layout per SlidingWindowOptions.layout); returns n × C × a × b × c values in the same order
 * (C output channels, any C ≥ 1 but the same on every call).
 */
export type PatchPredictor = (batch: Float32Array, batchShape: readonly number[]) => Promise<Float32Array>;

export interface SlidingWindowOptions {
  /** One-channel volume, index i + nx·(j + ny·k). */
  input: Float32Array;
  /** [nx, ny, nz] of `input`. */
  dims: Vec3;
  /** Patch size in voxels along i, j, k. */
  patchSizeXyz: Vec3;
  /** Fraction of a patch shared by neighbouring windows, in [0, 1). */
  overlap: number;
  predict: PatchPredictor;
  /** Default 'gaussian'. */
  mode?: 'gaussian' | 'constant';
  /** Default 0.125 (MONAI's). */
  sigmaScale?: number;
  /** Patches per predict call (the last call may get fewer). Default 1. */
  batchSize?: number;
  /**
   * Tensor layout handed to `predict`. 'NCDHW': [n, 1, pz, py, px] (the volume's own memory
   * order); 'NCXYZ': [n, 1, px, py, pz]. Default 'NCDHW'.
   */
  layout?: 'NCDHW' | 'NCXYZ';
  /** Value of padding voxels (volume smaller than a patch). Default 0. */
  padValue?: number;
  /** When set, the predictor must return this many channels. */
  expectedChannels?: number;
  /** Checked before every predict call; when aborted, throws InferenceError('ABORTED'). */
  signal?: AbortSignal;
  /** Called after every batch with the fraction of windows done, in (0, 1]. */
  onProgress?: (fractionDone: number) => void;
  /** CPU time of the process in ms (injected: lib/core does no I/O); when set, predictCpuMs is measured. */
  cpuClockMs?: () => number;
}

export interface SlidingWindowResult {
  /**
   * Stitched outputs, channel-major: channel c at [c·N, (c+1)·N), N = nx·ny·nz, index order as
   * input. A scratch volume (scratch-volumes.ts): the caller may give it back once done with it.
   */
  output: Float32Array;
  channels: number;
  /** Number of windows (patches) run. */
  windows: number;
  /** Number of predict calls. */
  batches: number;
  /** Time spent inside `predict` (ms). */
  predictMs: number;
  /** CPU time spent inside `predict` (ms; 0 without `cpuClockMs`). */
  predictCpuMs: number;
}

/**
 * Start positions of the windows along one axis of (padded) length `size` ≥ `patch`
 * (MONAI `_get_scan_interval` + `dense_patch_slices`).
 */
export function windowStarts(size: number, patch: number, overlap: number): number[] {
  const interval = patch === size ? patch : Math.max(1, Math.floor(patch * (1 - overlap)));
  const num = Math.ceil(size / interval);
  let scanNum = 1;
  for (let d = 0; d < num; d++)
    if (d * interval + patch >= size) {
      scanNum = d + 1;
      break;
    }
  const starts: number[] = [];
  for (let idx = 0; idx < scanNum; idx++) {
    const s = idx * interval;
    starts.push(s - Math.max(s + patch - size, 0));
  }
  return starts;
}

/**
 * Importance weights of one patch, index px + Px·(py + Py·pz) (MONAI `compute_importance_map`).
 */
export function importanceMap(patchSizeXyz: Vec3, mode: 'gaussian' | 'constant', sigmaScale = 0.125): Float32Array {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const [px, py, pz] = patchSizeXyz;
  const out = new Float32Array(px * py * pz);
  if (mode === 'constant') return out.fill(1);
  const axis = (p: number) => {
    const sigma = p * sigmaScale;
    const w = new Float64Array(p);
    for (let t = 0; t < p; t++) {
      const x = t - (p - 1) / 2;
      w[t] = Math.exp((x * x) / (-2 * sigma * sigma));
    }
    return w;
  };
  const wx = axis(px);
  const wy = axis(py);
  const wz = axis(pz);
  let max = 0;
  for (let k = 0, t = 0; k < pz; k++)
    for (let j = 0; j < py; j++)
      for (let i = 0; i < px; i++, t++) {
        const v = wx[i]! * wy[j]! * wz[k]!;
        out[t] = v;
        if (v > max) max = v;
      }
  let minNonZero = Infinity;
  for (let t = 0; t < out.length; t++) {
    out[t]! /= max;
    if (out[t]! > 0 && out[t]! < minNonZero) minNonZero = out[t]!;
  }
  // A zero weight could leave a voxel with a zero weight sum (0/0).
  for (let t = 0; t < out.length; t++) if (out[t]! < minNonZero) out[t] = minNonZero;
  return out;
}

/** The last importance map made, reused while the patch and mode stay the same (every phase of a run). */
let lastImportanceMap: { key: string; weights: Float32Array } | null = null;

/** The weight sum of the last volume geometry (read only), kept for grids up to this many voxels (32 MiB). */
const WEIGHT_SUM_CACHE_MAX_VOXELS = 8 * 2 ** 20;
let lastWeightSum: { key: string; sum: Float32Array } | null = null;

/** importanceMap, made once per patch size, mode and sigma; read only. */
function sharedImportanceMap(patchSizeXyz: Vec3, mode: 'gaussian' | 'constant', sigmaScale: number): Float32Array {
  const key = `${patchSizeXyz.join(',')}|${mode}|${sigmaScale}`;
  if (lastImportanceMap?.key !== key) lastImportanceMap = { key, weights: importanceMap(patchSizeXyz, mode, sigmaScale) };
  return lastImportanceMap.weights;
}

function checkOptions(o: SlidingWindowOptions): void {
  const bad = (what: string) => {
    throw new InferenceError('INVALID_INPUT', `Sliding window: ${what}.`);
  };
  const [nx, ny, nz] = o.dims;
  if (![nx, ny, nz].every((n) => Number.isInteger(n) && n > 0)) bad(`dims ${o.dims.join('×')} must be positive integers`);
  if (o.input.length !== nx * ny * nz) bad(`input holds ${o.input.length} values but dims ${o.dims.join('×')} need ${nx * ny * nz}`);
  if (!o.patchSizeXyz.every((p) => Number.isInteger(p) && p > 0))
    bad(`patch size ${o.patchSizeXyz.join('×')} must be positive integers; check the manifest's input.patchSizeXyz`);
  if (!(o.overlap >= 0 && o.overlap < 1)) bad(`overlap ${o.overlap} must be in [0, 1)`);
  const bs = o.batchSize ?? 1;
  if (!(Number.isInteger(bs) && bs > 0)) bad(`batch size ${bs} must be a positive integer`);
  if (o.sigmaScale !== undefined && !(o.sigmaScale > 0)) bad(`sigmaScale ${o.sigmaScale} must be positive`);
}

/**
 * Run `predict` over the volume in windows and stitch the outputs.
 * @returns channel-major stitched output on the input's grid (see SlidingWindowResult).
 * @throws InferenceError INVALID_INPUT (bad sizes or options), PREDICT_FAILED (predict threw or
 *   returned a size that is not n × C × patch voxels, or C changed between calls), ABORTED
 *   (signal fired; checked before each predict call).
 */
export async function slidingWindowInference(o: SlidingWindowOptions): Promise<SlidingWindowResult> {
  // size has one entry per axis; window, batch and output indices are bounded by their loops, hence the `!`s.
  checkOptions(o);
  const [nx, ny, nz] = o.dims;
  const [px, py, pz] = o.patchSizeXyz;
  const nxy = nx * ny;
  const nVox = nxy * nz;
  const patchVox = px * py * pz;
  const batchSize = o.batchSize ?? 1;
  const padValue = o.padValue ?? 0;
  const xyz = o.layout === 'NCXYZ';
  const tensorSpatial = xyz ? [px, py, pz] : [pz, py, px];

  // Padded sizes and the symmetric padding in front (MONAI: diff // 2 before, the rest after).
  const size = [Math.max(nx, px), Math.max(ny, py), Math.max(nz, pz)];
  const padX = (size[0]! - nx) >> 1;
  const padY = (size[1]! - ny) >> 1;
  const padZ = (size[2]! - nz) >> 1;
  const sx = windowStarts(size[0]!, px, o.overlap);
  const sy = windowStarts(size[1]!, py, o.overlap);
  const sz = windowStarts(size[2]!, pz, o.overlap);
  const windows: Vec3[] = [];
  for (const k of sz) for (const j of sy) for (const i of sx) windows.push([i - padX, j - padY, k - padZ]);

  const weights = sharedImportanceMap(o.patchSizeXyz, o.mode ?? 'gaussian', o.sigmaScale ?? 0.125);
  // The weights' sum per voxel depends on the geometry alone: the same for every phase of a run.
  const sumKey = `${o.dims.join(',')}|${o.patchSizeXyz.join(',')}|${o.overlap}|${o.mode ?? 'gaussian'}|${o.sigmaScale ?? 0.125}`;
  const cachedSum = lastWeightSum?.key === sumKey ? lastWeightSum.sum : null;
  const weightSum = cachedSum ?? new Float32Array(nVox);

  let output: Float32Array | null = null;
  let channels = 0;
  let predictMs = 0;
  let predictCpuMs = 0;
  let batches = 0;
  const input = o.input;
  const batchBuffer = takeScratch(batchSize * patchVox);

  for (let first = 0; first < windows.length; first += batchSize) {
    if (o.signal?.aborted)
      throw new InferenceError('ABORTED', `Sliding-window inference aborted after ${first} of ${windows.length} patches.`, { cause: o.signal.reason });
    const n = Math.min(batchSize, windows.length - first);
    // One buffer for every batch (predict is awaited and its output stitched before the next is
    // filled; every value of a batch is written below, padding included).
    const batch = n === batchSize ? batchBuffer : batchBuffer.subarray(0, n * patchVox);
    for (let b = 0; b < n; b++) {
      const [x0, y0, z0] = windows[first + b]!; // first + b < windows.length
      const base = b * patchVox;
      // The part of the window inside the volume; the rest is padding.
      const i0 = Math.max(0, -x0);
      const i1 = Math.min(px, nx - x0);
      const j0 = Math.max(0, -y0);
      const j1 = Math.min(py, ny - y0);
      const k0 = Math.max(0, -z0);
      const k1 = Math.min(pz, nz - z0);
      if (i0 > 0 || j0 > 0 || k0 > 0 || i1 < px || j1 < py || k1 < pz) batch.fill(padValue, base, base + patchVox);
      for (let k = k0; k < k1; k++)
        for (let j = j0; j < j1; j++) {
          const src = x0 + nx * (y0 + j) + nxy * (z0 + k);
          if (!xyz) batch.set(input.subarray(src + i0, src + i1), base + px * (j + py * k) + i0);
          else for (let i = i0; i < i1; i++) batch[base + k + pz * (j + py * i)] = input[src + i]!;
        }
    }

    const t0 = performance.now();
    const c0 = o.cpuClockMs?.() ?? 0;
    let out: Float32Array;
    try {
      out = await o.predict(batch, [n, 1, ...tensorSpatial]);
    } catch (e) {
      if (e instanceof InferenceError) throw e;
      throw new InferenceError(
        'PREDICT_FAILED',
        `The model failed on patches ${first + 1}–${first + n} of ${windows.length}: ${(e as Error)?.message ?? String(e)}`,
        { cause: e },
      );
    }
    predictMs += performance.now() - t0;
    if (o.cpuClockMs) predictCpuMs += o.cpuClockMs() - c0;
    batches++;

    const c = out.length / (n * patchVox);
    if (!(Number.isInteger(c) && c >= 1) || (channels && c !== channels) || (o.expectedChannels !== undefined && c !== o.expectedChannels))
      throw new InferenceError(
        'PREDICT_FAILED',
        `The model returned ${out.length} values for a batch of ${n} patches of ${tensorSpatial.join('×')}: expected ${n} × ${o.expectedChannels ?? (channels || 'C')} × ${patchVox}. Check the manifest's output channels and patch size against the ONNX model.`,
      );
    if (!output) {
      channels = c;
      // A scratch volume, zeroed: the windows' weighted outputs are added into it.
      output = takeScratch(channels * nVox).fill(0);
    }

    for (let b = 0; b < n; b++) {
      const [x0, y0, z0] = windows[first + b]!; // first + b < windows.length
      const i0 = Math.max(0, -x0);
      const i1 = Math.min(px, nx - x0);
      const j0 = Math.max(0, -y0);
      const j1 = Math.min(py, ny - y0);
      const k0 = Math.max(0, -z0);
      const k1 = Math.min(pz, nz - z0);
      for (let k = k0; k < k1; k++)
        for (let j = j0; j < j1; j++) {
          const dst = x0 + nx * (y0 + j) + nxy * (z0 + k);
          const wRow = px * (j + py * k);
          if (!cachedSum) for (let i = i0; i < i1; i++) weightSum[dst + i]! += weights[wRow + i]!;
          for (let ch = 0; ch < channels; ch++) {
            const outBase = (b * channels + ch) * patchVox;
            const acc = ch * nVox + dst;
            if (!xyz) for (let i = i0; i < i1; i++) output[acc + i]! += weights[wRow + i]! * out[outBase + wRow + i]!;
            else for (let i = i0; i < i1; i++) output[acc + i]! += weights[wRow + i]! * out[outBase + k + pz * (j + py * i)]!;
          }
        }
    }
    o.onProgress?.((first + n) / windows.length);
  }

  giveBackScratch(batchBuffer);
  if (!cachedSum && nVox <= WEIGHT_SUM_CACHE_MAX_VOXELS) lastWeightSum = { key: sumKey, sum: weightSum };
  const result = output!;
  for (let ch = 0; ch < channels; ch++) {
    const off = ch * nVox;
    for (let v = 0; v < nVox; v++) result[off + v]! /= weightSum[v]!;
  }
  return { output: result, channels, windows: windows.length, batches, predictMs, predictCpuMs };
}
