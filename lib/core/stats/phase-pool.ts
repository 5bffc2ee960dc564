/**
 * The cohort's pooled GTV phase values (every phase of every summarised study: 500,000 values at
 * 50,000 studies) kept as sorted arrays, so that a change to a few studies updates the pooled
 * median [IQR] by removing their old values and inserting their new ones (one merge pass) instead
 * of sorting everything again (docs/architecture.md, "Cohort page"). The quantiles are R type 7
 * (quantile.ts), the arithmetic of PostgreSQL's percentile_cont that computed them before. Pure.
 */
import { median, quantile } from './quantile';
import type { MedianIqr, PooledPhases } from './cohort-stats';

/** One study's phase values: the finite ones per metric, and whether any phase has a Dice stored (not null). */
export interface StudyPhases {
  anyDice: boolean;
  dice: readonly number[];
  hd95Mm: readonly number[];
  fpCc: readonly number[];
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

/**
 * `sorted` without one occurrence of each value of `remove` and with `add` merged in: one pass.
 * @throws Error when a value to remove is not there (the pool and the studies disagree).
 */
export function mergeSorted(sorted: Float64Array, remove: Float64Array, add: Float64Array): Float64Array {
  const out = new Float64Array(sorted.length - remove.length + add.length);
  let i = 0;
  let r = 0;
  let a = 0;
  let k = 0;
  while (i < sorted.length || a < add.length) {
    if (i < sorted.length && r < remove.length && sorted[i]! === remove[r]!) {
      i++;
      r++;
      continue;
    }
    if (r < remove.length && i < sorted.length && remove[r]! < sorted[i]!) throw new Error(`phase pool: value ${remove[r]} to remove is not in the pool`);
    if (a < add.length && (i >= sorted.length || add[a]! <= sorted[i]!)) out[k++] = add[a++]!;
    else out[k++] = sorted[i++]!;
  }
  if (r < remove.length) throw new Error(`phase pool: value ${remove[r]} to remove is not in the pool`);
  return out;
}

/** The pool with the `before` studies' values replaced by the `after` studies' values. */
export function updatePool(pool: PhasePool, before: readonly StudyPhases[], after: readonly StudyPhases[]): PhasePool {
  const count = (list: readonly StudyPhases[]) => list.reduce((n, s) => n + (s.anyDice ? 1 : 0), 0);
  const values = (list: readonly StudyPhases[], m: (typeof METRICS)[number]) => finiteSorted(list.flatMap((s) => s[m]));
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
