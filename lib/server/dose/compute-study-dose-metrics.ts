/**
 * Dose metrics of a study's regions (docs/dose.md, "Stored dose metrics"): read the study's dose
 * grid (chooseDoseGrid: PLAN summation first), its prescription, the masks of the regions, then
 * the numbers (pure: lib/core/dose/region-dose.ts), then replace the stored rows in one
 * transaction (so a rerun is idempotent: the same rows, never duplicates).
 *
 * Regions: PHYSICIAN_ITV / PHYSICIAN_GTV (the reference structures, no run), and for the run
 * (given, or the study's latest succeeded one) MACHINE_ITV, MACHINE_GTV, FP = machine ITV ∖
 * physician ITV and FN = physician ITV ∖ machine ITV: the masks of the run's ITV metric pair
 * (find-metric-pairs.ts; the physician GTV stands in for a study without a physician ITV).
 *
 * Called after a run's metrics (execute-segmentation-run.ts), after an import that stored a
 * dose (import-study.ts), and after a prescription is entered (enter-prescription.ts).
 */
import { computeComponentDoseRows, computeRegionDoseRows, chooseDoseGrid, differenceMask, type RegionMask } from '@/lib/core/dose';
import { binaryMaskData, sameGrid, type Grid, type Mask } from '@/lib/core/volume';
import type { Db } from '../db/client';
import type { VolumeStore } from '../storage/volume-store';
import { AppError } from '../errors';
import { parseNifti } from '../../nifti';
import type { Volume, VoxelArray } from '@/lib/core/volume';

/** A stored volume (dose or mask); one that cannot be read is an INTERNAL error naming it and the store. */
async function readStored(store: VolumeStore, key: string, what: string): Promise<Volume<VoxelArray>> {
  try {
    return parseNifti(await store.getVolume(key), { source: what });
  } catch (e) {
    throw new AppError(
      'INTERNAL',
      `Cannot read ${what} (${key}) from the volume store at ${store.root}: ${(e as Error).message}. Check that ISEG_VOLUME_DIR points at the store the study was imported into.`,
    );
  }
}

async function readRunMask(o: { store: VolumeStore; key: string; what: string }): Promise<Mask> {
  const v = await readStored(o.store, o.key, o.what);
  return { grid: v.grid, data: binaryMaskData(v.data) };
}

export interface ComputeStudyDoseMetricsResult {
  /** The dose grid used; null when the study has none (nothing computed). */
  doseGridId: string | null;
  runId: string | null;
  rows: number;
  prescriptionGy: number | null;
}

/** The plan whose prescription the study's dose is judged against: the one the dose references, else one with a prescription. */
export function choosePlan<T extends { sopInstanceUid: string | null; prescriptionGy: number | null; createdAt: Date }>(
  plans: readonly T[],
  referencedSop: string | null,
): T | null {
  return (
    plans.find((p) => referencedSop && p.sopInstanceUid === referencedSop) ??
    [...plans].sort((a, b) => Number(b.prescriptionGy !== null) - Number(a.prescriptionGy !== null) || a.createdAt.getTime() - b.createdAt.getTime())[0] ??
    null
  );
}

/**
 * A stored row's grid (float64 from DICOM) when it has the stored volume's dims, else the volume's
 * own (NIfTI, float32 geometry).
 */
function gridOfRow(row: { dims: number[]; spacingMm: number[]; originMm: number[]; direction: number[] }, fallback: Grid): Grid {
  if (row.dims.length !== 3 || row.spacingMm.length !== 3 || row.originMm.length !== 3 || row.direction.length !== 9) return fallback;
  if (row.dims.some((d, a) => d !== fallback.dims[a])) return fallback;
  return {
    dims: [row.dims[0]!, row.dims[1]!, row.dims[2]!],
    spacingMm: [row.spacingMm[0]!, row.spacingMm[1]!, row.spacingMm[2]!],
    originMm: [row.originMm[0]!, row.originMm[1]!, row.originMm[2]!],
    direction: row.direction as unknown as Grid['direction'],
  };
}

export async function computeStudyDoseMetrics(o: {
  db: Db;
  store: VolumeStore;
  studyId: string;
  /** The run whose machine regions to measure; default the study's latest succeeded run (none: physician regions only). */
  runId?: string | null;
  codeVersion: string;
}): Promise<ComputeStudyDoseMetricsResult> {
  const { db, store, studyId } = o;
  const grids = await db.doseGrid.findMany({ where: { studyId }, orderBy: { createdAt: 'asc' } });
  const choice = chooseDoseGrid(grids);
  if (!choice) return { doseGridId: null, runId: null, rows: 0, prescriptionGy: null };
  const grid = choice.chosen;
  const plans = await db.treatmentPlan.findMany({ where: { studyId } });
  const prescriptionGy = choosePlan(plans, grid.referencedPlanSopInstanceUid)?.prescriptionGy ?? null;
  const v = await readStored(store, grid.volumeKey, `dose grid ${grid.id}`);
  // Geometry from the rows (float64, as read from DICOM), not from the NIfTI header (float32).
  const dose = { grid: gridOfRow(grid, v.grid), data: v.data instanceof Float32Array ? v.data : Float32Array.from(v.data as ArrayLike<number>) };
  const seriesGrids = new Map((await db.imageSeries.findMany({ where: { studyId } })).map((s) => [s.id, s]));

  const physician = await db.physicianStructure.findMany({
    where: { studyId, kind: { in: ['ITV', 'GTV'] }, maskKey: { not: null }, referenceObserver: true },
    orderBy: { id: 'asc' },
  });
  const pItv = physician.find((s) => s.kind === 'ITV');
  const gtvs = physician.filter((s) => s.kind === 'GTV');
  const pGtv = gtvs.find((s) => s.seriesId === grid.seriesId) ?? gtvs.find((s) => s.phaseIndex === null) ?? gtvs[0];
  const masks = new Map<string, Mask>();
  const maskOf = async (key: string, what: string, seriesId: string | null) => {
    let m = masks.get(key);
    if (!m) {
      m = await readRunMask({ store, key, what });
      const series = seriesId ? seriesGrids.get(seriesId) : undefined;
      if (series) m = { grid: gridOfRow(series, m.grid), data: m.data };
      masks.set(key, m);
    }
    return m;
  };
  const physicianRegions: RegionMask[] = [];
  if (pItv) physicianRegions.push({ region: 'PHYSICIAN_ITV', mask: await maskOf(pItv.maskKey!, `physician ITV ${pItv.id}`, pItv.seriesId) });
  if (pGtv) physicianRegions.push({ region: 'PHYSICIAN_GTV', mask: await maskOf(pGtv.maskKey!, `physician GTV ${pGtv.id}`, pGtv.seriesId) });

  const run =
    o.runId === undefined
      ? await db.segmentationRun.findFirst({ where: { studyId, status: 'SUCCEEDED' }, orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }], select: { id: true } })
      : o.runId === null
        ? null
        : { id: o.runId };
  const runRegions: RegionMask[] = [];
  if (run) {
    const machine = await db.machineStructure.findMany({ where: { runId: run.id, maskKey: { not: null } }, orderBy: { label: 'asc' } });
    const mItv = machine.find((s) => s.label === 'ITV');
    const mGtvs = machine.filter((s) => s.kind === 'GTV');
    const mGtv = (pGtv && mGtvs.find((s) => s.seriesId === pGtv.seriesId)) ?? mGtvs.find((s) => s.label === 'GTV:planning') ?? mGtvs[0];
    if (mItv) runRegions.push({ region: 'MACHINE_ITV', mask: await maskOf(mItv.maskKey!, `machine ITV ${mItv.id}`, mItv.seriesId) });
    if (mGtv) runRegions.push({ region: 'MACHINE_GTV', mask: await maskOf(mGtv.maskKey!, `machine GTV ${mGtv.id}`, mGtv.seriesId) });
    const ref = pItv ?? pGtv;
    if (mItv && ref) {
      const test = await maskOf(mItv.maskKey!, `machine ITV ${mItv.id}`, mItv.seriesId);
      const reference = await maskOf(ref.maskKey!, `physician ${ref.kind} ${ref.id}`, ref.seriesId);
      // As the surface metrics: only a pair on one grid is compared voxel-wise.
      if (sameGrid(test.grid, reference.grid))
        runRegions.push({ region: 'FP', mask: differenceMask(test, reference) }, { region: 'FN', mask: differenceMask(reference, test) });
    }
  }
  const physicianRows = computeRegionDoseRows({ dose, regions: physicianRegions, prescriptionGy });
  const runRows = computeRegionDoseRows({ dose, regions: runRegions, prescriptionGy });
  // Each discordant component (the largest MAX_DOSE_COMPONENTS; component n = discordance region n).
  for (const r of runRegions)
    if (r.region === 'FP' || r.region === 'FN') runRows.push(...computeComponentDoseRows({ dose, region: r.region, mask: r.mask, prescriptionGy }));

  await db.$transaction(
    async (tx) => {
      // One recomputation of a study at a time (an import's merge takes the same lock).
      await tx.$queryRaw`SELECT id FROM "Study" WHERE id = ${studyId} FOR UPDATE`;
      await tx.doseMetricResult.deleteMany({ where: { studyId, runId: null } });
      if (run) await tx.doseMetricResult.deleteMany({ where: { studyId, runId: run.id } });
      const data = [...physicianRows.map((r) => ({ r, runId: null })), ...runRows.map((r) => ({ r, runId: run?.id ?? null }))].map(({ r, runId }) => ({
        studyId,
        runId,
        doseGridId: grid.id,
        region: r.region,
        componentIndex: r.componentIndex,
        convention: r.convention,
        values: r.values as object,
        nullReasons: r.nullReasons as object,
        dvh: r.dvh as object,
        prescriptionGy: r.prescriptionGy,
        codeVersion: o.codeVersion,
      }));
      if (data.length) await tx.doseMetricResult.createMany({ data });
    },
    { timeout: 60_000, maxWait: 30_000 },
  );
  return { doseGridId: grid.id, runId: run?.id ?? null, rows: physicianRows.length + runRows.length, prescriptionGy };
}
