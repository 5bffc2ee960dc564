/** The cached cohort counts written by the `cohort.summary` job (any signed-in role: aggregates only). */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import type { CohortSummaryValues } from './compute-cohort-summary';

export async function getCohortSummary(
  db: Db,
  { caller }: { caller: Caller },
): Promise<{ values: CohortSummaryValues; computedAt: Date; jobId: string | null } | null> {
  authorize(caller, 'cohort:view');
  const row = await db.cohortSummary.findUnique({ where: { id: 'global' } });
  if (!row) return null;
  return { values: row.values as unknown as CohortSummaryValues, computedAt: row.computedAt, jobId: row.jobId };
}
