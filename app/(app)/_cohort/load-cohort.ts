/**
 * Everything the cohort page shows, from one query (findCohortCases): the statistics, the chart
 * points and the requested page of the case table. The page starts it once and hands the
 * promise to each streamed widget.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { findCohortCases } from '@/lib/server/cohort/find-cohort-cases';
import { CASES_PER_PAGE, type CohortQuery } from '@/lib/server/cohort/find-cohort-cases.types';
import { computeCohortStats, sortCases, type CohortCase, type CohortStats, type PooledPhases } from '@/lib/core/stats/cohort-stats';
import type { CohortChartColumns } from '@/components/charts/cohort-charts-panel';
import type { FlagThresholds } from '@/lib/core/flags';
import { loadFlagRules } from '@/lib/server/flags/load-flag-rules';
import { cohortDoseByInstitution, type CohortDoseRow } from '@/lib/core/dose/cohort-dose';

export interface CohortData {
  stats: CohortStats;
  datesShifted: boolean;
  /** CohortChartColumns as JSON: one string is far cheaper to stream than 35,000 array items. */
  columnsJson: string;
  page: CohortCase[];
  pageCount: number;
  totalCases: number;
  /** The current flag thresholds (the stored flags were computed with them; docs/flags.md), to word each flag. */
  flagThresholds: FlagThresholds;
  /** The dose view by institution (lib/core/dose/cohort-dose.ts); [] when no study has a dose. */
  doseRows: CohortDoseRow[];
}

/** Three significant digits: enough for a plot, and a smaller page. */
const r3 = (v: number | null) => (v === null ? null : Number(v.toPrecision(3)));

interface Derived {
  cases: CohortCase[];
  stats: CohortStats;
  datesShifted: boolean;
  columnsJson: string;
}

function derive(cases: CohortCase[], pooledPhases: PooledPhases, datesShifted: boolean): Derived {
  const stats = computeCohortStats(cases, pooledPhases);
  const done = cases.filter((c) => c.hasSummary);
  const boxIndex = new Map(stats.byInstitution.map((b, i) => [b.institution, i]));
  const columns: CohortChartColumns = {
    ids: done.map((c) => c.studyId),
    labels: done.map((c) => c.pseudonym),
    institution: done.map((c) => (c.itvDice === null ? -1 : (boxIndex.get(c.institution) ?? -1))),
    itvDice: done.map((c) => r3(c.itvDice)),
    physicianItvCc: done.map((c) => r3(c.itvPhysicianCc)),
    machineItvCc: done.map((c) => r3(c.itvMachineCc)),
    motionMm: done.map((c) => r3(c.motionMm)),
  };
  return { cases, stats, datesShifted, columnsJson: JSON.stringify(columns) };
}

export async function loadCohort(caller: Caller, query: CohortQuery): Promise<CohortData> {
  const [{ cases, pooledPhases, datesShifted }, rules] = await Promise.all([findCohortCases(db(), { caller, filters: query }), loadFlagRules(db())]);
  const d = derive(cases, pooledPhases, datesShifted);
  const sorted = sortCases(d.cases, query.sort, query.dir);
  const pageCount = Math.max(1, Math.ceil(sorted.length / CASES_PER_PAGE));
  const page = Math.min(query.page, pageCount);
  return {
    stats: d.stats,
    datesShifted: d.datesShifted,
    columnsJson: d.columnsJson,
    page: sorted.slice((page - 1) * CASES_PER_PAGE, page * CASES_PER_PAGE),
    pageCount,
    totalCases: sorted.length,
    flagThresholds: rules.thresholds,
    doseRows: cohortDoseByInstitution(d.cases),
  };
}
