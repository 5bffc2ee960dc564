/**
 * Dose on another grid: trilinear interpolation of a dose grid at points in patient space
 * (DICOM LPS, mm). Pure; no I/O.
 *
 * The dose grid is a `Volume<Float32Array>` of dose values (Gy, or the dose file's units) at
 * voxel centres; its direction may be any orthonormal frame (RTDOSE grids are normally axis
 * aligned). A point's continuous dose-grid index (u, v, w) is `patientMmToIndex`; the value is
 * the trilinear blend of the 8 surrounding centres. The grid's support is the box of its outer
 * voxel centres, [0, n−1] on each axis (within 1e-6 voxel): a point outside it gets dose 0 and is
 * counted as outside (the caller reports how much of a structure lay outside the dose grid).
 * An axis with one voxel (a single-frame dose) only contains points on its plane (within 1e-6
 * voxel). This is scipy's RegularGridInterpolator(method='linear', bounds_error=False,
 * fill_value=0) on the centres, and it reproduces a constant and a linear field exactly.
 */
import { type Grid, type Mask, type Vec3, type Volume, patientMmToIndex } from '@/lib/core/volume';
import { DoseError } from './errors';

const EPS = 1e-6;

export interface DoseSamples {
  /** Dose at each included point, in the dose grid's units. */
  doses: Float32Array;
  /** How many of the points were outside the dose grid (their dose is 0 and they are included). */
  outside: number;
}

/** Affine map from a grid's voxel index (i, j, k) to a dose grid's continuous index (u, v, w). */
function indexToDoseIndex(from: Grid, dose: Grid): { at: (i: number, j: number, k: number) => Vec3; coef: number[] } {
  const o = patientMmToIndex(dose, [from.originMm[0], from.originMm[1], from.originMm[2]]);
  const d = from.direction;
  const s = from.spacingMm;
  // Patient-space step of one voxel along i, j, k, mapped into dose index steps.
  const step = (axis: 0 | 1 | 2): Vec3 => {
    const p: Vec3 = [from.originMm[0] + d[axis]! * s[axis], from.originMm[1] + d[3 + axis]! * s[axis], from.originMm[2] + d[6 + axis]! * s[axis]];
    const q = patientMmToIndex(dose, p);
    return [q[0] - o[0], q[1] - o[1], q[2] - o[2]];
  };
  const si = step(0);
  const sj = step(1);
  const sk = step(2);
  const coef = [o[0], si[0], sj[0], sk[0], o[1], si[1], sj[1], sk[1], o[2], si[2], sj[2], sk[2]];
  return {
    coef,
    at: (i, j, k) => [o[0] + si[0] * i + sj[0] * j + sk[0] * k, o[1] + si[1] * i + sj[1] * j + sk[1] * k, o[2] + si[2] * i + sj[2] * j + sk[2] * k],
  };
}

function checkDose(dose: Volume<Float32Array>): void {
  const [nx, ny, nz] = dose.grid.dims;
  if (dose.data.length !== nx * ny * nz)
    throw new DoseError(`The dose grid is ${nx}×${ny}×${nz} (${nx * ny * nz} voxels) but holds ${dose.data.length} values: check how the dose was read.`);
}

/**
 * Trilinear dose at a continuous dose-grid index; NaN when outside the grid's support.
 * Exposed for tests and for sampling single points (e.g. a dose reference point).
 */
export function doseAtIndex(dose: Volume<Float32Array>, u: number, v: number, w: number): number {
  const [nx, ny, nz] = dose.grid.dims;
  if (!(u >= -EPS && u <= nx - 1 + EPS && v >= -EPS && v <= ny - 1 + EPS && w >= -EPS && w <= nz - 1 + EPS)) return NaN;
  const data = dose.data;
  const clampCell = (x: number, n: number): [number, number] => {
    if (n === 1) return [0, 0];
    let c = Math.floor(x);
    if (c < 0) c = 0;
    if (c > n - 2) c = n - 2;
    let f = x - c;
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    return [c, f];
  };
  const [i0, fx] = clampCell(u, nx);
  const [j0, fy] = clampCell(v, ny);
  const [k0, fz] = clampCell(w, nz);
  const dx = nx > 1 ? 1 : 0;
  const dy = ny > 1 ? nx : 0;
  const dz = nz > 1 ? nx * ny : 0;
  const b = i0 + nx * (j0 + ny * k0);
  const c00 = data[b]! * (1 - fx) + data[b + dx]! * fx;
  const c10 = data[b + dy]! * (1 - fx) + data[b + dy + dx]! * fx;
  const c01 = data[b + dz]! * (1 - fx) + data[b + dz + dx]! * fx;
  const c11 = data[b + dz + dy]! * (1 - fx) + data[b + dz + dy + dx]! * fx;
  const c0 = c00 * (1 - fy) + c10 * fy;
  const c1 = c01 * (1 - fy) + c11 * fy;
  return c0 * (1 - fz) + c1 * fz;
}

/** Trilinear dose at a patient position (mm); 0 outside the grid's support. */
export function doseAtPointMm(dose: Volume<Float32Array>, p: Vec3): number {
  checkDose(dose);
  const [u, v, w] = patientMmToIndex(dose.grid, p);
  const d = doseAtIndex(dose, u, v, w);
  return Number.isNaN(d) ? 0 : d;
}

/** An index box (inclusive) holding every set voxel of a mask, e.g. the rasteriser's report.bounds. */
export interface MaskBounds {
  min: readonly [number, number, number];
  max: readonly [number, number, number];
}

/**
 * Where the set voxels of a mask lie, row by row (a row = the voxels along i at one (j, k)):
 * `count` set voxels in all; row r = j + ny·k holds set voxels only in [from[r], to[r]) (from = to
 * when the row is empty). One pass over the mask (over `bounds` only, when given), 4 voxels at a
 * time where the rows are 4-byte aligned (most of a structure's bounding volume is empty).
 */
function maskRows(mask: Mask, bounds?: MaskBounds | null): { count: number; from: Int32Array; to: Int32Array } {
  const [nx, ny, nz] = mask.grid.dims;
  const m = mask.data;
  const from = new Int32Array(ny * nz);
  const to = new Int32Array(ny * nz);
  let count = 0;
  if (bounds === null) return { count, from, to };
  const clamp = (v: number, n: number) => Math.max(0, Math.min(n - 1, Math.floor(v)));
  const [i0, j0, k0] = bounds ? [clamp(bounds.min[0], nx), clamp(bounds.min[1], ny), clamp(bounds.min[2], nz)] : [0, 0, 0];
  const [i1, j1, k1] = bounds ? [clamp(bounds.max[0], nx), clamp(bounds.max[1], ny), clamp(bounds.max[2], nz)] : [nx - 1, ny - 1, nz - 1];
  const aligned = nx % 4 === 0 && m.byteOffset % 4 === 0;
  const w32 = aligned ? new Uint32Array(m.buffer, m.byteOffset, m.length >> 2) : null;
  const wordsPerRow = nx >> 2;
  const q0 = i0 >> 2;
  const q1 = i1 >> 2;
  for (let k = k0; k <= k1; k++)
    for (let j = j0; j <= j1; j++) {
      const r = j + ny * k;
      let first = -1;
      let last = -1;
      if (w32) {
        const w0 = r * wordsPerRow;
        for (let q = q0; q <= q1; q++) {
          const w = w32[w0 + q]!;
          if (w === 0) continue;
          if (first < 0) first = 4 * q;
          last = 4 * q + 3;
          // Bytes of 0 and 1 (a rasterised mask): their sum is the top byte of w × 0x01010101.
          if ((w & 0xfefefefe) === 0) count += Math.imul(w, 0x01010101) >>> 24;
          else for (let b = 4 * (w0 + q), e = b + 4; b < e; b++) if (m[b]) count++;
        }
      } else {
        const row = r * nx;
        for (let x = i0; x <= i1; x++)
          if (m[row + x]) {
            if (first < 0) first = x;
            last = x;
            count++;
          }
      }
      if (first >= 0) {
        from[r] = first;
        to[r] = last + 1;
      }
    }
  return { count, from, to };
}

/**
 * The dose at the centre of every voxel of `mask` that is set (in index order), by trilinear
 * interpolation of `dose` (the `iseg` convention: dose sampled at the CT voxels of the structure).
 *
 * When the two grids are axis-aligned with each other (the usual CT and RTDOSE: a dose index
 * depends on one CT index only), the interpolation is separable: the dose column (cell and
 * fraction along the dose grid's first axis) of each CT column is computed once, and per CT row
 * the dose rows around it are blended along the other two axes once, so that each voxel is one
 * linear blend of that row. Otherwise every voxel is interpolated on its own. Either way the
 * rows without set voxels are skipped (maskRows). Same values as `doseAtIndex` up to float
 * rounding (the order of the three blends differs).
 *
 * `bounds`, when given, must hold every set voxel (the rasteriser's report.bounds does): only
 * that box of the mask is read; null = an empty mask.
 */
export function sampleDoseInMask(dose: Volume<Float32Array>, mask: Mask, bounds?: MaskBounds | null): DoseSamples {
  checkDose(dose);
  const [nx, ny, nz] = mask.grid.dims;
  const m = mask.data;
  if (m.length !== nx * ny * nz) throw new DoseError(`The mask is ${nx}×${ny}×${nz} but holds ${m.length} values.`);
  const { coef } = indexToDoseIndex(mask.grid, dose.grid);
  const [ou, ui, uj, uk, ov, vi, vj, vk, ow, wi, wj, wk] = coef as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const [dx, dy, dz] = dose.grid.dims;
  const D = dose.data;
  const sx = dx > 1 ? 1 : 0;
  const sy = dy > 1 ? dx : 0;
  const sz = dz > 1 ? dx * dy : 0;
  const maxU = dx - 1 + EPS;
  const maxV = dy - 1 + EPS;
  const maxW = dz - 1 + EPS;
  const cu = Math.max(0, dx - 2);
  const cv = Math.max(0, dy - 2);
  const cw = Math.max(0, dz - 2);
  const { count, from, to } = maskRows(mask, bounds);
  const out = new Float32Array(count);
  let t = 0;
  let outside = 0;

  if (uj === 0 && uk === 0 && vi === 0 && wi === 0) {
    // Separable. Per CT column x: the dose cell i0 (clamped as below), the next column, the
    // fraction, and whether u is inside the support.
    const I0 = new Int32Array(nx);
    const FX = new Float64Array(nx);
    const IN = new Uint8Array(nx);
    for (let x = 0; x < nx; x++) {
      const u = ou + ui * x;
      IN[x] = u >= -EPS && u <= maxU ? 1 : 0;
      let i0 = Math.floor(u);
      if (i0 < 0) i0 = 0;
      else if (i0 > cu) i0 = cu;
      let fx = sx ? u - i0 : 0;
      if (fx < 0) fx = 0;
      else if (fx > 1) fx = 1;
      I0[x] = i0;
      FX[x] = fx;
    }
    const R = new Float64Array(dx + 1);
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++) {
        const r = j + ny * k;
        const x0 = from[r]!;
        const x1 = to[r]!;
        if (x0 === x1) continue;
        const row = r * nx;
        const v = ov + vj * j + vk * k;
        const w = ow + wj * j + wk * k;
        if (!(v >= -EPS && v <= maxV && w >= -EPS && w <= maxW)) {
          for (let x = x0; x < x1; x++)
            if (m[row + x]) {
              outside++;
              out[t++] = 0;
            }
          continue;
        }
        let j0 = Math.floor(v);
        let k0 = Math.floor(w);
        if (j0 < 0) j0 = 0;
        else if (j0 > cv) j0 = cv;
        if (k0 < 0) k0 = 0;
        else if (k0 > cw) k0 = cw;
        let fy = sy ? v - j0 : 0;
        let fz = sz ? w - k0 : 0;
        if (fy < 0) fy = 0;
        else if (fy > 1) fy = 1;
        if (fz < 0) fz = 0;
        else if (fz > 1) fz = 1;
        // The dose columns this row's set voxels use (I0 is monotone in x).
        const ia = I0[x0]!;
        const ib = I0[x1 - 1]!;
        const lo = ia < ib ? ia : ib;
        const hi = (ia < ib ? ib : ia) + sx;
        const b = dx * (j0 + dy * k0);
        for (let i = lo; i <= hi; i++) {
          const p = b + i;
          const e0 = D[p]! + (D[p + sy]! - D[p]!) * fy;
          const e1 = D[p + sz]! + (D[p + sz + sy]! - D[p + sz]!) * fy;
          R[i] = e0 + (e1 - e0) * fz;
        }
        for (let x = x0; x < x1; x++) {
          if (!m[row + x]) continue;
          if (IN[x]) {
            const i0 = I0[x]!;
            const a = R[i0]!;
            out[t++] = a + (R[i0 + sx]! - a) * FX[x]!;
          } else {
            outside++;
            out[t++] = 0;
          }
        }
      }
    return { doses: out, outside };
  }

  const sample = (x: number, bu: number, bv: number, bw: number) => {
    const u = bu + ui * x;
    const v = bv + vi * x;
    const w = bw + wi * x;
    if (!(u >= -EPS && u <= maxU && v >= -EPS && v <= maxV && w >= -EPS && w <= maxW)) {
      outside++;
      out[t++] = 0;
      return;
    }
    let i0 = Math.floor(u);
    let j0 = Math.floor(v);
    let k0 = Math.floor(w);
    if (i0 < 0) i0 = 0;
    else if (i0 > cu) i0 = cu;
    if (j0 < 0) j0 = 0;
    else if (j0 > cv) j0 = cv;
    if (k0 < 0) k0 = 0;
    else if (k0 > cw) k0 = cw;
    let fx = sx ? u - i0 : 0;
    let fy = sy ? v - j0 : 0;
    let fz = sz ? w - k0 : 0;
    if (fx < 0) fx = 0;
    else if (fx > 1) fx = 1;
    if (fy < 0) fy = 0;
    else if (fy > 1) fy = 1;
    if (fz < 0) fz = 0;
    else if (fz > 1) fz = 1;
    const b = i0 + dx * (j0 + dy * k0);
    const c00 = D[b]! + (D[b + sx]! - D[b]!) * fx;
    const c10 = D[b + sy]! + (D[b + sy + sx]! - D[b + sy]!) * fx;
    const c01 = D[b + sz]! + (D[b + sz + sx]! - D[b + sz]!) * fx;
    const c11 = D[b + sz + sy]! + (D[b + sz + sy + sx]! - D[b + sz + sy]!) * fx;
    const c0 = c00 + (c10 - c00) * fy;
    const c1 = c01 + (c11 - c01) * fy;
    out[t++] = c0 + (c1 - c0) * fz;
  };
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      const r = j + ny * k;
      const row = r * nx;
      const bu = ou + uj * j + uk * k;
      const bv = ov + vj * j + vk * k;
      const bw = ow + wj * j + wk * k;
      for (let x = from[r]!, x1 = to[r]!; x < x1; x++) if (m[row + x]) sample(x, bu, bv, bw);
    }
  return { doses: out, outside };
}

/**
 * The dose of every dose-grid voxel whose centre falls in a set voxel of `mask` (nearest CT voxel:
 * the `dose-grid` convention, the structure resampled onto the dose grid with nearest neighbour).
 * No interpolation of the dose; dose voxels whose centre is outside the CT grid are never in the
 * structure.
 */
export function doseVoxelsInMask(dose: Volume<Float32Array>, mask: Mask): DoseSamples {
  checkDose(dose);
  const [mx, my, mz] = mask.grid.dims;
  const [nx, ny, nz] = dose.grid.dims;
  const { at } = indexToDoseIndex(dose.grid, mask.grid);
  const out: number[] = [];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      const [a0, b0, c0] = at(0, j, k);
      const [a1, b1, c1] = at(1, j, k);
      const da = a1 - a0;
      const db = b1 - b0;
      const dc = c1 - c0;
      for (let i = 0; i < nx; i++) {
        // Half-open rounding (floor(x + 0.5)), as ITK's nearest-neighbour interpolator.
        const ci = Math.floor(a0 + da * i + 0.5);
        const cj = Math.floor(b0 + db * i + 0.5);
        const ck = Math.floor(c0 + dc * i + 0.5);
        if (ci < 0 || cj < 0 || ck < 0 || ci >= mx || cj >= my || ck >= mz) continue;
        if (mask.data[ci + mx * (cj + my * ck)]) out.push(dose.data[i + nx * (j + ny * k)]!);
      }
    }
  return { doses: Float32Array.from(out), outside: 0 };
}
