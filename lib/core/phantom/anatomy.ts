/**
 * Thorax anatomy of the phantom, in patient mm (LPS: +x patient left, +y posterior,
 * +z superior), and its CT rendering for one respiratory phase.
 *
 * Body: elliptical cylinder with a subcutaneous fat layer. Lungs: two ellipsoids whose inferior
 * half lengthens with inspiration (diaphragm excursion) and darkens (more air). Spine: a
 * vertebral body with a posterior arch around a spinal canal.
 */
import type { Grid, Vec3 } from '@/lib/core/volume';
import { insideUnion, type Ellipsoid } from './tumour';
import type { Rng } from './prng';

/** CT numbers (HU) used for each tissue. */
export const TISSUE_HU = {
  air: -1000,
  fat: -100,
  softTissue: 40,
  lungExhale: -780,
  lungInhale: -840,
  bone: 700,
  csf: 15,
  tumour: 35,
} as const;

export interface Lung {
  /** Centre (mm, LPS). */
  centreMm: Vec3;
  /** Semi-axes across (x) and front-to-back (y), mm. */
  semiAxesXyMm: [number, number];
  /** Superior and (exhale) inferior semi-axis, mm. */
  superiorMm: number;
  inferiorMm: number;
}

export interface Anatomy {
  bodyCentreMm: [number, number];
  bodySemiAxesMm: [number, number];
  fatThicknessMm: number;
  /** [right lung (−x), left lung (+x)]. */
  lungs: [Lung, Lung];
  /** Extra inferior lung length at end-inhale (mm). */
  diaphragmExcursionMm: number;
  spineCentreMm: [number, number];
  vertebralRadiusMm: number;
  canalCentreMm: [number, number];
  canalRadiusMm: number;
  archRadiusMm: number;
}

/**
 * Anatomy scaled to the grid's field of view (assumes an axial grid, identity direction), times
 * a per-patient `bodyScale` (about 0.85–1.05).
 */
export function buildAnatomy(grid: Grid, bodyScale: number, diaphragmExcursionMm: number): Anatomy {
  // fov has one entry per axis, hence the `!`s.
  const [nx, ny, nz] = grid.dims;
  const [sx, sy, sz] = grid.spacingMm;
  const c: Vec3 = [grid.originMm[0] + ((nx - 1) / 2) * sx, grid.originMm[1] + ((ny - 1) / 2) * sy, grid.originMm[2] + ((nz - 1) / 2) * sz];
  const fov = [nx * sx, ny * sy, nz * sz];
  const bx = 0.45 * fov[0]! * bodyScale;
  const by = 0.33 * fov[1]! * bodyScale;
  const lung = (side: -1 | 1): Lung => ({
    centreMm: [c[0] + side * 0.47 * bx, c[1] - 0.06 * by, c[2] + 0.05 * fov[2]!],
    semiAxesXyMm: [0.33 * bx, 0.62 * by],
    superiorMm: 0.42 * fov[2]!,
    inferiorMm: 0.3 * fov[2]!,
  });
  const spineY = c[1] + 0.55 * by;
  const vr = 0.12 * by;
  const canalR = 0.45 * vr;
  return {
    bodyCentreMm: [c[0], c[1]],
    bodySemiAxesMm: [bx, by],
    fatThicknessMm: 0.06 * by,
    lungs: [lung(-1), lung(1)],
    diaphragmExcursionMm,
    spineCentreMm: [c[0], spineY],
    vertebralRadiusMm: vr,
    canalCentreMm: [c[0], spineY + vr + canalR * 1.1],
    canalRadiusMm: canalR,
    archRadiusMm: canalR + 0.35 * vr,
  };
}

/** Which lung (0 right, 1 left) contains the point at inspiration fraction f, or −1. */
export function lungAt(anatomy: Anatomy, x: number, y: number, z: number, f: number): number {
  // Two lungs: n < 2 = anatomy.lungs.length.
  for (let n = 0; n < 2; n++) {
    const l = anatomy.lungs[n]!;
    const u = (x - l.centreMm[0]) / l.semiAxesXyMm[0];
    const v = (y - l.centreMm[1]) / l.semiAxesXyMm[1];
    const dz = z - l.centreMm[2];
    const cz = dz >= 0 ? l.superiorMm : l.inferiorMm + anatomy.diaphragmExcursionMm * f;
    const w = dz / cz;
    if (u * u + v * v + w * w <= 1) return n;
  }
  return -1;
}

/** Tissue CT number (HU, no tumour, no noise) at a point at inspiration fraction f. */
export function backgroundHu(anatomy: Anatomy, x: number, y: number, z: number, f: number): number {
  const bx = (x - anatomy.bodyCentreMm[0]) / anatomy.bodySemiAxesMm[0];
  const by = (y - anatomy.bodyCentreMm[1]) / anatomy.bodySemiAxesMm[1];
  if (bx * bx + by * by > 1) return TISSUE_HU.air;
  const t = anatomy.fatThicknessMm;
  const ix = (x - anatomy.bodyCentreMm[0]) / (anatomy.bodySemiAxesMm[0] - t);
  const iy = (y - anatomy.bodyCentreMm[1]) / (anatomy.bodySemiAxesMm[1] - t);
  if (ix * ix + iy * iy > 1) return TISSUE_HU.fat;
  if (lungAt(anatomy, x, y, z, f) >= 0) return TISSUE_HU.lungExhale + (TISSUE_HU.lungInhale - TISSUE_HU.lungExhale) * f;
  const [scx, scy] = anatomy.spineCentreMm;
  if ((x - scx) ** 2 + (y - scy) ** 2 <= anatomy.vertebralRadiusMm ** 2) return TISSUE_HU.bone;
  const [ccx, ccy] = anatomy.canalCentreMm;
  const r2 = (x - ccx) ** 2 + (y - ccy) ** 2;
  if (r2 <= anatomy.canalRadiusMm ** 2) return TISSUE_HU.csf;
  if (r2 <= anatomy.archRadiusMm ** 2) return TISSUE_HU.bone;
  return TISSUE_HU.softTissue;
}

export interface RenderPhaseInput {
  grid: Grid;
  anatomy: Anatomy;
  /** Inspiration fraction (0 exhale … 1 inhale). */
  fraction: number;
  /** Tumour ellipsoids, relative to `tumourCentreMm`. */
  tumour: readonly Ellipsoid[];
  tumourCentreMm: Vec3;
  tumourBoundingRadiusMm: number;
  noiseSigmaHu: number;
  rng: Rng;
}

/**
 * CT image (HU, Int16Array in our index order) of one phase: anatomy, the tumour with partial
 * volume (3×3×3 sub-samples per voxel near it), then Gaussian noise; clamped to [−1024, 3071].
 */
export function renderCtPhase(input: RenderPhaseInput): Int16Array {
  const { grid, anatomy, fraction, rng } = input;
  const [nx, ny, nz] = grid.dims;
  const [sx, sy, sz] = grid.spacingMm;
  const [ox, oy, oz] = grid.originMm;
  const out = new Int16Array(nx * ny * nz);
  const [tcx, tcy, tcz] = input.tumourCentreMm;
  const tr = input.tumourBoundingRadiusMm + Math.max(sx, sy, sz);
  for (let k = 0; k < nz; k++) {
    const z = oz + k * sz;
    for (let j = 0; j < ny; j++) {
      const y = oy + j * sy;
      for (let i = 0; i < nx; i++) {
        const x = ox + i * sx;
        let hu = backgroundHu(anatomy, x, y, z, fraction);
        if (Math.abs(x - tcx) <= tr && Math.abs(y - tcy) <= tr && Math.abs(z - tcz) <= tr) {
          let inside = 0;
          for (let c = -1; c <= 1; c++)
            for (let b = -1; b <= 1; b++)
              for (let a = -1; a <= 1; a++) {
                if (insideUnion(input.tumour, x + (a * sx) / 3 - tcx, y + (b * sy) / 3 - tcy, z + (c * sz) / 3 - tcz)) inside++;
              }
          const occ = inside / 27;
          hu = (1 - occ) * hu + occ * TISSUE_HU.tumour;
        }
        const v = Math.round(hu + input.noiseSigmaHu * rng.normal());
        out[i + nx * (j + ny * k)] = v < -1024 ? -1024 : v > 3071 ? 3071 : v;
      }
    }
  }
  return out;
}

/** Ground-truth tumour mask: voxel centres inside the (displaced) tumour. */
export function tumourMask(grid: Grid, tumour: readonly Ellipsoid[], centreMm: Vec3, boundingRadiusMm: number): Uint8Array {
  const [nx, ny, nz] = grid.dims;
  const [sx, sy, sz] = grid.spacingMm;
  const [ox, oy, oz] = grid.originMm;
  const out = new Uint8Array(nx * ny * nz);
  const lo = (axis: 0 | 1 | 2, o: number, s: number) => Math.max(0, Math.floor((centreMm[axis] - boundingRadiusMm - o) / s));
  const hi = (axis: 0 | 1 | 2, o: number, s: number, n: number) => Math.min(n - 1, Math.ceil((centreMm[axis] + boundingRadiusMm - o) / s));
  for (let k = lo(2, oz, sz); k <= hi(2, oz, sz, nz); k++) {
    for (let j = lo(1, oy, sy); j <= hi(1, oy, sy, ny); j++) {
      for (let i = lo(0, ox, sx); i <= hi(0, ox, sx, nx); i++) {
        if (insideUnion(tumour, ox + i * sx - centreMm[0], oy + j * sy - centreMm[1], oz + k * sz - centreMm[2])) {
          out[i + nx * (j + ny * k)] = 1;
        }
      }
    }
  }
  return out;
}
