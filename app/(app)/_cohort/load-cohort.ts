/**
 * Everything the cohort page shows, from one query (findCohortCases): the statistics, the chart
 * points and the requested page of the case table. The page starts it once and hands the
 * promise to each streamed widget.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { findCohortCases } from '@/lib/server/cohort/find-cohort-cases';
import { CASES_PER_PAGE, type CohortQuery } from '@/lib/server/cohort/find-cohort-cases.types';
import { computeCohortStats, sortCases, type CohortCase, type CohortStats } from '@/lib/core/stats/cohort-stats';

export interface ScatterPoint {
  x: number;
  y: number;
  /** Study id (click-through) and pseudonym (tooltip). */
  id: string;
  label: string;
}

export interface CohortData {
  stats: CohortStats;
  datesShifted: boolean;
  diceVsVolume: ScatterPoint[];
  diceVsMotion: ScatterPoint[];
  volumes: ScatterPoint[];
  /** ITV Dice per institution, for the strip plot. */
  strip: { institution: string; dice: number; id: string; label: string }[];
  page: CohortCase[];
  pageCount: number;
  totalCases: number;
}

/** Four significant digits: enough for a plot, and a smaller page. */
const r4 = (v: number) => Number(v.toPrecision(4));

function points(cases: CohortCase[], x: (c: CohortCase) => number | null, y: (c: CohortCase) => number | null): ScatterPoint[] {
  const out: ScatterPoint[] = [];
  for (const c of cases) {
    const a = x(c);
    const b = y(c);
    if (a !== null && b !== null) out.push({ x: r4(a), y: r4(b), id: c.studyId, label: c.pseudonym });
  }
  return out;
}

export async function loadCohort(caller: Caller, query: CohortQuery): Promise<CohortData> {
  const { cases, datesShifted } = await findCohortCases(db(), { caller, filters: query });
  const stats = computeCohortStats(cases);
  const done = cases.filter((c) => c.hasSummary);
  const sorted = sortCases(cases, query.sort, query.dir);
  const pageCount = Math.max(1, Math.ceil(sorted.length / CASES_PER_PAGE));
  const page = Math.min(query.page, pageCount);
  return {
    stats,
    datesShifted,
    diceVsVolume: points(done, (c) => c.itvPhysicianCc, (c) => c.itvDice),
    diceVsMotion: points(done, (c) => c.motionMm, (c) => c.itvDice),
    volumes: points(done, (c) => c.itvPhysicianCc, (c) => c.itvMachineCc),
    strip: done.filter((c) => c.itvDice !== null).map((c) => ({ institution: c.institution, dice: r4(c.itvDice!), id: c.studyId, label: c.pseudonym })),
    page: sorted.slice((page - 1) * CASES_PER_PAGE, page * CASES_PER_PAGE),
    pageCount,
    totalCases: sorted.length,
  };
}
