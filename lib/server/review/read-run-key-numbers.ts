/**
 * The review key numbers of some segmentation runs, from each run's QA summary (the RunSummary
 * row written with SUCCEEDED). Internal to lib/server/review: callers authorise first.
 */
import type { Db } from '../db/client';
import { RUN_SUMMARY_INCLUDE, runSummaryFromRow, type RunSummaryRow } from '../runs/run-summary.types';
import { keyNumbersFromSummary, type CaseKeyNumbers } from '@/lib/core/review/case-key-numbers';

/** The summary select for runs passed to keyNumbersOfRuns. */
export const KEY_NUMBERS_SELECT = { summary: { include: RUN_SUMMARY_INCLUDE } } as const;

/** runId → numbers; null when the run has no summary (not succeeded). */
export async function readRunKeyNumbers(db: Db, runIds: string[]): Promise<Map<string, CaseKeyNumbers | null>> {
  if (runIds.length === 0) return new Map();
  const runs = await db.segmentationRun.findMany({ where: { id: { in: runIds } }, select: { id: true, ...KEY_NUMBERS_SELECT } });
  return keyNumbersOfRuns(runs);
}

/** As readRunKeyNumbers, for runs whose summary rows the caller has already read (KEY_NUMBERS_SELECT). */
export function keyNumbersOfRuns(runs: { id: string; summary: RunSummaryRow | null }[]): Map<string, CaseKeyNumbers | null> {
  return new Map(runs.map((r) => [r.id, r.summary ? keyNumbersFromSummary(runSummaryFromRow(r.summary)) : null]));
}
