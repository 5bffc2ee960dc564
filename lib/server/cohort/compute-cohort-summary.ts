/**
 * Cached cohort counts and Dice medians over the latest metric rows per study and structure,
 * stored in the one CohortSummary row. Run by the worker job `cohort.summary` (after it has
 * backfilled missing run summaries). The cohort page does not read this cache: it computes its
 * numbers live from the runs' stored summaries (find-cohort-cases.ts); the row remains for
 * `getCohortSummary` callers and as the job's visible result.
 */
import type { Db } from '../db/client';
import { median, quantile } from '../../core/stats/quantile';

export interface MetricSummary {
  n: number;
  median: number | null;
  q1: number | null;
  q3: number | null;
}

export interface CohortSummaryValues {
  patients: number;
  studies: number;
  series: number;
  runs: { total: number; succeeded: number; failed: number; queued: number; running: number };
  outcomes: { patients: number; localFailures: number; deaths: number };
  gtvDice: MetricSummary;
  itvDice: MetricSummary;
}

function summarise(values: number[]): MetricSummary {
  if (values.length === 0) return { n: 0, median: null, q1: null, q3: null };
  const sorted = [...values].sort((a, b) => a - b);
  return { n: values.length, median: median(sorted), q1: quantile(sorted, 0.25), q3: quantile(sorted, 0.75) };
}

export async function computeCohortSummary(db: Db): Promise<CohortSummaryValues> {
  const [patients, studies, series, runGroups, outcomes, lf, deaths, dice] = await Promise.all([
    db.patient.count(),
    db.study.count(),
    db.imageSeries.count(),
    db.segmentationRun.groupBy({ by: ['status'], _count: { _all: true } }),
    db.outcome.count(),
    db.outcome.count({ where: { localFailure: true } }),
    db.outcome.count({ where: { died: true } }),
    // The latest result per study and machine structure (each phase GTV, and the ITV).
    db.$queryRaw<{ kind: string; dice: number }[]>`
      SELECT DISTINCT ON (m."studyId", ms."label") ms."kind"::text AS kind, (m."values"->>'dice')::float8 AS dice
      FROM "MetricResult" m JOIN "MachineStructure" ms ON ms.id = m."testStructureId"
      WHERE m."convention" = 'overlap' AND m."values"->>'dice' IS NOT NULL
      ORDER BY m."studyId", ms."label", m."createdAt" DESC`,
  ]);
  const byStatus = Object.fromEntries(runGroups.map((g) => [g.status, g._count._all])) as Record<string, number>;
  return {
    patients,
    studies,
    series,
    runs: {
      total: runGroups.reduce((s, g) => s + g._count._all, 0),
      succeeded: byStatus.SUCCEEDED ?? 0,
      failed: byStatus.FAILED ?? 0,
      queued: byStatus.QUEUED ?? 0,
      running: byStatus.RUNNING ?? 0,
    },
    outcomes: { patients: outcomes, localFailures: lf, deaths },
    gtvDice: summarise(dice.filter((d) => d.kind === 'GTV').map((d) => d.dice)),
    itvDice: summarise(dice.filter((d) => d.kind === 'ITV').map((d) => d.dice)),
  };
}

/** Computes and stores the summary (idempotent: one row, overwritten). */
export async function refreshCohortSummary(db: Db, { jobId }: { jobId?: string } = {}): Promise<CohortSummaryValues> {
  const values = await computeCohortSummary(db);
  await db.cohortSummary.upsert({
    where: { id: 'global' },
    create: { id: 'global', values: values as object, jobId, computedAt: new Date() },
    update: { values: values as object, jobId, computedAt: new Date() },
  });
  return values;
}
