/**
 * The last stage of a run: ONE transaction that marks the run SUCCEEDED (compare-and-set on
 * RUNNING) and writes its metric rows (one per (reference, test, convention), upserted, so a
 * retry after a crash overwrites nothing with different numbers) and its summary (RunSummary +
 * RunPhaseSummary, replacing a stale one). A succeeded run therefore always has all its rows and
 * exactly one summary; a run cancelled meanwhile gets none of them.
 *
 * The summary's flags are recomputed here with the current FlagRuleSet (docs/flags.md), under the
 * flag-rules advisory lock held shared: a threshold save (which holds it exclusively and rewrites
 * every stored summary's flags) is either wholly before or wholly after this write.
 */
import type { Db } from '../db/client';
import type { PairMetrics } from '../../core/runs/compute-run-metrics';
import type { RunSummaryValues } from '../../core/stats/run-summary';
import { flagCodes } from '../../core/flags';
import { runSummaryCreate } from './run-summary.types';
import { FLAG_RULES_LOCK, loadFlagRules } from '../flags/load-flag-rules';

export async function persistRunResults(o: {
  db: Db;
  runId: string;
  studyId: string;
  measured: readonly PairMetrics[];
  summary: RunSummaryValues;
  timings: Record<string, number>;
}): Promise<'succeeded' | 'cancelled'> {
  const { runId } = o;
  return o.db.$transaction(
    async (tx) => {
      const w = await tx.segmentationRun.updateMany({
        where: { id: runId, status: 'RUNNING' },
        data: { status: 'SUCCEEDED', progress: 100, stage: 'done', finishedAt: new Date(), timings: o.timings, error: null, errorCode: null },
      });
      if (w.count !== 1) return 'cancelled';
      for (const pair of o.measured) {
        for (const row of pair.rows) {
          const data = {
            studyId: o.studyId,
            runId,
            values: row.values as object,
            nullReasons: row.nullReasons as object,
            toleranceMm: row.toleranceMm,
            spacingMm: row.spacingMm,
            dims: row.dims,
            codeVersion: row.codeVersion,
            referenceSha256: row.referenceSha256,
            testSha256: row.testSha256,
          };
          const key = { referenceStructureId: pair.referenceStructureId, testStructureId: pair.testStructureId, convention: row.convention };
          await tx.metricResult.upsert({ where: { referenceStructureId_testStructureId_convention: key }, create: { ...data, ...key }, update: data });
        }
      }
      await tx.$executeRaw`SELECT pg_advisory_xact_lock_shared(${FLAG_RULES_LOCK}::bigint)`;
      const { thresholds } = await loadFlagRules(tx);
      const summary = { ...o.summary, thresholds, flags: flagCodes(o.summary, thresholds) };
      await tx.runSummary.deleteMany({ where: { runId } });
      await tx.runSummary.create({ data: { run: { connect: { id: runId } }, ...runSummaryCreate(summary) } });
      return 'succeeded';
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
}
