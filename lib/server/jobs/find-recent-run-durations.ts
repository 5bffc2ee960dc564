/**
 * Start-to-finish durations (ms) of the most recent succeeded runs of each given model version,
 * newest first: what the jobs page estimates a queued run's time from (lib/core/runs/estimate-run-eta.ts).
 * No permission check: it serves findSegmentationRuns, which checked jobs:view.
 */
import type { DbOrTx } from '../db/client';

/** How many recent runs per model version the median is taken over. */
export const RECENT_RUNS_FOR_ETA = 20;

export async function findRecentRunDurations(db: DbOrTx, { modelVersionIds }: { modelVersionIds: string[] }): Promise<Map<string, number[]>> {
  if (!modelVersionIds.length) return new Map();
  const rows = await db.$queryRaw<{ modelVersionId: string; ms: number[] }[]>`
    SELECT x."modelVersionId", array_agg(x.ms ORDER BY x.rn) AS ms FROM (
      SELECT r."modelVersionId", EXTRACT(EPOCH FROM (r."finishedAt" - r."startedAt")) * 1000 AS ms,
             row_number() OVER (PARTITION BY r."modelVersionId" ORDER BY r."finishedAt" DESC) AS rn
      FROM "SegmentationRun" r
      WHERE r.status = 'SUCCEEDED' AND r."startedAt" IS NOT NULL AND r."finishedAt" IS NOT NULL
        AND r."modelVersionId" = ANY(${modelVersionIds}::text[])
    ) x WHERE x.rn <= ${RECENT_RUNS_FOR_ETA}
    GROUP BY x."modelVersionId"`;
  return new Map(rows.map((r) => [r.modelVersionId, r.ms.map(Number)]));
}
