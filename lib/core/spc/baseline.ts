/**
 * The in-control baseline of a series: its mean and σ estimated from the average moving range,
 * as for an individuals (X/MR) chart. Definitions: docs/monitoring.md ("Statistics").
 */
import { SpcError } from './errors';

export interface SpcBaseline {
  mean: number;
  sigma: number;
  n: number;
  movingRangeMean: number;
}

/** d2 for subgroups of 2 (the moving range of consecutive points), as tabulated in SPC texts. */
export const D2_MOVING_RANGE = 1.128;

export function assertFiniteSeries(values: readonly number[], what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new SpcError(`${what}: value ${i + 1} is ${String(v)}, not a finite number; remove or fix that point`);
    }
  }
}

/**
 * σ from the average moving range (MR̄ / d2, d2 = 1.128), as for an individuals chart.
 * Throws SpcError when n < 2 or σ = 0.
 */
export function estimateBaseline(values: readonly number[]): SpcBaseline {
  const n = values.length;
  if (n < 2) {
    throw new SpcError(`the baseline needs at least 2 points to estimate σ from the moving range, got ${n}; choose a longer reference period`);
  }
  assertFiniteSeries(values, 'baseline');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let mr = 0;
  for (let i = 1; i < n; i++) mr += Math.abs(values[i]! - values[i - 1]!);
  const movingRangeMean = mr / (n - 1);
  const sigma = movingRangeMean / D2_MOVING_RANGE;
  if (!(sigma > 0)) {
    throw new SpcError(
      `the baseline's σ is 0: its ${n} points have no point-to-point variation (all moving ranges are 0); choose a reference period whose values vary`,
    );
  }
  return { mean, sigma, n, movingRangeMean };
}

export function assertBaseline(baseline: SpcBaseline): void {
  if (!Number.isFinite(baseline.mean)) throw new SpcError(`baseline mean must be a finite number, got ${baseline.mean}`);
  if (!(baseline.sigma > 0) || !Number.isFinite(baseline.sigma)) {
    throw new SpcError(`baseline σ must be a positive finite number, got ${baseline.sigma}`);
  }
}
