/**
 * The dose summary of a study, for its page and GET /api/studies/[id]: the dose grid used (and
 * how many there are), the plan (prescription, fractions, where the prescription comes from) and
 * the dose metrics per region (physician regions, and the latest succeeded run's machine, FP and
 * FN regions), without the DVH curves. Null when the study has neither dose nor plan.
 * No identifiers: UIDs of the dose and plan are not returned, and the plan's label (DICOM free text)
 * only to callers with identifiers:view.
 *
 * @throws AppError UNAUTHORIZED / FORBIDDEN (studies:view).
 */
import { chooseDoseGrid, DOSE_REGIONS, type RegionDoseValues } from '@/lib/core/dose';
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { choosePlan } from './compute-study-dose-metrics';

export interface StudyDoseRegion {
  region: (typeof DOSE_REGIONS)[number];
  componentIndex: number | null;
  runId: string | null;
  convention: string;
  values: RegionDoseValues;
  nullReasons: Record<string, string>;
  prescriptionGy: number | null;
  codeVersion: string;
  createdAt: string;
}

export interface StudyDoseSummary {
  doseGrid: {
    id: string;
    units: string;
    doseType: string | null;
    summationType: string | null;
    dims: number[];
    spacingMm: number[];
    maxDose: number;
    /** Why this grid (of `count`) is used. */
    choice: string;
    count: number;
  } | null;
  plan: { id: string; label: string | null; prescriptionGy: number | null; fractions: number | null; source: string } | null;
  /** The convention of the stored metrics (docs/dose.md). */
  convention: 'iseg';
  regions: StudyDoseRegion[];
  /** True when the caller may enter the prescription (the plan states none). */
  canEnterPrescription: boolean;
}

export async function getStudyDose(db: Db, { caller, studyId }: { caller: Caller | null | undefined; studyId: string }): Promise<StudyDoseSummary | null> {
  const who = authorize(caller, 'studies:view');
  const [grids, plans] = await Promise.all([
    db.doseGrid.findMany({ where: { studyId }, orderBy: { createdAt: 'asc' } }),
    db.treatmentPlan.findMany({ where: { studyId } }),
  ]);
  if (grids.length === 0 && plans.length === 0) return null;
  const choice = chooseDoseGrid(grids);
  const grid = choice?.chosen ?? null;
  const plan = choosePlan(plans, grid?.referencedPlanSopInstanceUid ?? null);
  const run = await db.segmentationRun.findFirst({
    where: { studyId, status: 'SUCCEEDED' },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: { id: true },
  });
  const rows = grid
    ? await db.doseMetricResult.findMany({
        where: { studyId, doseGridId: grid.id, convention: 'iseg', OR: [{ runId: null }, ...(run ? [{ runId: run.id }] : [])] },
        select: {
          region: true,
          componentIndex: true,
          runId: true,
          convention: true,
          values: true,
          nullReasons: true,
          prescriptionGy: true,
          codeVersion: true,
          createdAt: true,
        },
      })
    : [];
  const order = (r: { region: string; componentIndex: number | null }) =>
    DOSE_REGIONS.indexOf(r.region as StudyDoseRegion['region']) * 1000 + (r.componentIndex ?? -1);
  return {
    doseGrid: grid
      ? {
          id: grid.id,
          units: grid.units,
          doseType: grid.doseType,
          summationType: grid.summationType,
          dims: grid.dims,
          spacingMm: grid.spacingMm,
          maxDose: grid.maxDose,
          choice: choice!.reason,
          count: grids.length,
        }
      : null,
    // RTPlanLabel is free text from DICOM: only for callers who see identifiers (docs/security.md).
    plan: plan
      ? {
          id: plan.id,
          label: can(who.role, 'identifiers:view') ? plan.label : null,
          prescriptionGy: plan.prescriptionGy,
          fractions: plan.fractions,
          source: plan.source,
        }
      : null,
    convention: 'iseg',
    regions: rows
      .sort((a, b) => order(a) - order(b))
      .map((r) => ({
        region: r.region as StudyDoseRegion['region'],
        componentIndex: r.componentIndex,
        runId: r.runId,
        convention: r.convention,
        values: r.values as unknown as RegionDoseValues,
        nullReasons: r.nullReasons as Record<string, string>,
        prescriptionGy: r.prescriptionGy,
        codeVersion: r.codeVersion,
        createdAt: r.createdAt.toISOString(),
      })),
    canEnterPrescription: can(who.role, 'dose:enter-prescription') && !(plan?.prescriptionGy != null && plan.source === 'RTPLAN'),
  };
}
