/**
 * Cohort QA statistics over one row per study (its latest succeeded run's summary): the
 * iSeg-study table (n, median [IQR] of Dice, HD95 and FP volume for the GTV per phase and the
 * ITV), Dice by institution, the scatter data, and machine vs physician ITV volumes with the
 * paired Wilcoxon signed-rank test. Pure; quantiles are R type 7 (lib/core/stats/quantile.ts).
 */
import { median, quantile } from './quantile';
import { wilcoxonSignedRank } from './wilcoxon-signed-rank';

export type CaseRunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** One study as the cohort page sees it. Numbers are null when undefined or not yet computed. */
export interface CohortCase {
  studyId: string;
  pseudonym: string;
  institution: string;
  /** YYYY-MM-DD; shifted per patient for roles without identifiers:view (see dateShifted). */
  studyDate: string | null;
  dateShifted: boolean;
  physician: string | null;
  scanner: string | null;
  /** "name version" of the model of the summarised run. */
  model: string | null;
  /** Status of the study's latest run (any status); null without a run. */
  latestRunStatus: CaseRunStatus | null;
  latestRunError: string | null;
  /** Whether the summarised (latest succeeded) run has a stored summary. */
  hasSummary: boolean;
  gtvMedianDice: number | null;
  gtvMedianHd95Mm: number | null;
  itvDice: number | null;
  itvHd95Mm: number | null;
  itvFpCc: number | null;
  itvMachineCc: number | null;
  itvPhysicianCc: number | null;
  /** Tumour motion: largest 3D distance (mm) between physician GTV centroids over the phases. */
  motionMm: number | null;
  flags: string[];
  /** The numbers that explain the flags (lib/core/flags explainFlagCodes): lowest phase GTV Dice, largest ITV FP region (cc), farthest ITV FP voxel (mm). */
  gtvMinDice?: number | null;
  itvLargestFpRegionCc?: number | null;
  itvMaxFpDistanceMm?: number | null;
  /** The study has a planned dose; its summarised run's FP region volume and the part below 95 % of the prescription (cc; docs/dose.md). */
  hasDose?: boolean;
  fpDoseCc?: number | null;
  fpBelow95PctRxCc?: number | null;
}

export interface MedianIqr {
  n: number;
  median: number | null;
  q1: number | null;
  q3: number | null;
}

/**
 * median [IQR] of the finite values (nulls and non-finite numbers left out). One typed array,
 * sorted natively: no comparator call per pair.
 */
export function medianIqr(values: readonly (number | null | undefined)[]): MedianIqr {
  const buf = new Float64Array(values.length);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x === 'number' && Number.isFinite(x)) buf[k++] = x;
  }
  if (k === 0) return { n: 0, median: null, q1: null, q3: null };
  const v = buf.subarray(0, k).sort();
  return { n: k, median: median(v), q1: quantile(v, 0.25), q3: quantile(v, 0.75) };
}

/**
 * The GTV row's values: every phase of every summarised study pooled (tens of thousands of
 * values in a large cohort), summarised where the phase rows are, by the cohort query
 * (lib/server/cohort/find-cohort-cases.ts). Its quantiles are the same R type 7 as medianIqr's:
 * PostgreSQL's percentile_cont interpolates x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) with
 * h = (n − 1)p in double precision, as quantile.ts does.
 */
export interface PooledPhases {
  /** Studies with at least one phase whose Dice is stored (not null). */
  studies: number;
  dice: MedianIqr;
  hd95Mm: MedianIqr;
  fpCc: MedianIqr;
}

export interface SummaryRow {
  structure: 'GTV' | 'ITV';
  /** Number of studies contributing; for the GTV, `phases` counts the phase contours. */
  studies: number;
  phases: number | null;
  dice: MedianIqr;
  hd95Mm: MedianIqr;
  fpCc: MedianIqr;
}

export interface InstitutionBox {
  institution: string;
  n: number;
  q1: number;
  median: number;
  q3: number;
  /** Tukey whiskers: the most extreme values within 1.5 IQR of the box. */
  lowWhisker: number;
  highWhisker: number;
  /** Values beyond the whiskers. */
  outliers: number[];
}

export interface PairedVolumes {
  n: number;
  /** Median of machine − physician (cc). */
  medianDifferenceCc: number | null;
  p: number | null;
  statistic: number | null;
  method: 'exact' | 'normal' | null;
  /** Why there is no p (too few pairs, all differences zero). */
  note: string | null;
}

export interface CohortStats {
  studies: number;
  withSummary: number;
  /** Latest run failed / still queued or running / never run / succeeded without summary. */
  failed: number;
  pending: number;
  notRun: number;
  missingSummary: number;
  rows: SummaryRow[];
  byInstitution: InstitutionBox[];
  flagCounts: Record<string, number>;
  paired: PairedVolumes;
}

function box(institution: string, values: number[]): InstitutionBox | null {
  const v = Array.from(Float64Array.from(values).sort());
  if (!v.length) return null;
  const q1 = quantile(v, 0.25);
  const q3 = quantile(v, 0.75);
  const lo = q1 - 1.5 * (q3 - q1);
  const hi = q3 + 1.5 * (q3 - q1);
  // Every value between q1 and q3 is inside the whiskers, so `inside` is not empty for finite values.
  const inside = v.filter((x) => x >= lo && x <= hi);
  return {
    institution,
    n: v.length,
    q1,
    median: median(v),
    q3,
    lowWhisker: inside[0]!,
    highWhisker: inside[inside.length - 1]!,
    outliers: v.filter((x) => x < lo || x > hi),
  };
}

/**
 * @param cases one per study (filtered already).
 * @param pooledPhases the GTV values of the same studies' summarised runs, pooled.
 */
export function computeCohortStats(cases: readonly CohortCase[], pooledPhases: PooledPhases): CohortStats {
  const done = cases.filter((c) => c.hasSummary);
  const rows: SummaryRow[] = [
    {
      structure: 'GTV',
      studies: pooledPhases.studies,
      phases: pooledPhases.dice.n,
      dice: pooledPhases.dice,
      hd95Mm: pooledPhases.hd95Mm,
      fpCc: pooledPhases.fpCc,
    },
    {
      structure: 'ITV',
      studies: done.filter((c) => c.itvDice !== null).length,
      phases: null,
      dice: medianIqr(done.map((c) => c.itvDice)),
      hd95Mm: medianIqr(done.map((c) => c.itvHd95Mm)),
      fpCc: medianIqr(done.map((c) => c.itvFpCc)),
    },
  ];

  const byInst = new Map<string, number[]>();
  for (const c of done) {
    if (c.itvDice === null) continue;
    const list = byInst.get(c.institution);
    if (list) list.push(c.itvDice);
    else byInst.set(c.institution, [c.itvDice]);
  }
  const byInstitution = [...byInst.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([k, v]) => box(k, v))
    .filter((b): b is InstitutionBox => b !== null);

  const flagCounts: Record<string, number> = {};
  for (const c of cases) for (const f of c.flags) flagCounts[f] = (flagCounts[f] ?? 0) + 1;

  const pairs = done.filter((c) => c.itvMachineCc !== null && c.itvPhysicianCc !== null);
  let paired: PairedVolumes = { n: pairs.length, medianDifferenceCc: null, p: null, statistic: null, method: null, note: null };
  if (pairs.length) paired.medianDifferenceCc = medianIqr(pairs.map((c) => c.itvMachineCc! - c.itvPhysicianCc!)).median;
  if (pairs.length < 2) paired.note = 'Needs at least two studies with both ITVs.';
  else {
    try {
      const w = wilcoxonSignedRank(
        pairs.map((c) => c.itvMachineCc!),
        pairs.map((c) => c.itvPhysicianCc!),
      );
      paired = { ...paired, p: w.p, statistic: w.statistic, method: w.method };
    } catch (e) {
      paired.note = (e as Error).message;
    }
  }

  return {
    studies: cases.length,
    withSummary: done.length,
    failed: cases.filter((c) => c.latestRunStatus === 'FAILED' || c.latestRunStatus === 'CANCELLED').length,
    pending: cases.filter((c) => c.latestRunStatus === 'QUEUED' || c.latestRunStatus === 'RUNNING').length,
    notRun: cases.filter((c) => c.latestRunStatus === null).length,
    missingSummary: cases.filter((c) => !c.hasSummary && c.model !== null).length,
    rows,
    byInstitution,
    flagCounts,
    paired,
  };
}

export const CASE_SORT_KEYS = ['pseudonym', 'institution', 'date', 'model', 'gtvDice', 'itvDice', 'hd95', 'fpCc', 'motion', 'flags'] as const;
export type CaseSortKey = (typeof CASE_SORT_KEYS)[number];

const SORT_VALUE: Record<CaseSortKey, (c: CohortCase) => string | number | null> = {
  pseudonym: (c) => c.pseudonym,
  institution: (c) => c.institution,
  date: (c) => c.studyDate,
  model: (c) => c.model,
  gtvDice: (c) => c.gtvMedianDice,
  itvDice: (c) => c.itvDice,
  hd95: (c) => c.itvHd95Mm,
  fpCc: (c) => c.itvFpCc,
  motion: (c) => c.motionMm,
  // Failed runs count as a flag: they need attention as much as a discordant contour.
  flags: (c) => c.flags.length + (c.latestRunStatus === 'FAILED' ? 1 : 0),
};

/** Code-point order, not localeCompare: thousands of rows sort in milliseconds, and pseudonyms, dates and model versions are ASCII anyway. */
const cmpText = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/** Ties broken by pseudonym, then by study id (a patient's studies share the pseudonym): one order whatever the input order. */
const tieBreak = (a: CohortCase, b: CohortCase) => cmpText(a.pseudonym, b.pseudonym) || cmpText(a.studyId, b.studyId);

function compareKeyed(a: { c: CohortCase; v: string | number | null }, b: { c: CohortCase; v: string | number | null }, sign: number): number {
  const x = a.v;
  const y = b.v;
  if (x === null && y === null) return tieBreak(a.c, b.c);
  if (x === null) return 1;
  if (y === null) return -1;
  const c = typeof x === 'number' && typeof y === 'number' ? x - y : cmpText(String(x), String(y));
  return c !== 0 ? sign * c : tieBreak(a.c, b.c);
}

/** The order of sortCases as a comparator (for inserting into a sorted list). */
export function compareCases(key: CaseSortKey, dir: 'asc' | 'desc'): (a: CohortCase, b: CohortCase) => number {
  const get = SORT_VALUE[key];
  const sign = dir === 'asc' ? 1 : -1;
  return (a, b) => compareKeyed({ c: a, v: get(a) }, { c: b, v: get(b) }, sign);
}

/**
 * Sorted copy; nulls last in either direction, ties broken by pseudonym and study id so pages are stable.
 */
export function sortCases(cases: readonly CohortCase[], key: CaseSortKey, dir: 'asc' | 'desc'): CohortCase[] {
  const get = SORT_VALUE[key];
  const sign = dir === 'asc' ? 1 : -1;
  const keyed = cases.map((c) => ({ c, v: get(c) }));
  keyed.sort((a, b) => compareKeyed(a, b, sign));
  return keyed.map((k) => k.c);
}
