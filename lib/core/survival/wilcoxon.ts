/**
 * Wilcoxon signed-rank test for paired samples, as R's wilcox.test(x, y, paired = TRUE)
 * (two-sided, correct = TRUE): exact p for n < 50 without ties or zeros, otherwise the normal
 * approximation with continuity and tie corrections. Zero differences are dropped.
 * Reference: R stats wilcox.test.default; Hollander & Wolfe (1999) §3.1.
 */
import { twoSidedNormalP } from './distributions';
import { invalid } from './errors';

export interface SignedRankResult {
  /** Sum of ranks of positive differences x − y (R's V). */
  statistic: number;
  p: number;
  /** Number of non-zero differences used. */
  n: number;
  nZeros: number;
  method: 'exact' | 'normal';
  hasTies: boolean;
}

/** P(V ≤ q) (or P(V > q) when upper) for the signed-rank distribution with n (R's psignrank). */
function psignrank(q: number, n: number, upper = false): number {
  // w has max + 1 entries and every s below is in 0 … max, hence the `!`s.
  const max = (n * (n + 1)) / 2;
  const w = new Float64Array(max + 1);
  w[0] = 1;
  for (let k = 1; k <= n; k++) for (let s = (k * (k + 1)) / 2; s >= k; s--) w[s]! += w[s - k]!;
  let c = 0;
  const qq = Math.floor(q + 1e-7);
  if (upper) for (let s = Math.max(qq + 1, 0); s <= max; s++) c += w[s]!;
  else for (let s = 0; s <= Math.min(qq, max); s++) c += w[s]!;
  return c / Math.pow(2, n);
}

/**
 * @param x first measurement per pair (e.g. machine ITV volume, cc)
 * @param y second measurement per pair (e.g. physician ITV volume, cc)
 * @throws SurvivalError INVALID_INPUT for unequal lengths, non-finite values, or no non-zero differences
 */
export function wilcoxonSignedRank(x: ArrayLike<number>, y: ArrayLike<number>): SignedRankResult {
  // i, j < n and k < pos.length where indexed, hence the `!`s.
  if (x.length !== y.length) throw invalid(`Paired samples differ in length: x has ${x.length}, y has ${y.length}.`);
  const d: number[] = [];
  let nZeros = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw invalid(`Pair ${i + 1} has a missing or non-finite value.`);
    const v = x[i]! - y[i]!;
    if (v === 0) nZeros++;
    else d.push(v);
  }
  const n = d.length;
  if (n === 0) throw invalid('All paired differences are zero: the signed-rank test is undefined.');
  // Ranks of |d| (average ranks for ties) from two native sorts (all |d|, and the positive d):
  // no comparator call per pair, so 50,000 pairs take milliseconds (the cohort page's ITV volumes).
  // V sums the rank of each positive difference: per tie group, its average rank times the
  // positive differences in it (every rank and V are integers or halves: exact in doubles).
  const abs = Float64Array.from(d, Math.abs).sort();
  const pos = Float64Array.from(d.filter((v) => v > 0)).sort();
  const tieSizes: number[] = [];
  let V = 0;
  let k = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && abs[j + 1] === abs[i]) j++;
    const r = (i + j + 2) / 2;
    while (k < pos.length && pos[k]! < abs[i]!) k++;
    let m = 0;
    while (k < pos.length && pos[k] === abs[i]) {
      k++;
      m++;
    }
    V += m * r;
    tieSizes.push(j - i + 1);
    i = j + 1;
  }
  const hasTies = tieSizes.some((t) => t > 1);
  if (n < 50 && !hasTies && nZeros === 0) {
    const p1 = V > (n * (n + 1)) / 4 ? psignrank(V - 1, n, true) : psignrank(V, n);
    return { statistic: V, p: Math.min(2 * p1, 1), n, nZeros, method: 'exact', hasTies };
  }
  let z = V - (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieSizes.reduce((s, t) => s + (t * t * t - t), 0) / 48);
  if (!(sigma > 0)) throw invalid('The signed-rank variance is zero (all differences tied): the test is undefined.');
  z = (z - Math.sign(z) * 0.5) / sigma;
  const p = twoSidedNormalP(z);
  return { statistic: V, p: Math.min(p, 1), n, nZeros, method: 'normal', hasTies };
}
