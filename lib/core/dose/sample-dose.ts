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

/**
 * The dose at the centre of every voxel of `mask` that is set (in index order), by trilinear
 * interpolation of `dose` (the `iseg` convention: dose sampled at the CT voxels of the structure).
 * One pass over the mask; the interpolation is inlined (this runs on millions of voxels).
 */
export function sampleDoseInMask(dose: Volume<Float32Array>, mask: Mask): DoseSamples {
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
  // Count the set voxels first (a cheap word scan) so the output is allocated once.
  const aligned = nx % 4 === 0 && m.byteOffset % 4 === 0;
  const w32 = aligned ? new Uint32Array(m.buffer, m.byteOffset, m.length / 4) : null;
  let count = 0;
  if (w32) {
    for (let q = 0; q < w32.length; q++) if (w32[q] !== 0) for (let r = 0; r < 4; r++) if (m[4 * q + r]) count++;
  } else for (let q = 0; q < m.length; q++) if (m[q]) count++;
  const out = new Float32Array(count);
  let t = 0;
  let outside = 0;
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
  // Row by row, in index order. When rows are 4-byte aligned, empty runs are skipped 4 voxels at a
  // time (most of a structure's bounding volume is empty).
  const wordsPerRow = nx / 4;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) {
      const row = (k * ny + j) * nx;
      const bu = ou + uj * j + uk * k;
      const bv = ov + vj * j + vk * k;
      const bw = ow + wj * j + wk * k;
      if (w32) {
        const wr = row / 4;
        for (let q = 0; q < wordsPerRow; q++) {
          if (w32[wr + q] === 0) continue;
          for (let r = 0; r < 4; r++) if (m[row + 4 * q + r]) sample(4 * q + r, bu, bv, bw);
        }
      } else for (let x = 0; x < nx; x++) if (m[row + x]) sample(x, bu, bv, bw);
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
