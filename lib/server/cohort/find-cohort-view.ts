/**
 * Everything the cohort page shows for one view (filters, sort, page): the statistics, the chart
 * points and the requested page of the case table, computed from findCohortCases and kept in the
 * web process until the cohort data version changes (docs/architecture.md, "Cohort page").
 *
 * The version is one row (CohortDataVersion) that database triggers bump, once per transaction,
 * whenever a row the page reads changes: a study, patient, identity, institution, model, run
 * summary, dose, or a run's status, times, model or error (not a worker's heartbeat or progress;
 * migration 20261207040000_cohort_scale). It is read before the cohort, so a cached cohort is
 * never older than its version: a change committed while the cohort is computed bumps the version
 * again and the next view recomputes. Nothing but the version is read on a view with unchanged
 * data, so a view at 50,000 studies costs a page of rows, not the query and the statistics.
 *
 * Kept per (filters, whether the caller sees identifiers): the statistics do not depend on the
 * sort or the page; each sort order is computed once per cached cohort. A few cohorts are kept
 * (the last used first); each holds its case rows (about 25 MB at 50,000 studies).
 */
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { findCohortCases } from './find-cohort-cases';
import { CASES_PER_PAGE, type CohortFilters, type CohortQuery } from './find-cohort-cases.types';
import { computeCohortStats, sortCases, type CohortCase, type CohortStats, type PooledPhases } from '../../core/stats/cohort-stats';
import { cohortDoseByInstitution, type CohortDoseRow } from '../../core/dose/cohort-dose';
import { thinChartPoints, CHART_GRID, type ChartThinning } from '../../core/stats/thin-chart-points';

/** The chart columns (components/charts/cohort-charts-panel.tsx, CohortChartColumns). */
export interface CohortChartColumnsData {
  ids: string[];
  labels: string[];
  /** Index into the institution boxes (−1: no ITV Dice). */
  institution: number[];
  itvDice: (number | null)[];
  physicianItvCc: (number | null)[];
  machineItvCc: (number | null)[];
  motionMm: (number | null)[];
}

export interface CohortView {
  stats: CohortStats;
  datesShifted: boolean;
  /** CohortChartColumnsData as JSON: one string is far cheaper to stream than thousands of array items. */
  columnsJson: string;
  /** How many studies with results the charts draw, of how many (thinned above CHART_POINTS_ALL). */
  chartPoints: ChartThinning;
  page: CohortCase[];
  /** The page shown (the requested one, or the last when it asked past the end). */
  pageNumber: number;
  pageCount: number;
  totalCases: number;
  /** The dose view by institution (lib/core/dose/cohort-dose.ts); [] when no study has a dose. */
  doseRows: CohortDoseRow[];
  /** Whether this view reused a cohort computed for an earlier view (same data version). */
  reused: boolean;
}

/** Up to this many studies with results, the charts draw every one; above it, one per grid cell. */
export const CHART_POINTS_ALL = 2000;
/** Cohorts kept (different filters or views); the least recently used is dropped. */
const KEEP = 6;

/** Three significant digits: enough for a plot, and a smaller page. */
const r3 = (v: number | null) => (v === null ? null : Number(v.toPrecision(3)));

interface Derived {
  cases: CohortCase[];
  stats: CohortStats;
  datesShifted: boolean;
  columnsJson: string;
  chartPoints: ChartThinning;
  doseRows: CohortDoseRow[];
  sorted: Map<string, CohortCase[]>;
}

function derive(cases: CohortCase[], pooledPhases: PooledPhases, datesShifted: boolean): Derived {
  const stats = computeCohortStats(cases, pooledPhases);
  const withResults = cases.filter((c) => c.hasSummary);
  const { keep, thinning } = thinChartPoints(
    withResults.map((c) => ({
      id: c.studyId,
      institution: c.institution,
      itvDice: c.itvDice,
      physicianItvCc: c.itvPhysicianCc,
      machineItvCc: c.itvMachineCc,
      motionMm: c.motionMm,
    })),
    { maxAll: CHART_POINTS_ALL, grid: CHART_GRID },
  );
  const done = keep === null ? withResults : withResults.filter((_, i) => keep[i]);
  const boxIndex = new Map(stats.byInstitution.map((b, i) => [b.institution, i]));
  const columns: CohortChartColumnsData = {
    ids: done.map((c) => c.studyId),
    labels: done.map((c) => c.pseudonym),
    institution: done.map((c) => (c.itvDice === null ? -1 : (boxIndex.get(c.institution) ?? -1))),
    itvDice: done.map((c) => r3(c.itvDice)),
    physicianItvCc: done.map((c) => r3(c.itvPhysicianCc)),
    machineItvCc: done.map((c) => r3(c.itvMachineCc)),
    motionMm: done.map((c) => r3(c.motionMm)),
  };
  return {
    cases,
    stats,
    datesShifted,
    columnsJson: JSON.stringify(columns),
    chartPoints: thinning,
    doseRows: cohortDoseByInstitution(cases),
    sorted: new Map(),
  };
}

interface Entry {
  version: string;
  derived: Promise<Derived>;
}
/** On globalThis: Next.js may bundle this module twice (the pages, instrumentation.ts); one cache for both. */
const globalForViews = globalThis as unknown as { __isegCohortViews?: Map<string, Entry> };
const cache = (globalForViews.__isegCohortViews ??= new Map<string, Entry>());

/** The current cohort data version; null when its row is missing (nothing is kept then). */
export async function readCohortDataVersion(db: Db): Promise<string | null> {
  const rows = await db.$queryRaw<{ v: string }[]>`SELECT "version"::text AS v FROM "CohortDataVersion" WHERE id = 1`;
  return rows[0]?.v ?? null;
}

/** Forgets every kept cohort (tests; a process that changed data without the triggers). */
export function forgetCohortViews(): void {
  cache.clear();
}

/**
 * Computes the unfiltered cohort for both views (with and without identifiers) ahead of the
 * first page view: the web process calls it when it starts (instrumentation.ts), so the first
 * view after a start finds it ready (or in progress). Nothing leaves the process.
 */
export async function prepareCohortViews(db: Db): Promise<void> {
  const none: CohortFilters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };
  for (const role of ['PHYSICIST', 'RESEARCHER'] as const) {
    await keptCohort(db, { userId: 'system:prepare-cohort', email: 'system', name: 'system', role }, none);
  }
}

async function keptCohort(db: Db, caller: Caller, filters: CohortFilters): Promise<{ derived: Derived; reused: boolean }> {
  const version = await readCohortDataVersion(db);
  const key = JSON.stringify([can(caller.role, 'identifiers:view'), filters]);
  let entry = cache.get(key);
  const reused = entry !== undefined && version !== null && entry.version === version;
  if (!reused) {
    const derived = findCohortCases(db, { caller, filters }).then((r) => derive(r.cases, r.pooledPhases, r.datesShifted));
    entry = { version: version ?? '', derived };
    if (version === null) cache.delete(key);
    else cache.set(key, entry);
    // A failed computation is not kept: the next view tries again.
    derived.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
  } else {
    // Most recently used last: Map keeps insertion order.
    cache.delete(key);
    cache.set(key, entry!);
  }
  while (cache.size > KEEP) cache.delete(cache.keys().next().value!);
  return { derived: await entry!.derived, reused };
}

export async function findCohortView(db: Db, { caller, query }: { caller: Caller; query: CohortQuery }): Promise<CohortView> {
  authorize(caller, 'cohort:view');
  const { sort, dir, page: _page, ...filters } = query;
  const { derived: d, reused } = await keptCohort(db, caller, filters);
  const sortKey = `${sort} ${dir}`;
  let sorted = d.sorted.get(sortKey);
  if (!sorted) {
    sorted = sortCases(d.cases, sort, dir);
    d.sorted.set(sortKey, sorted);
  }
  const pageCount = Math.max(1, Math.ceil(sorted.length / CASES_PER_PAGE));
  const pageNumber = Math.min(query.page, pageCount);
  return {
    stats: d.stats,
    datesShifted: d.datesShifted,
    columnsJson: d.columnsJson,
    chartPoints: d.chartPoints,
    page: sorted.slice((pageNumber - 1) * CASES_PER_PAGE, pageNumber * CASES_PER_PAGE),
    pageNumber,
    pageCount,
    totalCases: sorted.length,
    doseRows: d.doseRows,
    reused,
  };
}
