import type { Grid } from '@/lib/core/volume';
import { boundingBox, unionBox } from './bbox';
import { squaredEdtInPlace } from './edt';
import { MetricsError } from './errors';
import { validateMaskPair } from './validate';

export interface AddedPathLengthResult {
  /** Total added path length (mm) over all slices. */
  addedPathLengthMm: number;
  /** Total reference contour length (mm) by the same pixel measure, for a relative APL. */
  referencePathLengthMm: number;
  /** Per-slice APL (mm), indexed by slice k over the whole grid (0 where nothing is added). */
  perSliceMm: Float64Array;
  toleranceMm: number;
}

/**
 * Added path length (Vaassen et al., "Evaluation of measures for assessing time-saving of
 * automatic organ-at-risk segmentation in radiotherapy", phiRO 13:1–6, 2020), pixel form as in
 * platipy:
 *
 *   APL = Σ_k ℓ · #{ p ∈ ∂R_k : d_k(p, ∂T_k) > toleranceMm }
 *
 * - R_k, T_k: slice k (fixed k, axial for a CT grid) of the reference and test masks.
 * - ∂M_k: the in-slice contour pixels of M_k, i.e. pixels of M_k with at least one of their 4
 *   in-slice neighbours outside M_k (outside the grid counts as outside).
 * - d_k(p, ∂T_k): in-slice Euclidean distance (mm) between pixel centres from p to the nearest
 *   pixel of ∂T_k; +∞ when T_k is empty, so a reference contour on a slice the machine left
 *   empty counts in full.
 * - ℓ = (sx + sy) / 2: the length (mm) credited to one contour pixel.
 *
 * It estimates the length of reference contour a physician would have to draw to correct the
 * test contour. Reference = physician, test = machine.
 * @param toleranceMm distance (mm) within which a contour pixel needs no edit (≥ 0)
 * @throws MetricsError INVALID_INPUT on a bad grid, mismatched lengths or a bad tolerance.
 */
export function computeAddedPathLength(options: { reference: Uint8Array; test: Uint8Array; grid: Grid; toleranceMm: number }): AddedPathLengthResult {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const { reference, test, grid, toleranceMm } = options;
  validateMaskPair(reference, test, grid);
  if (!Number.isFinite(toleranceMm) || toleranceMm < 0) {
    throw new MetricsError('INVALID_INPUT', `toleranceMm is ${toleranceMm}; it must be a finite number ≥ 0 mm`);
  }
  const [nx, ny, nz] = grid.dims;
  const perSliceMm = new Float64Array(nz);
  const box = unionBox(boundingBox(grid.dims, reference), boundingBox(grid.dims, test));
  const pixelMm = (grid.spacingMm[0] + grid.spacingMm[1]) / 2;
  let total = 0;
  let refTotal = 0;
  if (box) {
    const cx = box.hi[0] - box.lo[0] + 1;
    const cy = box.hi[1] - box.lo[1] + 1;
    const dist = new Float64Array(cx * cy);
    const tol2 = toleranceMm * toleranceMm;
    for (let k = box.lo[2]; k <= box.hi[2]; k++) {
      let anyTest = false;
      dist.fill(Infinity);
      for (let j = 0; j < cy; j++) {
        for (let i = 0; i < cx; i++) {
          if (contourPixel(test, nx, ny, box.lo[0] + i, box.lo[1] + j, k)) {
            dist[i + cx * j] = 0;
            anyTest = true;
          }
        }
      }
      if (anyTest) squaredEdtInPlace(dist, [cx, cy, 1], grid.spacingMm);
      let added = 0;
      let refCount = 0;
      for (let j = 0; j < cy; j++) {
        for (let i = 0; i < cx; i++) {
          if (!contourPixel(reference, nx, ny, box.lo[0] + i, box.lo[1] + j, k)) continue;
          refCount++;
          // Compare squared distances; for the tolerance itself (d = τ) nothing is added.
          if (dist[i + cx * j]! > tol2 && Math.sqrt(dist[i + cx * j]!) > toleranceMm) added++;
        }
      }
      perSliceMm[k] = added * pixelMm;
      total += added * pixelMm;
      refTotal += refCount * pixelMm;
    }
  }
  return { addedPathLengthMm: total, referencePathLengthMm: refTotal, perSliceMm, toleranceMm };
}

function contourPixel(m: Uint8Array, nx: number, ny: number, i: number, j: number, k: number): boolean {
  const p = i + nx * (j + ny * k);
  if (m[p] === 0) return false;
  return i === 0 || m[p - 1] === 0 || i === nx - 1 || m[p + 1] === 0 || j === 0 || m[p - nx] === 0 || j === ny - 1 || m[p + nx] === 0;
}
