/**
 * Everything the cohort page shows for one view (filters, sort, page): the statistics, the chart
 * points and the requested page of the case table, computed from findCohortCases and kept in the
 * web process until the cohort data version changes (docs/architecture.md, "Cohort page").
 *
 * The version is one row (CohortDataVersion) that database triggers bump, once per transaction,
 * whenever a row the page reads changes: a study, patient, identity, institution, model, run
 * summary, dose, or a run's status, times, model or error (not a worker's heartbeat or progress;
 * migration 20261207040000_cohort_scale). It is read before the cohort, so a cached cohort is
 * never older than its version. Nothing but the version is read on a view with unchanged data,
 * so a view at 50,000 studies costs a page of rows, not the query and the statistics.
 *
 * After a change, the same triggers have logged which studies each version changed (CohortChange,
 * migration 20261207050000_cohort_incremental): the next view reads those studies only
 * (findCohortRows with their ids), replaces their rows, their pooled phase values (kept sorted,
 * lib/core/stats/phase-pool.ts) and their share of the statistics (kept sorted too,
 * lib/core/stats/kept-cohort-stats.ts), and moves them in each kept sort order; the chart points,
 * flag counts and dose rows are one pass over the rows in memory. The whole
 * cohort is read again only when the log cannot say (an institution or model renamed, a truncate,
 * a log pruned past the kept version) or when more than INCREMENTAL_MAX studies changed. A change
 * committed while the cohort is read is applied at the next view (its version is later), and
 * reading a study again is idempotent, so the kept cohort equals a computation from scratch.
 *
 * Kept per (filters, whether the caller sees identifiers): the statistics do not depend on the
 * sort or the page; each sort order is computed once per cached cohort. A few cohorts are kept
 * (the last used first); each holds its case rows (about 25 MB at 50,000 studies).
 *
 * The unfiltered cohort (with and without identifiers) is also stored (CohortSnapshot,
 * write-cohort-snapshot.ts) after a whole read and every SNAPSHOT_EVERY versions, so that a new
 * process starts from it and the change log since, not from the whole query.
 */
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { findCohortRows } from './find-cohort-cases';
import { readCohortSnapshot } from './read-cohort-snapshot';
import { writeCohortSnapshot } from './write-cohort-snapshot';
import type { CohortSnapshotContent } from './cohort-snapshot-format';
import { CASES_PER_PAGE, type CohortFilters, type CohortQuery } from './find-cohort-cases.types';
import { compareCases, sortCases, type CaseSortKey, type CohortCase, type CohortStats } from '../../core/stats/cohort-stats';
import { poolPhases, pooledPhases, updatePool, type PhasePool, type StudyPhases } from '../../core/stats/phase-pool';
import { cohortDoseByInstitution, type CohortDoseRow } from '../../core/dose/cohort-dose';
import { keepCohortStats, keptCohortStats, updateKeptCohortStats, type KeptCohortStats } from '../../core/stats/kept-cohort-stats';
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
  /**
   * How this view's cohort was had: kept (same version), updated (the changed studies applied),
   * restored (a process's first view: the stored kept cohort with the changes since) or computed (read whole).
   */
  source: 'kept' | 'updated' | 'restored' | 'computed';
}

/** Up to this many studies with results, the charts draw every one; above it, one per grid cell. */
export const CHART_POINTS_ALL = 2000;
/** Cohorts kept (different filters or views); the least recently used is dropped. */
const KEEP = 6;
/** Above this many changed studies since the kept version, the whole cohort is read again. */
export const INCREMENTAL_MAX = 5000;
/** Above this many changed studies, a kept sort order is sorted again rather than updated in place. */
const RESORT_ABOVE = 300;

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

/** A kept cohort: its rows and phase values by study, the pooled phase values, the kept statistics, and what the page shows. */
interface Kept {
  byId: Map<string, { c: CohortCase; ph: StudyPhases }>;
  pool: PhasePool;
  stats: KeptCohortStats;
  view: Derived;
  /** A study left the cohort since it was last stored (the stored one is written again at once). */
  leftSinceStored?: boolean;
}

function derive(cases: CohortCase[], pool: PhasePool, kept: KeptCohortStats, datesShifted: boolean, sorted = new Map<string, CohortCase[]>()): Derived {
  const stats = keptCohortStats(kept, cases, pooledPhases(pool));
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
    sorted,
  };
}

async function computeKept(db: Db, caller: Caller, filters: CohortFilters): Promise<Kept> {
  const r = await findCohortRows(db, { caller, filters });
  const byId = new Map(r.cases.map((c, i) => [c.studyId, { c, ph: r.phases[i]! }]));
  const pool = poolPhases(r.phases);
  const stats = keepCohortStats(r.cases);
  return { byId, pool, stats, view: derive(r.cases, pool, stats, r.datesShifted) };
}

/**
 * A kept sort order, in place: the changed studies' old rows (`removed`) taken out and their new
 * rows (`added`) put in, each found by binary search (the order is total: ties end at the study
 * id), so a change of a few studies costs a few searches and array moves, not a pass.
 */
function resort(list: CohortCase[], sortKey: string, removed: CohortCase[], added: CohortCase[]): void {
  const [key, dir] = sortKey.split(' ') as [CaseSortKey, 'asc' | 'desc'];
  const cmp = compareCases(key, dir);
  const lowerBound = (c: CohortCase) => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(list[mid]!, c) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  for (const c of removed) {
    const at = lowerBound(c);
    if (list[at] !== c) throw new Error(`cohort: study ${c.studyId} is not where its sort order puts it`);
    list.splice(at, 1);
  }
  for (const c of added) list.splice(lowerBound(c), 0, c);
}

/**
 * Applies the rows of the changed studies (as read now; a study absent from `rows` left the
 * cohort or was deleted) to a kept cohort, in place; synchronous, so no view sees it half done.
 */
function applyChanges(k: Kept, ids: readonly string[], rows: { cases: CohortCase[]; phases: StudyPhases[]; datesShifted: boolean }): void {
  const before: StudyPhases[] = [];
  const removed: CohortCase[] = [];
  for (const id of ids) {
    const held = k.byId.get(id);
    if (held) {
      before.push(held.ph);
      removed.push(held.c);
    }
  }
  const fresh = new Map(rows.cases.map((c, i) => [c.studyId, { c, ph: rows.phases[i]! }]));
  // Both computed before either is kept: a throw leaves the kept cohort as it was.
  const pool = updatePool(k.pool, before, rows.phases);
  const stats = updateKeptCohortStats(k.stats, removed, rows.cases);
  k.pool = pool;
  k.stats = stats;
  for (const id of ids) {
    const now = fresh.get(id);
    if (now) k.byId.set(id, now);
    else if (k.byId.delete(id)) k.leftSinceStored = true;
  }
  const cases = Array.from(k.byId.values(), (x) => x.c);
  // Above RESORT_ABOVE changed studies, each sort order is sorted again when next asked for.
  const sorted = ids.length > RESORT_ABOVE ? new Map<string, CohortCase[]>() : k.view.sorted;
  for (const [sortKey, list] of sorted) resort(list, sortKey, removed, rows.cases);
  k.view = derive(cases, k.pool, k.stats, rows.datesShifted, sorted);
}

interface Entry {
  version: bigint;
  kept: Promise<Kept>;
}
/** On globalThis: Next.js may bundle this module twice (the pages, instrumentation.ts); one cache for both. */
const globalForViews = globalThis as unknown as { __isegCohortViews?: Map<string, Entry> };
const cache = (globalForViews.__isegCohortViews ??= new Map<string, Entry>());

/** The current cohort data version; null when its row is missing (nothing is kept then). */
export async function readCohortDataVersion(db: Db): Promise<string | null> {
  return (await readCohortState(db))?.version.toString() ?? null;
}

/** The data version and the version after which the change log is complete. */
async function readCohortState(db: Db): Promise<{ version: bigint; changesFrom: bigint } | null> {
  const rows = await db.$queryRaw<{ version: bigint; changesFrom: bigint }[]>`SELECT "version", "changesFrom" FROM "CohortDataVersion" WHERE id = 1`;
  const r = rows[0];
  return r ? { version: BigInt(r.version), changesFrom: BigInt(r.changesFrom) } : null;
}

/** The studies the versions after `from` up to `to` changed; null when one changed everything ('*'). */
async function changedStudies(db: Db, from: bigint, to: bigint): Promise<string[] | null> {
  const rows = await db.$queryRaw<{ studyId: string }[]>`
    SELECT DISTINCT "studyId" FROM "CohortChange" WHERE "version" > ${from} AND "version" <= ${to}`;
  const ids = rows.map((r) => r.studyId);
  return ids.includes('*') ? null : ids;
}

/** Forgets every kept cohort (tests; a process that changed data without the triggers). */
export function forgetCohortViews(): void {
  cache.clear();
  snapshots.written.clear();
}

/**
 * Prepares the unfiltered cohort for both views (with and without identifiers) ahead of the
 * first page view, from the stored kept cohort and the changes since when there is one: the web
 * process calls it when it starts (instrumentation.ts), so the first view after a start finds it
 * ready (or in progress).
 */
export async function prepareCohortViews(db: Db): Promise<void> {
  const none: CohortFilters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };
  for (const role of ['PHYSICIST', 'RESEARCHER'] as const) {
    await keptCohort(db, { userId: 'system:prepare-cohort', email: 'system', name: 'system', role }, none);
  }
}

/** Stored kept cohorts (CohortSnapshot): the unfiltered view, with and without identifiers. */
const snapshotted = (filters: CohortFilters) => Object.values(filters).every((v) => v === null);
/**
 * A stored kept cohort is written again once the kept one is this many versions newer (the change
 * log keeps 10,000), or at once when a study left the cohort (a deleted study's row leaves the store).
 */
export const SNAPSHOT_EVERY = 500;
/** Per view, the version last stored (or read); the writes, one after another. */
const snapshots = ((globalThis as unknown as { __isegCohortSnapshots?: { written: Map<string, bigint>; pending: Promise<void> } }).__isegCohortSnapshots ??= {
  written: new Map<string, bigint>(),
  pending: Promise.resolve(),
});

/**
 * Stores a kept cohort (not on the page's path: after the current view, on its own turn of the
 * event loop; gzip on the thread pool). It may hold changes of versions after `version` (it is
 * updated in place meanwhile); applying the log from `version` again is idempotent.
 */
function storeKept(db: Db, key: string, version: bigint, k: Kept, force: boolean): void {
  const last = snapshots.written.get(key);
  if (!force && !k.leftSinceStored && last !== undefined && version < last + BigInt(SNAPSHOT_EVERY)) return;
  snapshots.written.set(key, version);
  k.leftSinceStored = false;
  snapshots.pending = snapshots.pending
    .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
    .then(async () => {
      const entries = [...k.byId.values()];
      const content = { datesShifted: k.view.datesShifted, cases: entries.map((x) => x.c), phases: entries.map((x) => x.ph), pool: k.pool };
      await writeCohortSnapshot(db, { key, version, content });
    })
    .catch((e: unknown) => console.error(`cohort: storing the kept cohort (version ${version}) failed; the next process reads the whole cohort`, e));
}

/** Waits for the kept cohorts being stored (tests). */
export async function flushCohortSnapshots(): Promise<void> {
  await snapshots.pending;
}

/** A kept cohort from stored rows, phase values and pooled phase values. */
function keptOf(content: CohortSnapshotContent): Kept {
  const byId = new Map(content.cases.map((c, i) => [c.studyId, { c, ph: content.phases[i]! }]));
  const pool = content.pool;
  const stats = keepCohortStats(content.cases);
  return { byId, pool, stats, view: derive(content.cases, pool, stats, content.datesShifted) };
}

type SetSource = (s: CohortView['source']) => void;

/** `k` (kept at version `from`) with the studies the versions after it up to `to` changed; the whole cohort when the log cannot say. */
async function updateKept(db: Db, caller: Caller, filters: CohortFilters, k: Kept, from: bigint, to: bigint, setSource: SetSource): Promise<Kept> {
  const ids = await changedStudies(db, from, to);
  if (ids === null || ids.length > INCREMENTAL_MAX) {
    setSource('computed');
    return computeKept(db, caller, filters);
  }
  if (ids.length === 0) return k;
  const rows = await findCohortRows(db, { caller, filters, studyIds: ids });
  try {
    applyChanges(k, ids, rows);
    return k;
  } catch (e) {
    // The kept cohort disagrees with itself (a bug): read it whole rather than fail the page.
    console.error('cohort: applying the changed studies failed; reading the whole cohort', e);
    setSource('computed');
    return computeKept(db, caller, filters);
  }
}

/**
 * A view's kept cohort from its stored one (a process's first view of it), brought up to `state`
 * from the change log; the whole cohort when none is stored, it is corrupt, or the log no longer
 * reaches back to its version.
 */
async function restoreKept(
  db: Db,
  caller: Caller,
  filters: CohortFilters,
  key: string,
  state: { version: bigint; changesFrom: bigint },
  setSource: SetSource,
): Promise<Kept> {
  const snap = await readCohortSnapshot(db, { key }).catch((e: unknown) => {
    console.error('cohort: reading the stored kept cohort failed; reading the whole cohort', e);
    return null;
  });
  if (snap === null || snap.version > state.version || snap.version < state.changesFrom) {
    setSource('computed');
    return computeKept(db, caller, filters);
  }
  const last = snapshots.written.get(key);
  if (last === undefined || last < snap.version) snapshots.written.set(key, snap.version);
  const k = keptOf(snap.content);
  return snap.version === state.version ? k : updateKept(db, caller, filters, k, snap.version, state.version, setSource);
}

async function keptCohort(db: Db, caller: Caller, filters: CohortFilters): Promise<{ derived: Derived; source: CohortView['source'] }> {
  const state = await readCohortState(db);
  const key = JSON.stringify([can(caller.role, 'identifiers:view'), filters]);
  let entry = cache.get(key);
  let source: CohortView['source'];
  const setSource: SetSource = (s) => (source = s);
  if (entry !== undefined && state !== null && entry.version === state.version) {
    source = 'kept';
    // Most recently used last: Map keeps insertion order.
    cache.delete(key);
    cache.set(key, entry);
  } else {
    const held = entry;
    // The change log covers the kept version: apply the changed studies; otherwise read everything
    // (or, for a view whose kept cohort is stored and not yet kept here, start from the stored one).
    const incremental = held !== undefined && state !== null && held.version < state.version && held.version >= state.changesFrom;
    const restore = held === undefined && state !== null && snapshotted(filters);
    source = incremental ? 'updated' : restore ? 'restored' : 'computed';
    const kept: Promise<Kept> = incremental
      ? held.kept.then(
          (k) => updateKept(db, caller, filters, k, held.version, state.version, setSource),
          () => computeKept(db, caller, filters),
        )
      : restore
        ? restoreKept(db, caller, filters, key, state, setSource)
        : computeKept(db, caller, filters);
    entry = { version: state?.version ?? 0n, kept };
    if (state === null) cache.delete(key);
    else {
      cache.delete(key);
      cache.set(key, entry);
    }
    // A failed computation is not kept: the next view tries again.
    const mine = entry;
    kept.catch(() => {
      if (cache.get(key) === mine) cache.delete(key);
    });
  }
  while (cache.size > KEEP) cache.delete(cache.keys().next().value!);
  const k = await entry.kept;
  // Stored (not awaited): after reading the whole cohort, and every SNAPSHOT_EVERY versions.
  if (state !== null && snapshotted(filters) && source! !== 'kept') storeKept(db, key, state.version, k, source! === 'computed');
  return { derived: k.view, source: source! };
}

export async function findCohortView(db: Db, { caller, query }: { caller: Caller; query: CohortQuery }): Promise<CohortView> {
  authorize(caller, 'cohort:view');
  const { sort, dir, page: _page, ...filters } = query;
  const { derived: d, source } = await keptCohort(db, caller, filters);
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
    reused: source === 'kept',
    source,
  };
}
