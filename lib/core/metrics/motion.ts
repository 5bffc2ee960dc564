import { describeGrid, indexToPatientMm, voxelCount, voxelVolumeCc, type Grid, type Vec3 } from '@/lib/core/volume';
import { MetricsError } from './errors';
import { validateGrid } from './validate';
import { median } from '../stats/quantile';

/**
 * Internal target volume: the union of the per-phase GTV masks on one common grid.
 * @param phases one Uint8Array per respiratory phase, each nx·ny·nz (non-zero = inside)
 * @returns a new 0/1 mask
 * @throws MetricsError INVALID_INPUT when there is no phase or a phase's length differs.
 */
export function computeItv(phases: readonly Uint8Array[], grid: Grid): Uint8Array {
  checkPhases(phases, grid);
  const n = voxelCount(grid);
  const out = new Uint8Array(n);
  for (const m of phases) for (let q = 0; q < n; q++) if (m[q] !== 0) out[q] = 1;
  return out;
}

export interface PhaseMotion {
  phase: number;
  label: string;
  voxels: number;
  volumeCc: number;
  /** GTV centroid (mm, LPS); null for an empty phase. */
  centroidMm: Vec3 | null;
  /** Volume departure from the mean of the two neighbouring phases (relative, e.g. 0.25). */
  volumeDepartureFraction: number | null;
  /** Distance (mm) of the centroid from the mean of the two neighbouring phases' centroids. */
  positionDepartureMm: number | null;
  outlier: boolean;
  outlierReasons: ('EMPTY' | 'VOLUME' | 'POSITION')[];
}

export interface MotionResult {
  phases: PhaseMotion[];
  itvVolumeCc: number;
  /**
   * Peak-to-peak centroid excursion (mm) per patient axis over the non-empty phases:
   * LR = x (LPS), AP = y, SI = z. Null when no phase has voxels.
   */
  amplitudeMm: { LR: number; AP: number; SI: number } | null;
  /** Largest centroid distance (mm) between any two phases (3D). */
  maxExcursionMm: number | null;
}

export interface AnalyseMotionOptions {
  /** Per-phase GTV masks in respiratory order (0 %, 10 %, … 90 %); the cycle wraps around. */
  phases: readonly Uint8Array[];
  grid: Grid;
  /** Labels such as "0%", "10%"; default the phase index. */
  labels?: readonly string[];
  /** Relative volume departure needed before a phase can be flagged (default 0.2). */
  minVolumeDepartureFraction?: number;
  /** Centroid departure (mm) needed before a phase can be flagged (default 3). */
  minPositionDepartureMm?: number;
  /** Modified z-score threshold (default 3.5, Iglewicz & Hoaglin 1993). */
  zThreshold?: number;
}

/**
 * Per-phase volume, GTV centroid trajectory, motion amplitude per axis and outlier phases of a
 * 4D CT.
 *
 * Outlier rule (needs ≥ 3 phases; the breathing cycle wraps, so phase 0's neighbours are the
 * last and phase 1):
 * - volume: r_p = V_p / ((V_{p−1} + V_{p+1}) / 2) − 1. Phase p is flagged VOLUME when
 *   |r_p| ≥ minVolumeDepartureFraction AND its modified z-score
 *   0.6745·|r_p − median(r)| / MAD(r) exceeds zThreshold (MAD = 0 counts as exceeding).
 * - position: e_p = ‖c_p − (c_{p−1} + c_{p+1}) / 2‖ (mm). Flagged POSITION when
 *   e_p ≥ minPositionDepartureMm AND the modified z-score of e_p exceeds zThreshold.
 * - only a local peak is flagged: |departure| at least that of both neighbouring phases, because
 *   one displaced phase also moves its neighbours' reference by half its displacement.
 * - an empty phase is flagged EMPTY; its neighbours' departures are then not computed.
 * The floors stop smooth breathing with near-identical phases (MAD ≈ 0) from being flagged.
 * @throws MetricsError INVALID_INPUT when there is no phase, lengths differ or labels mismatch.
 */
export function analyseMotion(options: AnalyseMotionOptions): MotionResult {
  // Phase indices are taken modulo N = out.length; q < itv.length, hence the `!`s.
  const { phases, grid } = options;
  checkPhases(phases, grid);
  if (options.labels && options.labels.length !== phases.length) {
    throw new MetricsError('INVALID_INPUT', `${options.labels.length} labels for ${phases.length} phases`);
  }
  const minVol = options.minVolumeDepartureFraction ?? 0.2;
  const minPos = options.minPositionDepartureMm ?? 3;
  const zThr = options.zThreshold ?? 3.5;
  const [nx, ny, nz] = grid.dims;
  const vcc = voxelVolumeCc(grid);
  const out: PhaseMotion[] = phases.map((m, p) => {
    let n = 0,
      si = 0,
      sj = 0,
      sk = 0;
    for (let k = 0, q = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        let rowN = 0,
          rowI = 0;
        for (let i = 0; i < nx; i++, q++) {
          if (m[q] !== 0) {
            rowN++;
            rowI += i;
          }
        }
        n += rowN;
        si += rowI;
        sj += rowN * j;
        sk += rowN * k;
      }
    }
    return {
      phase: p,
      label: options.labels?.[p] ?? String(p),
      voxels: n,
      volumeCc: n * vcc,
      centroidMm: n ? indexToPatientMm(grid, si / n, sj / n, sk / n) : null,
      volumeDepartureFraction: null,
      positionDepartureMm: null,
      outlier: n === 0,
      outlierReasons: n === 0 ? ['EMPTY'] : [],
    };
  });
  const N = out.length;
  if (N >= 3) {
    for (let p = 0; p < N; p++) {
      const a = out[(p + N - 1) % N]!;
      const b = out[(p + 1) % N]!;
      const c = out[p]!;
      if (!c.centroidMm || !a.centroidMm || !b.centroidMm) continue;
      c.volumeDepartureFraction = c.volumeCc / ((a.volumeCc + b.volumeCc) / 2) - 1;
      c.positionDepartureMm = Math.hypot(
        c.centroidMm[0] - (a.centroidMm[0] + b.centroidMm[0]) / 2,
        c.centroidMm[1] - (a.centroidMm[1] + b.centroidMm[1]) / 2,
        c.centroidMm[2] - (a.centroidMm[2] + b.centroidMm[2]) / 2,
      );
    }
    flag(out, (x) => x.volumeDepartureFraction, minVol, zThr, 'VOLUME');
    flag(out, (x) => x.positionDepartureMm, minPos, zThr, 'POSITION');
  }
  const cents = out.map((x) => x.centroidMm).filter((c): c is Vec3 => c !== null);
  let amplitudeMm: MotionResult['amplitudeMm'] = null;
  let maxExcursionMm: number | null = null;
  if (cents.length) {
    const range = (a: 0 | 1 | 2) => Math.max(...cents.map((c) => c[a])) - Math.min(...cents.map((c) => c[a]));
    amplitudeMm = { LR: range(0), AP: range(1), SI: range(2) };
    maxExcursionMm = 0;
    for (const c of cents) for (const d of cents) maxExcursionMm = Math.max(maxExcursionMm, Math.hypot(c[0] - d[0], c[1] - d[1], c[2] - d[2]));
  }
  const itv = computeItv(phases, grid);
  let itvVoxels = 0;
  for (let q = 0; q < itv.length; q++) itvVoxels += itv[q]!;
  return { phases: out, itvVolumeCc: itvVoxels * vcc, amplitudeMm, maxExcursionMm };
}

function flag(out: PhaseMotion[], get: (x: PhaseMotion) => number | null, floor: number, zThr: number, reason: 'VOLUME' | 'POSITION'): void {
  // Phase indices are taken modulo N = out.length, hence the `!`s.
  const vals = out.map(get).filter((v): v is number => v !== null);
  if (vals.length < 3) return;
  const med = median(Float64Array.from(vals).sort());
  const mad = median(Float64Array.from(vals, (v) => Math.abs(v - med)).sort());
  const N = out.length;
  for (const x of out) {
    const v = get(x);
    if (v === null || Math.abs(v) < floor) continue;
    // A displaced phase also shifts its neighbours' reference (by half): only the local peak counts.
    const before = get(out[(x.phase + N - 1) % N]!);
    const after = get(out[(x.phase + 1) % N]!);
    if ((before !== null && Math.abs(before) > Math.abs(v)) || (after !== null && Math.abs(after) > Math.abs(v))) continue;
    const z = mad > 0 ? (0.6745 * Math.abs(v - med)) / mad : Math.abs(v - med) > 0 ? Infinity : 0;
    if (z > zThr) {
      x.outlier = true;
      x.outlierReasons.push(reason);
    }
  }
}

function checkPhases(phases: readonly Uint8Array[], grid: Grid): void {
  validateGrid(grid);
  if (!phases.length) throw new MetricsError('INVALID_INPUT', 'No phase masks given: a 4D CT needs at least one phase');
  const n = voxelCount(grid);
  phases.forEach((m, p) => {
    if (!(m instanceof Uint8Array) || m.length !== n) {
      throw new MetricsError(
        'INVALID_INPUT',
        `Phase ${p} mask has ${m?.length} voxels but the common grid ${describeGrid(grid)} has ${n}: resample every phase onto one grid first`,
      );
    }
  });
}
