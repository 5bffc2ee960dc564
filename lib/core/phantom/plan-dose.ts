/**
 * The planned dose of a synthetic patient (docs/dose-cohort.md, "Demo cohort"): a prescription and
 * fractionation, and a conformal dose around the physician ITV with an erf fall-off and a
 * low-dose bath. Some plans are deliberately tight (the 95 % isodose on the physician ITV's edge),
 * so tumour the physician left out is under-dosed; generous plans cover it with a margin.
 *
 * Dose model, d = signed Euclidean distance (mm): outside the physician ITV, from a voxel centre to
 * the nearest ITV voxel centre; inside, minus the distance to the nearest voxel outside (so the
 * ITV's edge voxels are at −1 voxel and the 95 % isodose of a margin-0 plan runs between them and
 * the first voxels outside); m = the plan's coverage margin, σ = the fall-off width:
 *   D(d) = Rx · [ b · exp(−max(0, d − m) / L) + (h − b) · Φ((m − d)/σ + z) ]
 * with h = 1.04 (hot spot inside the target), b = 0.12 (low-dose bath), L = 40 mm (bath decay)
 * and z chosen so that D(m) = 0.95 Rx exactly: the 95 % isodose lies m mm outside the physician
 * ITV. The 80 %–20 % fall-off is about 1.7 σ wide (σ 3–4.7 mm: 5–8 mm).
 *
 * Pure and deterministic: the plan of a patient is drawn from its own stream
 * (`<patient seed>/plan`), so adding it changed none of the patient's other draws.
 */
import type { Mask, Vec3, Volume } from '@/lib/core/volume';
import { squaredEdtInPlace } from '@/lib/core/metrics/edt';
import { pnorm } from '@/lib/core/survival/distributions';
import { createRng } from './prng';

export const PLAN_DOSE_MODEL = {
  /** h: dose inside the target, fraction of Rx. */
  hotFraction: 1.04,
  /** b: low-dose bath, fraction of Rx. */
  bathFraction: 0.12,
  /** L: decay length of the bath beyond the margin (mm). */
  bathDecayMm: 40,
  /** Share of plans drawn tight (coverage margin −0.5…0.5 mm). */
  tightProbability: 0.4,
  /** Coverage margin of the other plans (mm). */
  generousMarginMm: [4, 7] as const,
  /** σ of the erf fall-off (mm). */
  falloffSigmaMm: [3, 4.7] as const,
  /** Lung SBRT schemes (total Gy, fractions). */
  schemes: [
    { prescriptionGy: 54, fractions: 3 },
    { prescriptionGy: 48, fractions: 4 },
    { prescriptionGy: 50, fractions: 5 },
    { prescriptionGy: 60, fractions: 8 },
  ] as const,
} as const;

export interface PhantomPlan {
  prescriptionGy: number;
  fractions: number;
  /** Distance (mm) of the 95 % isodose outside the physician ITV. */
  coverageMarginMm: number;
  /** σ of the erf fall-off (mm). */
  falloffSigmaMm: number;
  /** Drawn tight (margin about 0). */
  tight: boolean;
}

/**
 * The plan of the patient whose seed is `patientSeed` (PatientSpec.seed). With `gridSpacingMm`,
 * a generous plan's margin is at least 1.05 × the largest CT spacing: on a coarse grid (the e2e
 * demo's 10 × 10 × 12 mm voxels) a margin smaller than one voxel would leave every voxel outside
 * the physician ITV under-dosed, tight or not.
 */
export function samplePhantomPlan(patientSeed: string, gridSpacingMm?: readonly number[]): PhantomPlan {
  const rng = createRng(`${patientSeed}/plan`);
  const scheme = rng.pick(PLAN_DOSE_MODEL.schemes);
  const tight = rng.bernoulli(PLAN_DOSE_MODEL.tightProbability);
  const [g0, g1] = PLAN_DOSE_MODEL.generousMarginMm;
  const [s0, s1] = PLAN_DOSE_MODEL.falloffSigmaMm;
  const margin = tight ? rng.uniform(-0.5, 0.5) : rng.uniform(g0, g1);
  return {
    prescriptionGy: scheme.prescriptionGy,
    fractions: scheme.fractions,
    coverageMarginMm: tight ? margin : Math.max(margin, 1.05 * Math.max(...(gridSpacingMm ?? [0]))),
    falloffSigmaMm: rng.uniform(s0, s1),
    tight,
  };
}

/** z with b + (h − b)·Φ(z) = 0.95 (bisection; Φ is monotone). */
function zAt95(): number {
  const { hotFraction: h, bathFraction: b } = PLAN_DOSE_MODEL;
  const target = (0.95 - b) / (h - b);
  let lo = -10,
    hi = 10;
  for (let n = 0; n < 80; n++) {
    const mid = (lo + hi) / 2;
    if (pnorm(mid) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
const Z95 = zAt95();

/** Dose (fraction of Rx) at distance `dMm` from the physician ITV for `plan` (the model above). */
export function planDoseFraction(plan: Pick<PhantomPlan, 'coverageMarginMm' | 'falloffSigmaMm'>, dMm: number): number {
  const { hotFraction: h, bathFraction: b, bathDecayMm: L } = PLAN_DOSE_MODEL;
  const m = plan.coverageMarginMm;
  return b * Math.exp(-Math.max(0, dMm - m) / L) + (h - b) * pnorm((m - dMm) / plan.falloffSigmaMm + Z95);
}

/**
 * The planned dose (Gy) on the physician ITV's voxel lattice, over the ITV's bounding box grown by
 * `cropMarginMm` (default 40 mm) and clipped to the grid, as a planning system exports a dose grid
 * around the target rather than over the whole CT. An empty ITV gives the whole grid at the bath.
 */
export function phantomPlanDose(physicianItv: Mask, plan: PhantomPlan, options: { cropMarginMm?: number } = {}): Volume<Float32Array> {
  // Indices are bounded by the loops and the box, hence the `!`s.
  const { grid, data } = physicianItv;
  const [nx, ny, nz] = grid.dims;
  const lo = [nx, ny, nz],
    hi = [-1, -1, -1];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        if (data[i + nx * (j + ny * k)]) {
          const ijk = [i, j, k];
          for (let a = 0; a < 3; a++) {
            if (ijk[a]! < lo[a]!) lo[a] = ijk[a]!;
            if (ijk[a]! > hi[a]!) hi[a] = ijk[a]!;
          }
        }
  const crop = options.cropMarginMm ?? 40;
  const empty = hi[0]! < 0;
  const b0 = [0, 1, 2].map((a) => (empty ? 0 : Math.max(0, lo[a]! - Math.ceil(crop / grid.spacingMm[a]!))));
  const b1 = [0, 1, 2].map((a) => (empty ? grid.dims[a]! - 1 : Math.min(grid.dims[a]! - 1, hi[a]! + Math.ceil(crop / grid.spacingMm[a]!))));
  const dims = [0, 1, 2].map((a) => b1[a]! - b0[a]! + 1) as Vec3;
  const [mx, my, mz] = dims;
  const buf = new Float64Array(mx * my * mz);
  for (let k = 0; k < mz; k++)
    for (let j = 0; j < my; j++)
      for (let i = 0; i < mx; i++) buf[i + mx * (j + my * k)] = data[i + b0[0]! + nx * (j + b0[1]! + ny * (k + b0[2]!))] ? 0 : Infinity;
  // Signed distance: outside, to the nearest ITV voxel; inside, minus the distance to the nearest voxel outside.
  const inside = new Float64Array(buf.length);
  for (let n = 0; n < buf.length; n++) inside[n] = buf[n] === 0 ? Infinity : 0;
  squaredEdtInPlace(buf, dims, grid.spacingMm);
  if (!empty) squaredEdtInPlace(inside, dims, grid.spacingMm);
  const out = new Float32Array(buf.length);
  for (let n = 0; n < buf.length; n++) {
    const d = buf[n] === 0 ? -Math.sqrt(Number.isFinite(inside[n]!) ? inside[n]! : 1e12) : Number.isFinite(buf[n]!) ? Math.sqrt(buf[n]!) : 1e6;
    out[n] = plan.prescriptionGy * planDoseFraction(plan, d);
  }
  // Identity direction (phantomGrid), so the box origin is the grid origin plus the offset.
  const originMm = [0, 1, 2].map((a) => grid.originMm[a]! + b0[a]! * grid.spacingMm[a]!) as Vec3;
  return { grid: { dims, spacingMm: [...grid.spacingMm] as Vec3, originMm, direction: grid.direction }, data: out };
}

/** The dose (Gy) at voxel `n` of `grid` (same lattice as the dose, identity direction); 0 outside the dose box. */
function doseAtVoxel(dose: Volume<Float32Array>, grid: Mask['grid'], n: number): number {
  const [nx, ny] = grid.dims;
  const i = n % nx,
    j = Math.floor(n / nx) % ny,
    k = Math.floor(n / (nx * ny));
  const di = Math.round(i - (dose.grid.originMm[0] - grid.originMm[0]) / grid.spacingMm[0]);
  const dj = Math.round(j - (dose.grid.originMm[1] - grid.originMm[1]) / grid.spacingMm[1]);
  const dk = Math.round(k - (dose.grid.originMm[2] - grid.originMm[2]) / grid.spacingMm[2]);
  const [mx, my, mz] = dose.grid.dims;
  if (di < 0 || dj < 0 || dk < 0 || di >= mx || dj >= my || dk >= mz) return 0;
  return dose.data[di + mx * (dj + my * dk)]!;
}

/**
 * Tumour the physician ITV leaves out (truth ITV ∖ physician ITV) that receives < 95 % of the
 * prescription, in cc: the "true" under-dosed tumour the demo outcomes depend on. A good machine
 * ITV's false-positive region approximates that tumour, so the app's "FP volume receiving < 95 %
 * of prescription" covariate measures it.
 */
export function underdosedMissedTumourCc(o: { truthItv: Mask; physicianItv: Mask; dose: Volume<Float32Array>; prescriptionGy: number }): number {
  const { truthItv, physicianItv, dose } = o;
  const limit = 0.95 * o.prescriptionGy;
  let c = 0;
  for (let i = 0; i < truthItv.data.length; i++) if (truthItv.data[i] && !physicianItv.data[i] && doseAtVoxel(dose, truthItv.grid, i) < limit) c++;
  const [sx, sy, sz] = truthItv.grid.spacingMm;
  return (c * sx * sy * sz) / 1000;
}
