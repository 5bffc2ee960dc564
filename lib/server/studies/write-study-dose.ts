/**
 * The dose rows of an import, written inside the import's transaction (write-study.ts for a new
 * study, merge-study.ts for a re-import that adds to a stored one): DoseGrid and TreatmentPlan.
 * A re-import adds only the dose grids and plans the study does not have (by SOPInstanceUID), so
 * the same files again add nothing and a later RTDOSE is added like a later RTSTRUCT.
 */
import type { Prisma } from '../db/generated/client';
import type { PreparedStudy } from './import-study.types';
import type { PreparedDoseGrid, PreparedPlan } from './prepare-study-dose';

export interface StudyDoseRows {
  doseGrids: PreparedDoseGrid[];
  plans: PreparedPlan[];
}

/** What of `prepared`'s dose the stored study lacks. */
export async function newStudyDose(tx: Prisma.TransactionClient, studyId: string, prepared: PreparedStudy): Promise<StudyDoseRows> {
  const grids = prepared.doseGrids ?? [];
  const plans = prepared.plans ?? [];
  if (grids.length === 0 && plans.length === 0) return { doseGrids: [], plans: [] };
  const [storedGrids, storedPlans] = await Promise.all([
    tx.doseGrid.findMany({ where: { studyId }, select: { sopInstanceUid: true } }),
    tx.treatmentPlan.findMany({ where: { studyId }, select: { sopInstanceUid: true } }),
  ]);
  const g = new Set(storedGrids.map((x) => x.sopInstanceUid));
  const p = new Set(storedPlans.map((x) => x.sopInstanceUid));
  return { doseGrids: grids.filter((x) => !g.has(x.sopInstanceUid)), plans: plans.filter((x) => !p.has(x.sopInstanceUid)) };
}

/**
 * @param seriesIds ImageSeries id by PreparedSeries key (= SeriesInstanceUID for DICOM).
 */
export async function writeStudyDose(
  tx: Prisma.TransactionClient,
  studyId: string,
  dose: { doseGrids?: PreparedDoseGrid[]; plans?: PreparedPlan[] },
  seriesIds: ReadonlyMap<string, string>,
): Promise<void> {
  for (const d of dose.doseGrids ?? []) {
    const seriesId = seriesIds.get(d.seriesKey);
    if (!seriesId) throw new Error(`Dose grid ${d.sopInstanceUid} is linked to series ${d.seriesKey}, which the import did not write.`);
    await tx.doseGrid.create({
      data: {
        studyId,
        seriesId,
        sopInstanceUid: d.sopInstanceUid,
        seriesInstanceUid: d.seriesInstanceUid,
        frameOfReferenceUid: d.frameOfReferenceUid,
        doseType: d.doseType,
        summationType: d.summationType,
        units: d.units,
        referencedPlanSopInstanceUid: d.referencedPlanSopInstanceUid,
        dims: [...d.grid.dims],
        spacingMm: [...d.grid.spacingMm],
        originMm: [...d.grid.originMm],
        direction: [...d.grid.direction],
        maxDose: d.maxDose,
        volumeKey: d.volumeKey,
        volumeSha256: d.volumeSha256,
      },
    });
  }
  if (dose.plans?.length)
    await tx.treatmentPlan.createMany({
      data: dose.plans.map((p) => ({
        studyId,
        sopInstanceUid: p.sopInstanceUid,
        label: p.label,
        prescriptionGy: p.prescriptionGy,
        fractions: p.fractions,
        source: 'RTPLAN',
      })),
    });
}
