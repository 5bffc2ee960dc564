/**
 * Control charts for individual observations: Shewhart individuals chart, EWMA with its exact
 * time-varying limits, and the two-sided tabular CUSUM. Pure. Definitions and defaults:
 * docs/monitoring.md ("Statistics"). `index` is the 0-based position of the point in `values`
 * (the i of the formulas is index + 1).
 */
import { assertBaseline, assertFiniteSeries, type SpcBaseline } from './baseline';
import { SpcError } from './errors';

export const SHEWHART_DEFAULT_L = 3;
export const EWMA_DEFAULT_LAMBDA = 0.2;
export const EWMA_DEFAULT_L = 3;
export const CUSUM_DEFAULT_K = 0.5;
export const CUSUM_DEFAULT_H = 5;

export interface ShewhartPoint {
  index: number;
  value: number;
  centre: number;
  lcl: number;
  ucl: number;
  outOfControl: boolean;
}

export interface EwmaPoint {
  index: number;
  value: number;
  statistic: number;
  centre: number;
  lcl: number;
  ucl: number;
  outOfControl: boolean;
}

export interface CusumPoint {
  index: number;
  value: number;
  z: number;
  upper: number;
  lower: number;
  h: number;
  outOfControl: boolean;
  direction: 'up' | 'down' | null;
}

export function checkL(L: number): void {
  if (!(L > 0) || !Number.isFinite(L)) throw new SpcError(`L (the width of the limits in σ) must be a positive number, got ${L}`);
}
export function checkLambda(lambda: number): void {
  if (!(lambda > 0 && lambda <= 1)) throw new SpcError(`λ (the EWMA weight) must be in (0, 1], got ${lambda}`);
}
export function checkK(k: number): void {
  if (!(k >= 0) || !Number.isFinite(k)) throw new SpcError(`k (the CUSUM reference value, in σ) must be a number ≥ 0, got ${k}`);
}
export function checkH(h: number): void {
  if (!(h > 0) || !Number.isFinite(h)) throw new SpcError(`h (the CUSUM decision interval, in σ) must be a positive number, got ${h}`);
}

/** Individuals chart: centre μ, limits μ ± L σ; a point is out of control when it lies outside them. */
export function shewhartChart(values: readonly number[], baseline: SpcBaseline, options: { L?: number } = {}): ShewhartPoint[] {
  const L = options.L ?? SHEWHART_DEFAULT_L;
  checkL(L);
  assertBaseline(baseline);
  assertFiniteSeries(values, 'series');
  const centre = baseline.mean;
  const lcl = centre - L * baseline.sigma;
  const ucl = centre + L * baseline.sigma;
  return values.map((value, index) => ({ index, value, centre, lcl, ucl, outOfControl: value < lcl || value > ucl }));
}

/** Exact time-varying limits: μ ± L σ sqrt(λ/(2−λ) (1 − (1−λ)^{2i})); z0 = μ. */
export function ewmaChart(values: readonly number[], baseline: SpcBaseline, options: { lambda?: number; L?: number } = {}): EwmaPoint[] {
  const lambda = options.lambda ?? EWMA_DEFAULT_LAMBDA;
  const L = options.L ?? EWMA_DEFAULT_L;
  checkLambda(lambda);
  checkL(L);
  assertBaseline(baseline);
  assertFiniteSeries(values, 'series');
  const centre = baseline.mean;
  const out: EwmaPoint[] = [];
  let z = centre;
  let decay = 1; // (1 − λ)^{2i}
  const q = (1 - lambda) * (1 - lambda);
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    z = lambda * value + (1 - lambda) * z;
    decay *= q;
    const half = L * baseline.sigma * Math.sqrt((lambda / (2 - lambda)) * (1 - decay));
    const lcl = centre - half;
    const ucl = centre + half;
    out.push({ index, value, statistic: z, centre, lcl, ucl, outOfControl: z < lcl || z > ucl });
  }
  return out;
}

/**
 * Two-sided tabular CUSUM in units of the baseline σ: C+_i = max(0, z_i − k + C+_{i−1}),
 * C−_i = max(0, −z_i − k + C−_{i−1}); signal when > h. No reset after a signal.
 */
export function cusumChart(values: readonly number[], baseline: SpcBaseline, options: { k?: number; h?: number } = {}): CusumPoint[] {
  const k = options.k ?? CUSUM_DEFAULT_K;
  const h = options.h ?? CUSUM_DEFAULT_H;
  checkK(k);
  checkH(h);
  assertBaseline(baseline);
  assertFiniteSeries(values, 'series');
  const out: CusumPoint[] = [];
  let upper = 0;
  let lower = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    const z = (value - baseline.mean) / baseline.sigma;
    upper = Math.max(0, z - k + upper);
    lower = Math.max(0, -z - k + lower);
    const up = upper > h;
    const down = lower > h;
    const direction = up && down ? (upper - h >= lower - h ? 'up' : 'down') : up ? 'up' : down ? 'down' : null;
    out.push({ index, value, z, upper, lower, h, outOfControl: up || down, direction });
  }
  return out;
}
