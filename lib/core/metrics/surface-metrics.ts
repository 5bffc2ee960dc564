import type { SurfaceDistances } from './surface-distances';

/**
 * Metrics read off a SurfaceDistances result. None of these recomputes distances.
 *
 * Empty surfaces: when one mask is empty every distance from the other is +Infinity, so the
 * distance metrics return +Infinity and surface Dice is 0; when both are empty they return null
 * (undefined). The JSON and database boundary turns +Infinity into null plus a reason code.
 */

/**
 * Hausdorff distance (mm): the larger of the two directed maxima. For `surfel` it is read as
 * surface-distance does, compute_robust_hausdorff(…, 100), which is the maximum except when
 * the running area sum rounds up to the total before the last surfel.
 */
export function hausdorffMm(sd: SurfaceDistances): number | null {
  if (sd.empty === 'BOTH_EMPTY') return null;
  if (sd.empty) return Infinity;
  if (sd.sampling === 'surfel') return percentileHausdorffMm(sd, 100);
  return Math.max(last(sd.referenceToTestMm), last(sd.testToReferenceMm));
}

/**
 * Percentile Hausdorff distance (mm), the larger of the two directed `percent` percentiles.
 * - `voxel`: linear interpolation between order statistics (numpy.percentile's default, as in
 *   MONAI compute_percent_hausdorff_distance).
 * - `surfel`: area-weighted step percentile, the first distance whose cumulative area share
 *   reaches percent/100 (surface-distance compute_robust_hausdorff).
 * @param percent in [0, 100]
 */
export function percentileHausdorffMm(sd: SurfaceDistances, percent = 95): number | null {
  if (sd.empty === 'BOTH_EMPTY') return null;
  if (sd.empty) return Infinity;
  if (sd.sampling === 'voxel') {
    return Math.max(linearPercentile(sd.referenceToTestMm, percent), linearPercentile(sd.testToReferenceMm, percent));
  }
  return Math.max(
    areaStepPercentile(sd.referenceToTestMm, sd.referenceAreasMm2!, percent),
    areaStepPercentile(sd.testToReferenceMm, sd.testAreasMm2!, percent),
  );
}

/**
 * Mean surface distance (mm) over both directions pooled: Σ all directed distances / their
 * count (`voxel`, MONAI compute_average_surface_distance(symmetric=True)); for `surfel` the
 * area-weighted mean over both surfaces together.
 */
export function meanSurfaceDistanceMm(sd: SurfaceDistances): number | null {
  if (sd.empty === 'BOTH_EMPTY') return null;
  if (sd.empty) return Infinity;
  if (sd.sampling === 'voxel') {
    const n = sd.referenceToTestMm.length + sd.testToReferenceMm.length;
    return (pairwiseSum(sd.referenceToTestMm) + pairwiseSum(sd.testToReferenceMm)) / n;
  }
  const wr = weightedSum(sd.referenceToTestMm, sd.referenceAreasMm2!);
  const wt = weightedSum(sd.testToReferenceMm, sd.testAreasMm2!);
  return (wr + wt) / (pairwiseSum(sd.referenceAreasMm2!) + pairwiseSum(sd.testAreasMm2!));
}

/**
 * Average surface distance per direction (mm), [reference→test, test→reference]: plain means
 * for `voxel`, area-weighted for `surfel` (surface-distance compute_average_surface_distance).
 */
export function averageSurfaceDistanceMm(sd: SurfaceDistances): [number, number] | null {
  if (sd.empty === 'BOTH_EMPTY') return null;
  if (sd.empty) return [Infinity, Infinity];
  if (sd.sampling === 'voxel') {
    return [pairwiseSum(sd.referenceToTestMm) / sd.referenceToTestMm.length, pairwiseSum(sd.testToReferenceMm) / sd.testToReferenceMm.length];
  }
  return [
    weightedSum(sd.referenceToTestMm, sd.referenceAreasMm2!) / pairwiseSum(sd.referenceAreasMm2!),
    weightedSum(sd.testToReferenceMm, sd.testAreasMm2!) / pairwiseSum(sd.testAreasMm2!),
  ];
}

/**
 * Surface Dice at a tolerance: the share of both surfaces (by count for `voxel`, by area for
 * `surfel`) lying within `toleranceMm` (inclusive) of the other surface. Nikolov et al. 2021.
 * 0 when exactly one mask is empty, null when both are.
 */
export function surfaceDice(sd: SurfaceDistances, toleranceMm: number): number | null {
  if (sd.empty === 'BOTH_EMPTY') return null;
  if (sd.sampling === 'voxel') {
    const n = sd.referenceToTestMm.length + sd.testToReferenceMm.length;
    return (countAtMost(sd.referenceToTestMm, toleranceMm) + countAtMost(sd.testToReferenceMm, toleranceMm)) / n;
  }
  const within = areaAtMost(sd.referenceToTestMm, sd.referenceAreasMm2!, toleranceMm) + areaAtMost(sd.testToReferenceMm, sd.testAreasMm2!, toleranceMm);
  return within / (pairwiseSum(sd.referenceAreasMm2!) + pairwiseSum(sd.testAreasMm2!));
}

/**
 * plastimatch "Percent (0.95) Hausdorff distance (boundary)" style: the MEAN of the two directed
 * order-statistic percentiles, where the directed percentile of n sorted distances is the
 * element of 0-based rank floor(fraction·n − 1) (clamped to [0, n−1]), as in plastimatch
 * src/plastimatch/util/hausdorff_distance.cxx run_internal(). Needs `voxel` distances: both use
 * the 6-neighbour boundary voxels (plastimatch Image_boundary, INTERIOR_EDGE) and distances
 * between voxel centres, but ours come from an exact EDT.
 * computeMetrics feeds it distances on plastimatch's crop (see plastimatchDistances there); then
 * it equals plastimatch 1.9.4 `dice --all` to the printed 6 decimals on 12 pairs (smooth and
 * irregular, anisotropic, touching the image edge; tests/unit/metrics/plastimatch.test.ts and
 * random-pairs.test.ts). One deliberate difference: when fraction·n < 1 (a surface of one
 * voxel) plastimatch's rank is −1 and it prints 0; we clamp the rank to 0.
 * @param fraction in (0, 1], plastimatch's default 0.95
 */
export function plastimatchPercentHausdorffMm(sd: SurfaceDistances, fraction = 0.95): number | null {
  if (sd.empty === 'BOTH_EMPTY') return null;
  if (sd.empty) return Infinity;
  // Both directions are non-empty here (checked above), so the clamped rank is in range.
  const pick = (d: Float64Array) => d[Math.min(Math.max(Math.floor(fraction * d.length - 1), 0), d.length - 1)]!;
  return 0.5 * pick(sd.referenceToTestMm) + 0.5 * pick(sd.testToReferenceMm);
}

/** plastimatch "Avg average Hausdorff distance (boundary)": mean of the two directed means. */
export function plastimatchAverageHausdorffMm(sd: SurfaceDistances): number | null {
  const avg = averageSurfaceDistanceMm(sd);
  return avg === null ? null : 0.5 * avg[0] + 0.5 * avg[1];
}

function last(a: Float64Array): number {
  return a.at(-1) ?? -Infinity;
}

/** numpy.percentile(a, p) with method='linear' on an ascending array. */
export function linearPercentile(sorted: Float64Array, percent: number): number {
  // Indices below are clamped to 0 … n − 1 with n > 0, hence the `!`s.
  const n = sorted.length;
  if (n === 0) return -Infinity;
  const h = ((n - 1) * percent) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const t = h - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  // numpy's _lerp: a + t·(b − a), computed from the nearer end for t ≥ 0.5.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** surface-distance's step percentile: first index whose cumsum/total ≥ p (searchsorted left). */
function areaStepPercentile(sorted: Float64Array, areas: Float64Array, percent: number): number {
  // Indices below are clamped to 0 … n − 1 with n > 0, hence the `!`s.
  const n = sorted.length;
  if (n === 0) return -Infinity;
  const total = pairwiseSum(areas);
  const p = percent / 100;
  let cum = 0;
  for (let q = 0; q < n; q++) {
    cum += areas[q]!;
    if (cum / total >= p) return sorted[q]!;
  }
  return sorted[n - 1]!;
}

function countAtMost(sorted: Float64Array, x: number): number {
  // lo ≤ mid < hi ≤ sorted.length, hence the `!`.
  let lo = 0,
    hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function areaAtMost(dist: Float64Array, areas: Float64Array, x: number): number {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const picked: number[] = [];
  for (let q = 0; q < dist.length; q++) if (dist[q]! <= x) picked.push(areas[q]!);
  return pairwiseSum(Float64Array.from(picked));
}

function weightedSum(dist: Float64Array, areas: Float64Array): number {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const prod = new Float64Array(dist.length);
  for (let q = 0; q < dist.length; q++) prod[q] = dist[q]! * areas[q]!;
  return pairwiseSum(prod);
}

/**
 * numpy's pairwise summation (blocks of 8 partial sums below 128 elements, recursive halves
 * above), so sums round as numpy.sum does.
 */
function pairwiseSum(a: Float64Array, start = 0, n = a.length): number {
  // q < n within a, and r has 8 entries, hence the `!`s.
  if (n < 8) {
    let res = 0;
    for (let q = 0; q < n; q++) res += a[start + q]!;
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let q = 8;
    for (; q < n - (n % 8); q += 8) {
      for (let m = 0; m < 8; m++) r[m]! += a[start + q + m]!;
    }
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; q < n; q++) res += a[start + q]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}
