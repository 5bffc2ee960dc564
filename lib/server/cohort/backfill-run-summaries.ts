/**
 * Runs that succeeded before run summaries were stored have `summary` null: the cohort page
 * leaves them out (and says how many). This computes and stores their summaries from the rows
 * and masks they already have. Called by the `cohort.summary` worker job; idempotent (only runs
 * whose summary is still null are written, compare-and-set), and one run failing to summarise
 * does not stop the others.
 */
import type { Db } from '../db/client';
import { Prisma } from '../db/generated/client';
import type { VolumeStore } from '../storage/volume-store';
import { summarizeRun } from '../runs/summarize-run';

export interface BackfillRunSummariesResult {
  updated: number;
  failed: { runId: string; reason: string }[];
}

export async function backfillRunSummaries(db: Db, { store, limit = 500 }: { store: VolumeStore; limit?: number }): Promise<BackfillRunSummariesResult> {
  const runs = await db.segmentationRun.findMany({
    where: { status: 'SUCCEEDED', summary: { equals: Prisma.DbNull } },
    select: { id: true },
    orderBy: { finishedAt: 'desc' },
    take: limit,
  });
  const result: BackfillRunSummariesResult = { updated: 0, failed: [] };
  for (const { id } of runs) {
    try {
      const summary = await summarizeRun(db, { store, runId: id });
      const w = await db.segmentationRun.updateMany({ where: { id, status: 'SUCCEEDED', summary: { equals: Prisma.DbNull } }, data: { summary } });
      result.updated += w.count;
    } catch (e) {
      result.failed.push({ runId: id, reason: (e as Error).message });
    }
  }
  return result;
}

