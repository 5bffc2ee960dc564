/**
 * Resampling between two grids in patient space (any origin, spacing and orthonormal
 * direction): each target voxel centre is mapped to a continuous source index through
 * lib/core/volume.ts's geometry. Trilinear for images and probabilities, nearest neighbour for
 * masks. Reference: scipy.ndimage.map_coordinates (order=1, mode='nearest' for the clamped
 * trilinear; order=0 for nearest), which tests/reference/inference/make_resample_fixture.py
 * uses to produce the fixture these functions are tested against.
 */
import { type Grid, type Mask, type Volume, type VoxelArray, voxelCount } from '@/lib/core/volume';
import { InferenceError } from './errors';
import { giveBackScratch, takeScratch } from './scratch-volumes';

/** src index = b + M · target index (M row-major 3×3). */
interface IndexMap {
  m: number[];
  b: number[];
}

function checkVolume(name: string, v: Volume<VoxelArray>): void {
  const [nx, ny, nz] = v.grid.dims;
  if (![nx, ny, nz].every((n) => Number.isInteger(n) && n > 0))
    throw new InferenceError('INVALID_INPUT', `${name} has dims ${v.grid.dims.join('×')}: every axis needs at least one voxel.`);
  if (v.data.length !== nx * ny * nz)
    throw new InferenceError(
      'INVALID_INPUT',
      `${name} holds ${v.data.length} values but its grid is ${v.grid.dims.join('×')} (${nx * ny * nz}): data and grid disagree.`,
    );
  if (!v.grid.spacingMm.every((s) => Number.isFinite(s) && s > 0))
    throw new InferenceError('INVALID_INPUT', `${name} has spacing ${v.grid.spacingMm.join('×')} mm: every spacing must be positive.`);
}

function checkGrid(name: string, g: Grid): void {
  if (!g.dims.every((n) => Number.isInteger(n) && n > 0) || !g.spacingMm.every((s) => Number.isFinite(s) && s > 0) || g.direction.length !== 9)
    throw new InferenceError(
      'INVALID_INPUT',
      `${name} ${g.dims.join('×')} at ${g.spacingMm.join('×')} mm is not a valid grid (positive dims and spacing, 9 direction values).`,
    );
}

/** The affine map from target voxel index to source continuous index. */
function indexMap(source: Grid, target: Grid): IndexMap {
  // Fixed-size arrays (3-vectors, 3×3 matrices) read at in-range indices, hence the `!`s.
  const ds = source.direction;
  const dt = target.direction;
  const m: number[] = new Array(9);
  const b: number[] = new Array(3);
  const off = [target.originMm[0] - source.originMm[0], target.originMm[1] - source.originMm[1], target.originMm[2] - source.originMm[2]];
  for (let r = 0; r < 3; r++) {
    // Column r of the source direction is source axis r; its dot products give the source index.
    for (let c = 0; c < 3; c++) {
      let dot = 0;
      for (let q = 0; q < 3; q++) dot += ds[3 * q + r]! * dt[3 * q + c]!;
      m[3 * r + c] = (dot * target.spacingMm[c]!) / source.spacingMm[r]!;
    }
    let o = 0;
    for (let q = 0; q < 3; q++) o += ds[3 * q + r]! * off[q]!;
    b[r] = o / source.spacingMm[r]!;
  }
  return { m, b };
}

/**
 * Calls `onRow(values, offset)` for every target row (fixed j, k) with the trilinearly
 * interpolated source values; `values` is reused between calls.
 */
function trilinearRows(
  source: Volume<VoxelArray>,
  target: Grid,
  outsideValue: number | undefined,
  onRow: (values: Float32Array, offset: number) => void,
): void {
  // m is the 3×3 index map and b its offset; other indices are bounded by the loops, hence the `!`s.
  const { m, b } = indexMap(source.grid, target);
  const [sx, sy, sz] = source.grid.dims;
  // One element type in the loop below (an integer CT is exact in float32): V8 then compiles the
  // eight loads of each voxel for that type alone.
  const d = asFloat32(source.data);
  const [tx, ty, tz] = target.dims;
  const row = new Float32Array(tx);
  const rowAt = (offset: number) => onRow(row, offset);
  const o = outsideValue;
  // The same grid (index map exactly the identity) and finite voxels without −0: away from the
  // last voxel centre of each axis every interpolation weight is exactly 0, so the trilinear
  // value is the voxel itself (v + 0·finite = v). Those voxels are copied; the last one of each
  // row, and the rows of the last j and k, go through the formula as before. Same bytes.
  const copy = isIdentityMap(m, b) && finiteWithoutNegativeZero(d);
  for (let k = 0; k < tz; k++) {
    for (let j = 0; j < ty; j++) {
      const bx = b[0]! + m[1]! * j + m[2]! * k;
      const by = b[1]! + m[4]! * j + m[5]! * k;
      const bz = b[2]! + m[7]! * j + m[8]! * k;
      let from = 0;
      if (copy && j < ty - 1 && k < tz - 1) {
        from = tx - 1;
        const src = tx * (j + ty * k);
        if (d instanceof Float32Array) row.set(d.subarray(src, src + from));
        else for (let i = 0; i < from; i++) row[i] = d[src + i]!;
      }
      trilinearRow(d, sx, sy, sz, bx, by, bz, m[0]!, m[3]!, m[6]!, o, row, from);
      rowAt(tx * (j + ty * k));
    }
  }
  if (d !== source.data) giveBackScratch(d as Float32Array);
}

/** The index map is exactly src index = target index (the same grid, computed without rounding). */
function isIdentityMap(m: number[], b: number[]): boolean {
  for (let r = 0; r < 3; r++) {
    if (b[r] !== 0) return false;
    for (let c = 0; c < 3; c++) if (m[3 * r + c] !== (r === c ? 1 : 0)) return false;
  }
  return true;
}

/**
 * Every value finite, of magnitude ≤ 1e300 (so no difference of two overflows) and none −0: the
 * copy shortcut's condition; always true for integer voxels and float32 values.
 */
function finiteWithoutNegativeZero(d: Float32Array | Float64Array): boolean {
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!(v >= -1e300 && v <= 1e300) || (v === 0 && 1 / v < 0)) return false;
  }
  return true;
}

/**
 * `data` as a Float32Array: itself, or a copy of integer voxels (exact; a scratch volume, given
 * back by trilinearRows); Float64 data stays as it is.
 */
function asFloat32(data: VoxelArray): Float32Array | Float64Array {
  if (data instanceof Float32Array || data instanceof Float64Array) return data;
  const copy = takeScratch(data.length);
  copy.set(data as ArrayLike<number>);
  return copy;
}

/** One target row of trilinearRows, from voxel `from` on: target voxel i maps to source index (bx + mx·i, by + my·i, bz + mz·i). */
function trilinearRow(
  d: Float32Array | Float64Array,
  sx: number,
  sy: number,
  sz: number,
  bx: number,
  by: number,
  bz: number,
  mx: number,
  my: number,
  mz: number,
  outsideValue: number | undefined,
  row: Float32Array,
  from = 0,
): void {
  // p and its neighbours lie inside the source (indices clamped below), hence the `!`s.
  const hasOutside = outsideValue !== undefined;
  const outside = outsideValue ?? 0;
  const sxy = sx * sy;
  const di = sx > 1 ? 1 : 0;
  const dj = sy > 1 ? sx : 0;
  const dk = sz > 1 ? sxy : 0;
  const xMax = sx - 1;
  const yMax = sy - 1;
  const zMax = sz - 1;
  const iLast = sx > 1 ? sx - 2 : 0;
  const jLast = sy > 1 ? sy - 2 : 0;
  const kLast = sz > 1 ? sz - 2 : 0;
  const tx = row.length;
  for (let i = from; i < tx; i++) {
    let x = bx + mx * i;
    let y = by + my * i;
    let z = bz + mz * i;
    if (hasOutside && (x < -0.5 || x > sx - 0.5 || y < -0.5 || y > sy - 0.5 || z < -0.5 || z > sz - 0.5)) {
      row[i] = outside;
      continue;
    }
    x = x < 0 ? 0 : x > xMax ? xMax : x;
    y = y < 0 ? 0 : y > yMax ? yMax : y;
    z = z < 0 ? 0 : z > zMax ? zMax : z;
    let i0 = Math.floor(x);
    let j0 = Math.floor(y);
    let k0 = Math.floor(z);
    // At the last voxel centre use the last cell with weight 1 on its far corner.
    if (i0 > sx - 2) i0 = iLast;
    if (j0 > sy - 2) j0 = jLast;
    if (k0 > sz - 2) k0 = kLast;
    const fx = x - i0;
    const fy = y - j0;
    const fz = z - k0;
    const p = i0 + sx * j0 + sxy * k0;
    const d000 = d[p]!;
    const d010 = d[p + dj]!;
    const d001 = d[p + dk]!;
    const d011 = d[p + dk + dj]!;
    const c00 = d000 + fx * (d[p + di]! - d000);
    const c10 = d010 + fx * (d[p + dj + di]! - d010);
    const c01 = d001 + fx * (d[p + dk + di]! - d001);
    const c11 = d011 + fx * (d[p + dk + dj + di]! - d011);
    const c0 = c00 + fy * (c10 - c00);
    const c1 = c01 + fy * (c11 - c01);
    row[i] = c0 + fz * (c1 - c0);
  }
}

export interface ResampleOptions {
  /**
   * Value for target voxel centres outside the source's voxel extent (more than half a voxel
   * beyond the first or last centre on some axis). Default: none, i.e. clamp to the nearest
   * edge voxel (scipy mode='nearest').
   */
  outsideValue?: number;
}

/**
 * Trilinear resampling of an image (e.g. CT in HU) onto `target`.
 * @returns a scratch volume (scratch-volumes.ts: the caller may give it back once done with it): Float32Array values on `target`, index i + nx·(j + ny·k).
 * @throws InferenceError('INVALID_INPUT') when the source's data and grid disagree or a grid is invalid.
 */
export function resampleTrilinear(source: Volume<VoxelArray>, target: Grid, options: ResampleOptions = {}): Volume<Float32Array> {
  checkVolume('Source volume', source);
  checkGrid('Target grid', target);
  // Every value is written below, so a scratch volume's old contents do not matter.
  const out = takeScratch(voxelCount(target));
  trilinearRows(source, target, options.outsideValue, (row, offset) => out.set(row, offset));
  return { grid: cloneGrid(target), data: out };
}

/**
 * Nearest-neighbour resampling of a mask (or label map) onto `target`. Target voxel centres
 * outside the source's voxel extent get 0.
 * @throws InferenceError('INVALID_INPUT') when the source's data and grid disagree or a grid is invalid.
 */
export function resampleNearest(source: Mask, target: Grid): Mask {
  // m is the 3×3 index map and b its offset; other indices are bounded by the loops, hence the `!`s.
  checkVolume('Source mask', source);
  checkGrid('Target grid', target);
  const { m, b } = indexMap(source.grid, target);
  const [sx, sy, sz] = source.grid.dims;
  const [tx, ty, tz] = target.dims;
  const d = source.data;
  const out = new Uint8Array(tx * ty * tz);
  let t = 0;
  for (let k = 0; k < tz; k++)
    for (let j = 0; j < ty; j++) {
      const bx = b[0]! + m[1]! * j + m[2]! * k;
      const by = b[1]! + m[4]! * j + m[5]! * k;
      const bz = b[2]! + m[7]! * j + m[8]! * k;
      for (let i = 0; i < tx; i++, t++) {
        const x = Math.floor(bx + m[0]! * i + 0.5);
        const y = Math.floor(by + m[3]! * i + 0.5);
        const z = Math.floor(bz + m[6]! * i + 0.5);
        if (x < 0 || x >= sx || y < 0 || y >= sy || z < 0 || z >= sz) continue;
        out[t] = d[x + sx * (y + sy * z)]!;
      }
    }
  return { grid: cloneGrid(target), data: out };
}

export interface ProbabilityToMaskResult {
  /** 1 where the interpolated probability ≥ threshold, on `target`. */
  mask: Mask;
  /** Largest interpolated probability on `target` (0 for an empty grid). */
  maxProbability: number;
  /** Mean interpolated probability over the mask's voxels (null when the mask is empty). */
  meanProbabilityInMask: number | null;
  /** Number of voxels in the mask. */
  voxels: number;
}

/**
 * Bring a probability map (on the model grid) back to a native grid: trilinear interpolation,
 * then `probability ≥ threshold`. Thresholding after interpolation gives a smooth boundary at
 * native resolution instead of the staircase of nearest-neighbour upsampling of a mask. The
 * interpolated probabilities are not kept (one row at a time), so a 512×512×200 grid costs only
 * its mask. Native voxel centres beyond the model grid's last centre (possible when the model
 * grid is coarser; see modelGridFor) take the edge value; pass `outsideValue: 0` when `target`
 * may extend well beyond the probability map.
 * @param probability values in [0, 1] on the model grid.
 * @param threshold in (0, 1).
 * @throws InferenceError('INVALID_INPUT') for a bad threshold or inconsistent volume.
 */
export function resampleProbabilityToMask(
  probability: Volume<Float32Array>,
  target: Grid,
  threshold: number,
  options: ResampleOptions = {},
): ProbabilityToMaskResult {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  checkVolume('Probability map', probability);
  checkGrid('Target grid', target);
  if (!(threshold > 0 && threshold < 1))
    throw new InferenceError('INVALID_INPUT', `Threshold ${threshold} must lie strictly between 0 and 1; check the manifest's output.threshold.`);
  const out = new Uint8Array(voxelCount(target));
  let max = 0;
  let sumIn = 0;
  let voxels = 0;
  trilinearRows(probability, target, options.outsideValue, (row, offset) => {
    for (let i = 0; i < row.length; i++) {
      const p = row[i]!;
      if (p > max) max = p;
      if (p >= threshold) {
        out[offset + i] = 1;
        sumIn += p;
        voxels++;
      }
    }
  });
  return { mask: { grid: cloneGrid(target), data: out }, maxProbability: max, meanProbabilityInMask: voxels > 0 ? sumIn / voxels : null, voxels };
}

function cloneGrid(g: Grid): Grid {
  return { dims: [...g.dims], spacingMm: [...g.spacingMm], originMm: [...g.originMm], direction: [...g.direction] };
}
