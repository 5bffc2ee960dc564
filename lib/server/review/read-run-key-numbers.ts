/**
 * The review key numbers of some segmentation runs: from each run's stored QA summary when it
 * has a valid one, otherwise from its metric rows (runs finished before the summary existed).
 * Internal to lib/server/review: callers authorise first.
 */
import type { Db } from '../db/client';
import { RunSummary } from '../runs/run-summary.types';
import { keyNumbersFromMetricRows, keyNumbersFromSummary, type CaseKeyNumbers, type RunMetricRow } from '@/lib/core/review/case-key-numbers';

/** runId → numbers; null when the run has neither a summary nor ITV/GTV metric rows. */
export async function readRunKeyNumbers(db: Db, runIds: string[]): Promise<Map<string, CaseKeyNumbers | null>> {
  if (runIds.length === 0) return new Map();
  const runs = await db.segmentationRun.findMany({ where: { id: { in: runIds } }, select: { id: true, summary: true } });
  return keyNumbersOfRuns(db, runs);
}

/** As readRunKeyNumbers, for runs whose summary the caller has already read (saves a query). */
export async function keyNumbersOfRuns(db: Db, runs: { id: string; summary: unknown }[]): Promise<Map<string, CaseKeyNumbers | null>> {
  const out = new Map<string, CaseKeyNumbers | null>();
  const needMetrics: string[] = [];
  for (const r of runs) {
    const parsed = r.summary === null || r.summary === undefined ? null : RunSummary.safeParse(r.summary);
    if (parsed?.success) out.set(r.id, keyNumbersFromSummary(parsed.data));
    else needMetrics.push(r.id);
  }
  if (needMetrics.length > 0) {
    const rows = await db.metricResult.findMany({
      where: { runId: { in: needMetrics }, convention: { in: ['overlap', 'voxel', 'discordance'] } },
      select: { runId: true, convention: true, values: true, testStructure: { select: { kind: true } } },
    });
    const byRun = new Map<string, RunMetricRow[]>();
    for (const m of rows) {
      const list = byRun.get(m.runId!) ?? [];
      list.push({ structureKind: m.testStructure.kind, convention: m.convention, values: m.values });
      byRun.set(m.runId!, list);
    }
    for (const id of needMetrics) {
      const list = byRun.get(id);
      out.set(id, list && list.length > 0 ? keyNumbersFromMetricRows(list) : null);
    }
  }
  return out;
}
