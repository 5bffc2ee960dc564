/**
 * The cohort statistics (computeCohortStats) kept up to date from a change of a few studies,
 * without a pass that sorts the whole cohort (docs/architecture.md, "Cohort page"): the counts
 * are kept as counters, and every value a median [IQR], an institution box or the signed-rank
 * test reads is kept in a sorted typed array (the ITV Dice, HD95 and FP volume of the summarised
 * studies, the machine − physician ITV volume differences, and the ITV Dice per institution),
 * updated by removing the changed studies' old values and merging in their new ones
 * (phase-pool.ts mergeSorted: binary searches and block copies). The statistics read from them
 * equal computeCohortStats over the same studies bit for bit: the same R type 7 arithmetic on the
 * same sorted values, and the signed-rank test run on the sorted differences (every rank and V are
 * integers or halves, so their order does not change a bit). While any summarised study has a
 * non-finite ITV value (NaN, ±Infinity, which the box and the test treat apart), the statistics
 * are computed from scratch instead. Pure.
 */
import {
  computeCohortStats,
  type CohortCase,
  type CohortStats,
  type InstitutionBox,
  type MedianIqr,
  type PairedVolumes,
  type PooledPhases,
} from './cohort-stats';
import { mergeSorted } from './phase-pool';
import { median, quantile } from './quantile';
import { wilcoxonSignedRank, type SignedRankResult } from './wilcoxon-signed-rank';
import { twoSidedNormalP } from '../survival/distributions';
import { invalid } from '../survival/errors';

export interface KeptCohortStats {
  studies: number;
  withSummary: number;
  failed: number;
  pending: number;
  notRun: number;
  missingSummary: number;
  /** Summarised studies with an ITV Dice (not null). */
  itvStudies: number;
  /** Summarised studies with a non-finite ITV Dice or ITV volume: while above 0, computed from scratch. */
  irregular: number;
  /** Finite values of the summarised studies, sorted. */
  itvDice: Float64Array;
  itvHd95Mm: Float64Array;
  itvFpCc: Float64Array;
  /** Machine − physician ITV volume of the summarised studies with both, sorted. */
  differences: Float64Array;
  /** ITV Dice of the summarised studies per institution, sorted. */
  byInstitution: Map<string, Float64Array>;
}

const isFiniteNumber = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** What one study adds to the kept statistics. */
interface Part {
  counts: [
    studies: number,
    withSummary: number,
    failed: number,
    pending: number,
    notRun: number,
    missingSummary: number,
    itvStudies: number,
    irregular: number,
  ];
  itvDice: number | null;
  itvHd95Mm: number | null;
  itvFpCc: number | null;
  difference: number | null;
  institution: string;
}

function partOf(c: CohortCase): Part {
  const s = c.latestRunStatus;
  const done = c.hasSummary;
  const pair = done && c.itvMachineCc !== null && c.itvPhysicianCc !== null;
  const difference = pair ? c.itvMachineCc! - c.itvPhysicianCc! : null;
  const irregular =
    done &&
    ((c.itvDice !== null && !Number.isFinite(c.itvDice)) ||
      (pair && !(Number.isFinite(c.itvMachineCc) && Number.isFinite(c.itvPhysicianCc) && Number.isFinite(difference))));
  return {
    counts: [
      1,
      done ? 1 : 0,
      s === 'FAILED' || s === 'CANCELLED' ? 1 : 0,
      s === 'QUEUED' || s === 'RUNNING' ? 1 : 0,
      s === null ? 1 : 0,
      !done && c.model !== null ? 1 : 0,
      done && c.itvDice !== null ? 1 : 0,
      irregular ? 1 : 0,
    ],
    itvDice: done && isFiniteNumber(c.itvDice) ? c.itvDice : null,
    itvHd95Mm: done && isFiniteNumber(c.itvHd95Mm) ? c.itvHd95Mm : null,
    itvFpCc: done && isFiniteNumber(c.itvFpCc) ? c.itvFpCc : null,
    difference: pair && isFiniteNumber(difference) ? difference : null,
    institution: c.institution,
  };
}

/** The values of `parts` one field picks (nulls left out), sorted. */
function sortedValues(parts: readonly Part[], pick: (p: Part) => number | null): Float64Array {
  const buf = new Float64Array(parts.length);
  let k = 0;
  for (const p of parts) {
    const x = pick(p);
    if (x !== null) buf[k++] = x;
  }
  return buf.slice(0, k).sort();
}

/** ITV Dice per institution, sorted. */
function byInstitutionOf(parts: readonly Part[]): Map<string, Float64Array> {
  const lists = new Map<string, number[]>();
  for (const p of parts) {
    if (p.itvDice === null) continue;
    const list = lists.get(p.institution);
    if (list) list.push(p.itvDice);
    else lists.set(p.institution, [p.itvDice]);
  }
  return new Map([...lists].map(([k, v]) => [k, Float64Array.from(v).sort()]));
}

function sumCounts(parts: readonly Part[]): number[] {
  const n = [0, 0, 0, 0, 0, 0, 0, 0];
  for (const p of parts) for (let i = 0; i < n.length; i++) n[i]! += p.counts[i]!;
  return n;
}

/** The kept statistics of `cases` (one per study), from scratch. */
export function keepCohortStats(cases: readonly CohortCase[]): KeptCohortStats {
  const parts = cases.map(partOf);
  const [studies, withSummary, failed, pending, notRun, missingSummary, itvStudies, irregular] = sumCounts(parts) as Part['counts'];
  return {
    studies,
    withSummary,
    failed,
    pending,
    notRun,
    missingSummary,
    itvStudies,
    irregular,
    itvDice: sortedValues(parts, (p) => p.itvDice),
    itvHd95Mm: sortedValues(parts, (p) => p.itvHd95Mm),
    itvFpCc: sortedValues(parts, (p) => p.itvFpCc),
    differences: sortedValues(parts, (p) => p.difference),
    byInstitution: byInstitutionOf(parts),
  };
}

/**
 * The kept statistics with the `removed` studies' rows (as kept) taken out and the `added` rows
 * put in (a changed study is in both: its old row and its new one). A new object; `kept` is not
 * changed.
 * @throws Error when a removed row's value is not kept (the kept statistics and rows disagree).
 */
export function updateKeptCohortStats(kept: KeptCohortStats, removed: readonly CohortCase[], added: readonly CohortCase[]): KeptCohortStats {
  const out = removed.map(partOf);
  const into = added.map(partOf);
  const minus = sumCounts(out);
  const plus = sumCounts(into);
  const count = (i: number, held: number) => held - minus[i]! + plus[i]!;
  const merge = (held: Float64Array, pick: (p: Part) => number | null) => mergeSorted(held, sortedValues(out, pick), sortedValues(into, pick));
  const byInstitution = new Map(kept.byInstitution);
  const outBy = byInstitutionOf(out);
  const intoBy = byInstitutionOf(into);
  for (const name of new Set([...outBy.keys(), ...intoBy.keys()])) {
    const v = mergeSorted(byInstitution.get(name) ?? new Float64Array(), outBy.get(name) ?? new Float64Array(), intoBy.get(name) ?? new Float64Array());
    if (v.length) byInstitution.set(name, v);
    else byInstitution.delete(name);
  }
  return {
    studies: count(0, kept.studies),
    withSummary: count(1, kept.withSummary),
    failed: count(2, kept.failed),
    pending: count(3, kept.pending),
    notRun: count(4, kept.notRun),
    missingSummary: count(5, kept.missingSummary),
    itvStudies: count(6, kept.itvStudies),
    irregular: count(7, kept.irregular),
    itvDice: merge(kept.itvDice, (p) => p.itvDice),
    itvHd95Mm: merge(kept.itvHd95Mm, (p) => p.itvHd95Mm),
    itvFpCc: merge(kept.itvFpCc, (p) => p.itvFpCc),
    differences: merge(kept.differences, (p) => p.difference),
    byInstitution,
  };
}

function summary(v: Float64Array): MedianIqr {
  return v.length === 0 ? { n: 0, median: null, q1: null, q3: null } : { n: v.length, median: median(v), q1: quantile(v, 0.25), q3: quantile(v, 0.75) };
}

/** The first index whose value is not below `x` (`after`: above `x`). */
function bound(v: Float64Array, x: number, after: boolean): number {
  let lo = 0;
  let hi = v.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (after ? v[mid]! <= x : v[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** cohort-stats.ts box() of sorted finite values: the whiskers and outliers found by binary search. */
function boxOfSorted(institution: string, v: Float64Array): InstitutionBox {
  const q1 = quantile(v, 0.25);
  const q3 = quantile(v, 0.75);
  const lo = q1 - 1.5 * (q3 - q1);
  const hi = q3 + 1.5 * (q3 - q1);
  const first = bound(v, lo, false);
  const end = bound(v, hi, true);
  return {
    institution,
    n: v.length,
    q1,
    median: median(v),
    q3,
    lowWhisker: v[first]!,
    highWhisker: v[end - 1]!,
    outliers: [...v.subarray(0, first), ...v.subarray(end)],
  };
}

/**
 * wilcoxonSignedRank(d, 0) of sorted finite differences, in one pass (no sort): |d| in ascending
 * order is the negative differences read backwards merged with the positive ones, so the tie
 * groups, their average ranks and V come from one walk; the normal approximation is then the same
 * arithmetic as wilcoxonSignedRank's (V and the tie sum are integers or halves: exact whatever the
 * order). Below 50 non-zero differences (the exact distribution, or its choice) it is
 * wilcoxonSignedRank itself.
 */
export function signedRankOfSortedDifferences(d: Float64Array): SignedRankResult {
  const negEnd = bound(d, 0, false);
  const posStart = bound(d, 0, true);
  const nZeros = posStart - negEnd;
  const n = d.length - nZeros;
  if (n === 0) throw invalid('All paired differences are zero: the signed-rank test is undefined.');
  if (n < 50) return wilcoxonSignedRank(d, new Float64Array(d.length));
  let neg = negEnd - 1;
  let pos = posStart;
  let V = 0;
  let tieSum = 0;
  let hasTies = false;
  for (let i = 0; i < n;) {
    // The next |d|: the smaller of the next negative's and the next positive's.
    const a = Math.min(neg >= 0 ? -d[neg]! : Infinity, pos < d.length ? d[pos]! : Infinity);
    let t = 0;
    let m = 0;
    while (neg >= 0 && -d[neg]! === a) {
      neg--;
      t++;
    }
    while (pos < d.length && d[pos] === a) {
      pos++;
      t++;
      m++;
    }
    V += m * ((i + (i + t - 1) + 2) / 2);
    tieSum += t * t * t - t;
    if (t > 1) hasTies = true;
    i += t;
  }
  let z = V - (n * (n + 1)) / 4;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieSum / 48);
  if (!(sigma > 0)) throw invalid('The signed-rank variance is zero (all differences tied): the test is undefined.');
  z = (z - Math.sign(z) * 0.5) / sigma;
  const p = twoSidedNormalP(z);
  return { statistic: V, p: Math.min(p, 1), n, nZeros, method: 'normal', hasTies };
}

/**
 * The statistics computeCohortStats(cases, pooledPhases) returns, read from the kept ones.
 * @param cases the same studies (the flag counts, in the order the studies come, are one pass over them).
 */
export function keptCohortStats(kept: KeptCohortStats, cases: readonly CohortCase[], pooledPhases: PooledPhases): CohortStats {
  if (kept.irregular > 0) return computeCohortStats(cases, pooledPhases);
  const flagCounts: Record<string, number> = {};
  for (const c of cases) for (const f of c.flags) flagCounts[f] = (flagCounts[f] ?? 0) + 1;

  const d = kept.differences;
  let paired: PairedVolumes = { n: d.length, medianDifferenceCc: d.length ? median(d) : null, p: null, statistic: null, method: null, note: null };
  if (d.length < 2) paired.note = 'Needs at least two studies with both ITVs.';
  else {
    try {
      const w = signedRankOfSortedDifferences(d);
      paired = { ...paired, p: w.p, statistic: w.statistic, method: w.method };
    } catch (e) {
      paired.note = (e as Error).message;
    }
  }
  return {
    studies: kept.studies,
    withSummary: kept.withSummary,
    failed: kept.failed,
    pending: kept.pending,
    notRun: kept.notRun,
    missingSummary: kept.missingSummary,
    rows: [
      {
        structure: 'GTV',
        studies: pooledPhases.studies,
        phases: pooledPhases.dice.n,
        dice: pooledPhases.dice,
        hd95Mm: pooledPhases.hd95Mm,
        fpCc: pooledPhases.fpCc,
      },
      { structure: 'ITV', studies: kept.itvStudies, phases: null, dice: summary(kept.itvDice), hd95Mm: summary(kept.itvHd95Mm), fpCc: summary(kept.itvFpCc) },
    ],
    byInstitution: [...kept.byInstitution.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([k, v]) => boxOfSorted(k, v)),
    flagCounts,
    paired,
  };
}
