/**
 * The cumulative DVHs of a study for its page's DVH chart (issue #15 item 3): one curve per
 * region (physician ITV/GTV, and the latest succeeded run's machine ITV/GTV, FP and FN regions;
 * not the per-component rows) of the dose grid getStudyDose uses, in the `iseg` convention, as
 * stored with the dose metrics (STORED_DVH_BIN_GY bins). No identifiers. Empty without dose.
 *
 * @throws AppError UNAUTHORIZED / FORBIDDEN (studies:view).
 */
import { chooseDoseGrid, DOSE_REGIONS, type DoseRegion, type StoredDvh } from '@/lib/core/dose';
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';

export interface StudyDvhCurve {
  region: DoseRegion;
  runId: string | null;
  volumeCc: number;
  dvh: StoredDvh;
}

export async function getStudyDvh(db: Db, { caller, studyId }: { caller: Caller | null | undefined; studyId: string }): Promise<StudyDvhCurve[]> {
  authorize(caller, 'studies:view');
  const grids = await db.doseGrid.findMany({ where: { studyId }, orderBy: { createdAt: 'asc' } });
  const grid = chooseDoseGrid(grids)?.chosen;
  if (!grid) return [];
  const run = await db.segmentationRun.findFirst({
    where: { studyId, status: 'SUCCEEDED' },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: { id: true },
  });
  const rows = await db.doseMetricResult.findMany({
    where: { studyId, doseGridId: grid.id, convention: 'iseg', componentIndex: null, OR: [{ runId: null }, ...(run ? [{ runId: run.id }] : [])] },
    select: { region: true, runId: true, values: true, dvh: true },
  });
  return rows
    .map((r) => ({
      region: r.region as DoseRegion,
      runId: r.runId,
      volumeCc: Number((r.values as { volumeCc?: number }).volumeCc ?? 0),
      dvh: r.dvh as unknown as StoredDvh,
    }))
    .filter((r) => Array.isArray(r.dvh?.doseGy) && Array.isArray(r.dvh?.volumePct))
    .sort((a, b) => DOSE_REGIONS.indexOf(a.region) - DOSE_REGIONS.indexOf(b.region));
}
