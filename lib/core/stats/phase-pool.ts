/**
 * The cohort's pooled GTV phase values (every phase of every summarised study: 500,000 values at
 * 50,000 studies) kept as sorted arrays, so that a change to a few studies updates the pooled
 * median [IQR] by removing their old values and inserting their new ones (one merge pass) instead
 * of sorting everything again (docs/architecture.md, "Cohort page"). The quantiles are R type 7
 * (quantile.ts), the arithmetic of PostgreSQL's percentile_cont that computed them before. Pure.
 */
import { median, quantile } from './quantile';
import type { MedianIqr, PooledPhases } from './cohort-stats';

/** A study's values of one metric: an array, or a typed array (a view into a stored cohort's block). */
export type PhaseValues = readonly number[] | Float64Array;

/** One study's phase values: the finite ones per metric, and whether any phase has a Dice stored (not null). */
export interface StudyPhases {
  anyDice: boolean;
  dice: PhaseValues;
  hd95Mm: PhaseValues;
  fpCc: PhaseValues;
}

export interface PhasePool {
  /** Studies with anyDice. */
  studies: number;
  dice: Float64Array;
  hd95Mm: Float64Array;
  fpCc: Float64Array;
}

const METRICS = ['dice', 'hd95Mm', 'fpCc'] as const;

/** Only finite numbers enter the pool (as medianIqr and the SQL it replaces leave the others out). */
const finiteSorted = (values: Iterable<number>): Float64Array => Float64Array.from([...values].filter((x) => Number.isFinite(x))).sort();

export function poolPhases(studies: Iterable<StudyPhases>): PhasePool {
  const all = { dice: [] as number[], hd95Mm: [] as number[], fpCc: [] as number[] };
  let n = 0;
  for (const s of studies) {
    if (s.anyDice) n++;
    for (const m of METRICS) for (const x of s[m]) all[m].push(x);
  }
  return { studies: n, dice: finiteSorted(all.dice), hd95Mm: finiteSorted(all.hd95Mm), fpCc: finiteSorted(all.fpCc) };
}

/** The first index at or after `from` whose value is not below `x`. */
function lowerBound(sorted: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * `sorted` without one occurrence of each value of `remove` (sorted) and with `add` (sorted)
 * merged in: the values between two changes are copied as blocks (native copies), so a change
 * of a few studies in 500,000 values costs a few binary searches and one copy of the array.
 * @throws Error when a value to remove is not there (the pool and the studies disagree).
 */
export function mergeSorted(sorted: Float64Array, remove: Float64Array, add: Float64Array): Float64Array {
  const out = new Float64Array(sorted.length - remove.length + add.length);
  let i = 0;
  let k = 0;
  let r = 0;
  let a = 0;
  const copyTo = (p: number) => {
    out.set(sorted.subarray(i, p), k);
    k += p - i;
    i = p;
  };
  while (r < remove.length || a < add.length) {
    if (a < add.length && (r >= remove.length || add[a]! <= remove[r]!)) {
      copyTo(lowerBound(sorted, add[a]!, i));
      out[k++] = add[a++]!;
    } else {
      const x = remove[r++]!;
      const p = lowerBound(sorted, x, i);
      if (p >= sorted.length || sorted[p] !== x) throw new Error(`phase pool: value ${x} to remove is not in the pool`);
      copyTo(p);
      i++;
    }
  }
  copyTo(sorted.length);
  return out;
}

/** The pool with the `before` studies' values replaced by the `after` studies' values. */
export function updatePool(pool: PhasePool, before: readonly StudyPhases[], after: readonly StudyPhases[]): PhasePool {
  const count = (list: readonly StudyPhases[]) => list.reduce((n, s) => n + (s.anyDice ? 1 : 0), 0);
  const values = (list: readonly StudyPhases[], m: (typeof METRICS)[number]) => finiteSorted(list.flatMap((s) => Array.from(s[m])));
  return {
    studies: pool.studies - count(before) + count(after),
    dice: mergeSorted(pool.dice, values(before, 'dice'), values(after, 'dice')),
    hd95Mm: mergeSorted(pool.hd95Mm, values(before, 'hd95Mm'), values(after, 'hd95Mm')),
    fpCc: mergeSorted(pool.fpCc, values(before, 'fpCc'), values(after, 'fpCc')),
  };
}

function summary(v: Float64Array): MedianIqr {
  return v.length === 0 ? { n: 0, median: null, q1: null, q3: null } : { n: v.length, median: median(v), q1: quantile(v, 0.25), q3: quantile(v, 0.75) };
}

export function pooledPhases(pool: PhasePool): PooledPhases {
  return { studies: pool.studies, dice: summary(pool.dice), hd95Mm: summary(pool.hd95Mm), fpCc: summary(pool.fpCc) };
}
