import { type Mask, type Vec3, voxelVolumeCc, xyz } from '@/lib/core/volume';
import { squaredEdtInPlace } from '@/lib/core/metrics/edt';
import { labelComponents26 } from './connected-components';
import { InferenceError } from './errors';
import type { ModelManifest } from './manifest';

export type PostprocessOptions = ModelManifest['postprocess'];

export interface PostprocessResult {
  mask: Mask;
  /** 26-connected components before post-processing. */
  componentsFound: number;
  componentsKept: number;
  /** Voxels in the input mask that the result drops. */
  voxelsRemoved: number;
}

/**
 * `probability ≥ threshold` as a 0/1 array.
 * @throws InferenceError('INVALID_INPUT') for a threshold outside (0, 1).
 */
export function thresholdProbability(probability: ArrayLike<number>, threshold: number): Uint8Array {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  if (!(threshold > 0 && threshold < 1))
    throw new InferenceError('INVALID_INPUT', `Threshold ${threshold} must lie strictly between 0 and 1; check the manifest's output.threshold.`);
  const out = new Uint8Array(probability.length);
  for (let v = 0; v < probability.length; v++) if (probability[v]! >= threshold) out[v] = 1;
  return out;
}

/**
 * Clean a predicted mask by its 26-connected components (labelComponents26):
 * 1. components smaller than `minComponentCc` (voxel count × voxel volume) are removed;
 * 2. then `keep` = 'all' keeps the rest; 'largest' keeps the largest remaining component
 *    (ties: the first in scan order i + nx·(j + ny·k)); 'largest-and-near' also keeps every
 *    remaining component with a voxel centre within `nearLargestMm` (Euclidean, spacing applied)
 *    of a voxel centre of the largest. Distinct 26-components are at least two voxels apart
 *    along some axis, so `nearLargestMm` below twice the smallest spacing keeps only the largest.
 * The input mask is not modified.
 * @throws InferenceError('INVALID_INPUT') when the mask's data and grid disagree or options are negative.
 */
export function postprocessMask(mask: Mask, options: PostprocessOptions): PostprocessResult {
  // Component labels l run 1 … sizes.length, and v < labels.length, hence the `!`s.
  const dims = mask.grid.dims;
  if (!(options.minComponentCc >= 0) || !(options.nearLargestMm >= 0))
    throw new InferenceError(
      'INVALID_INPUT',
      `Post-processing: minComponentCc (${options.minComponentCc}) and nearLargestMm (${options.nearLargestMm}) must be non-negative; check the manifest's postprocess.`,
    );
  const { labels, sizes } = labelComponents26(mask.data, dims);
  const cc = voxelVolumeCc(mask.grid);
  // A relative tolerance so that a component of exactly minComponentCc is kept despite rounding.
  const eligible = sizes.map((n) => n * cc >= options.minComponentCc * (1 - 1e-9));
  const keep = eligible.slice();
  if (options.keep !== 'all') {
    let largest = -1;
    for (let l = 0; l < sizes.length; l++) if (eligible[l] && (largest < 0 || sizes[l]! > sizes[largest]!)) largest = l;
    keep.fill(false);
    if (largest >= 0) {
      keep[largest] = true;
      if (options.keep === 'largest-and-near' && options.nearLargestMm > 0)
        markNear(labels, dims, mask.grid.spacingMm, largest + 1, options.nearLargestMm, eligible, keep);
    }
  }
  const out = new Uint8Array(mask.data.length);
  let removed = 0;
  for (let v = 0; v < out.length; v++) {
    const l = labels[v]!;
    if (l === 0) continue;
    if (keep[l - 1]) out[v] = 1;
    else removed++;
  }
  return {
    mask: { grid: mask.grid, data: out },
    componentsFound: sizes.length,
    componentsKept: keep.filter(Boolean).length,
    voxelsRemoved: removed,
  };
}

/** Sets keep[l − 1] for eligible components within `radiusMm` of component `target`. */
function markNear(
  labels: Int32Array,
  dims: readonly number[],
  spacingMm: readonly number[],
  target: number,
  radiusMm: number,
  eligible: boolean[],
  keep: boolean[],
): void {
  const [nx, ny, nz] = xyz(dims, 'markNear dims');
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (let k = 0, v = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, v++)
        if (labels[v] === target) {
          if (i < lo[0]) lo[0] = i;
          if (i > hi[0]) hi[0] = i;
          if (j < lo[1]) lo[1] = j;
          if (j > hi[1]) hi[1] = j;
          if (k < lo[2]) lo[2] = k;
          if (k > hi[2]) hi[2] = k;
        }
  // Only voxels in the box grown by the radius can be that close.
  const sp = xyz(spacingMm, 'markNear spacingMm');
  const n3: Vec3 = [nx, ny, nz];
  const b0: Vec3 = [0, 0, 0];
  const b1: Vec3 = [0, 0, 0];
  for (const a of [0, 1, 2] as const) {
    const grow = Math.ceil(radiusMm / sp[a]);
    b0[a] = Math.max(0, lo[a] - grow);
    b1[a] = Math.min(n3[a] - 1, hi[a] + grow);
  }
  const bx = b1[0] - b0[0] + 1;
  const by = b1[1] - b0[1] + 1;
  const bz = b1[2] - b0[2] + 1;
  const d2 = new Float64Array(bx * by * bz);
  for (let k = 0, t = 0; k < bz; k++)
    for (let j = 0; j < by; j++) {
      const row = b0[0] + nx * (b0[1] + j + ny * (b0[2] + k));
      for (let i = 0; i < bx; i++, t++) d2[t] = labels[row + i] === target ? 0 : Infinity;
    }
  squaredEdtInPlace(d2, [bx, by, bz], spacingMm);
  // row + i stays inside the grid (the box is clamped to it) and t < bx·by·bz = d2.length.
  const r2 = radiusMm * radiusMm * (1 + 1e-9);
  for (let k = 0, t = 0; k < bz; k++)
    for (let j = 0; j < by; j++) {
      const row = b0[0] + nx * (b0[1] + j + ny * (b0[2] + k));
      for (let i = 0; i < bx; i++, t++) {
        const l = labels[row + i]!;
        if (l !== 0 && l !== target && eligible[l - 1] && d2[t]! <= r2) keep[l - 1] = true;
      }
    }
}
