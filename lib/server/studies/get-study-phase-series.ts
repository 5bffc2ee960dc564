/**
 * Per-phase GTV volume (machine vs physician, cc) and centroid trajectory for the viewer's
 * charts. Read from the run's QA summary when the worker wrote one; otherwise from the stored
 * structure volumes, with centroids computed here from the masks (one pass over each mask).
 */
import type { Db } from '../db/client';
import { type Caller, authorize } from '../auth/roles';
import type { VolumeStore } from '../storage/volume-store';
import { RUN_SUMMARY_INCLUDE, runSummaryFromRow } from '../runs/run-summary.types';
import { parseNifti } from '@/lib/nifti';
import { maskCentroidMm } from '@/lib/core/viewer/mask-centroid';
import type { Vec3 } from '@/lib/core/volume';
import { getStudyRunStatus } from './get-study-run-status';

export interface PhasePoint {
  phaseIndex: number | null;
  phasePercent: number | null;
  machineCc: number | null;
  physicianCc: number | null;
  machineCentroidMm: Vec3 | null;
  physicianCentroidMm: Vec3 | null;
}

export interface StudyPhaseSeries {
  source: 'summary' | 'computed' | 'none';
  phases: PhasePoint[];
}

/** @throws AppError FORBIDDEN (role), NOT_FOUND (no such study). */
export async function getStudyPhaseSeries(
  db: Db,
  store: VolumeStore,
  { caller, studyId }: { caller: Caller | null; studyId: string },
): Promise<StudyPhaseSeries> {
  const who = authorize(caller, 'studies:view');
  await getStudyRunStatus(db, { caller: who, studyId }); // NOT_FOUND for a missing study
  const row = await db.segmentationRun.findFirst({
    where: { studyId, status: 'SUCCEEDED' },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: { id: true, summary: { include: RUN_SUMMARY_INCLUDE } },
  });
  if (!row) return { source: 'none', phases: [] };
  const run = { runId: row.id };
  if (row.summary) {
    return {
      source: 'summary',
      phases: runSummaryFromRow(row.summary).phases.map((p) => ({
        phaseIndex: p.phaseIndex,
        phasePercent: p.phasePercent,
        machineCc: p.machineCc,
        physicianCc: p.physicianCc,
        machineCentroidMm: p.machineCentroidMm,
        physicianCentroidMm: p.physicianCentroidMm,
      })),
    };
  }

  const [series, machine, physician] = await Promise.all([
    db.imageSeries.findMany({
      where: { studyId, phaseIndex: { not: null } },
      select: { id: true, phaseIndex: true, phasePercent: true },
      orderBy: { phaseIndex: 'asc' },
    }),
    db.machineStructure.findMany({ where: { runId: run.runId, kind: 'GTV' }, select: { seriesId: true, phaseIndex: true, volumeCc: true, maskKey: true } }),
    db.physicianStructure.findMany({
      where: { studyId, kind: 'GTV', referenceObserver: true },
      select: { seriesId: true, phaseIndex: true, volumeCc: true, maskKey: true },
    }),
  ]);
  const centroid = async (key: string | null | undefined): Promise<Vec3 | null> => {
    if (!key) return null;
    const v = parseNifti(await store.getVolume(key), { source: `mask ${key}` });
    return maskCentroidMm(v.data, v.grid);
  };
  const phases: PhasePoint[] = [];
  for (const s of series) {
    const m = machine.find((x) => x.seriesId === s.id) ?? machine.find((x) => x.phaseIndex === s.phaseIndex);
    const p = physician.find((x) => x.seriesId === s.id) ?? physician.find((x) => x.phaseIndex === s.phaseIndex);
    phases.push({
      phaseIndex: s.phaseIndex,
      phasePercent: s.phasePercent,
      machineCc: m?.volumeCc ?? null,
      physicianCc: p?.volumeCc ?? null,
      machineCentroidMm: await centroid(m?.maskKey),
      physicianCentroidMm: await centroid(p?.maskKey),
    });
  }
  return { source: 'computed', phases };
}
