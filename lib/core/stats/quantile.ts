/**
 * Quantiles of sorted data with linear interpolation between order statistics (R type 7,
 * numpy's default): q(p) = x[h] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) with h = (n − 1)p.
 * @param sorted ascending, finite values; throws on an empty array.
 */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  // Indices below are clamped to 0 … n − 1 with n > 0, hence the `!`s.
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample is undefined');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile probability must be in [0, 1], got ${p}`);
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function median(sorted: ArrayLike<number>): number {
  return quantile(sorted, 0.5);
}

/** Median of the finite values (nulls, undefined and non-finite numbers left out); null when none. */
export function medianOf(values: readonly (number | null | undefined)[]): number | null {
  const v = Float64Array.from(values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x))).sort();
  return v.length ? median(v) : null;
}
