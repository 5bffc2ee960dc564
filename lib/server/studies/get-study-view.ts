/**
 * Everything the study viewer shows except the voxels: the phases and their common grid, which
 * physician and machine structures exist per phase (by id, for /api/studies/[id]/volume), the
 * latest segmentation run with its model, the metric rows by convention and the discordance
 * regions. Identifiers only for a caller with identifiers:view, and then audited
 * ('study.view.identified'). The study description and the reference structures' ROI names are
 * free text from DICOM: as stored for those callers (audited with the identifiers), else the
 * names lib/server/deid/present-free-text.ts generates ("CT study", "GTV 30%", "ITV").
 */
import type { Db } from '../db/client';
import { type Caller, authorize, can } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import type { Grid, Vec3 } from '@/lib/core/volume';
import { getStudyRunStatus, type StudyRunStatus } from './get-study-run-status';
import { freeTextPresenterWithoutPhysicians } from '../deid/present-free-text';
import { presentStudyReference, type StudyReference } from './present-study-reference';

export interface ViewerPhase {
  seriesId: string;
  /** null for a planning CT (a study without 4D phases). */
  phaseIndex: number | null;
  phasePercent: number | null;
  label: string;
  physicianGtvId: string | null;
  machineGtvId: string | null;
}

export interface ViewerRegion {
  kind: 'FP' | 'FN';
  voxelCount: number;
  volumeCc: number;
  centroidMm: Vec3;
  maxDistanceMm: number | null;
  meanDistanceMm: number | null;
  sliceRange: [number, number];
  box: { lo: Vec3; hi: Vec3 };
}

export interface ViewerMetricSet {
  /** 'GTV' of one phase, or the 'ITV'. */
  scope: 'GTV' | 'ITV';
  phaseIndex: number | null;
  referenceName: string;
  testLabel: string;
  /** convention → values; conventions: overlap, voxel, surfel (and plastimatch when stored). */
  conventions: Record<string, { values: Record<string, number | null>; nullReasons: Record<string, string>; toleranceMm: number | null }>;
  discordance: { falsePositive: ViewerRegion[]; falseNegative: ViewerRegion[] } | null;
}

export interface StudyView {
  study: { id: string; pseudonym: string; description: string | null; source: string; importedAt: string };
  /** Present only for callers who may see identifiers (audited). */
  identity: { name: string | null; mrn: string | null; studyDate: string | null } | null;
  grid: Grid | null;
  phases: ViewerPhase[];
  physicianItvId: string | null;
  machineItvId: string | null;
  /** The latest run (status, progress, model). */
  run: StudyRunStatus | null;
  /** The run whose structures and metrics are shown: the latest succeeded one. */
  resultsRunId: string | null;
  metrics: ViewerMetricSet[];
  canExportRtStruct: boolean;
  /** May download the study as de-identified DICOM (PS3.15 basic profile; docs/security.md). */
  canExportDeidentified: boolean;
  /** Which physician structures are the reference (recognised, chosen, or none), and the choice. */
  reference: StudyReference;
}

/** @throws AppError FORBIDDEN (role), NOT_FOUND (no such study). */
export async function getStudyView(db: Db, { caller, studyId }: { caller: Caller | null; studyId: string }): Promise<StudyView> {
  const who = authorize(caller, 'studies:view');
  const study = await db.study.findUnique({
    where: { id: studyId },
    include: {
      patient: { select: { id: true, pseudonym: true } },
      series: {
        select: {
          id: true,
          phaseIndex: true,
          phasePercent: true,
          dims: true,
          spacingMm: true,
          originMm: true,
          direction: true,
          volumeKey: true,
          modality: true,
        },
      },
      // The reference observer's (docs/observers.md): another physician's are on the Observers section.
      physicianStructures: {
        where: { referenceObserver: true },
        select: {
          id: true,
          name: true,
          kind: true,
          phaseIndex: true,
          phasePercent: true,
          interpretedType: true,
          seriesId: true,
          maskKey: true,
          kindChosenAt: true,
        },
      },
    },
  });
  if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
  const freeText = freeTextPresenterWithoutPhysicians(who);

  const withVolume = study.series.filter((s) => s.volumeKey);
  const phased = withVolume.filter((s) => s.phaseIndex !== null).sort((a, b) => a.phaseIndex! - b.phaseIndex!);
  const shown = phased.length > 0 ? phased : withVolume.slice(0, 1);
  const first = shown[0];
  const grid: Grid | null = first
    ? { dims: first.dims as Vec3, spacingMm: first.spacingMm as Vec3, originMm: first.originMm as Vec3, direction: first.direction }
    : null;
  const sameGrid = (seriesId: string) => {
    const s = study.series.find((x) => x.id === seriesId);
    return (
      !!s && !!first && s.dims.join() === first.dims.join() && s.spacingMm.join() === first.spacingMm.join() && s.originMm.join() === first.originMm.join()
    );
  };

  const run = await getStudyRunStatus(db, { caller: who, studyId });
  // Results come from the latest succeeded run, so a re-run in progress does not hide them.
  const resultsRunId =
    run?.status === 'SUCCEEDED'
      ? run.runId
      : ((
          await db.segmentationRun.findFirst({
            where: { studyId, status: 'SUCCEEDED' },
            orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
            select: { id: true },
          })
        )?.id ?? null);
  const machine = resultsRunId
    ? await db.machineStructure.findMany({
        where: { runId: resultsRunId },
        select: { id: true, kind: true, phaseIndex: true, seriesId: true, label: true, maskKey: true },
      })
    : [];
  const physicianGtv = (s: (typeof shown)[number]) =>
    study.physicianStructures.find((p) => p.kind === 'GTV' && p.maskKey && p.seriesId === s.id) ??
    (s.phaseIndex !== null
      ? study.physicianStructures.find((p) => p.kind === 'GTV' && p.maskKey && p.phaseIndex === s.phaseIndex && sameGrid(p.seriesId))
      : undefined);
  const phases: ViewerPhase[] = shown.map((s) => ({
    seriesId: s.id,
    phaseIndex: s.phaseIndex,
    phasePercent: s.phasePercent,
    label: s.phaseIndex === null ? 'planning CT' : s.phasePercent !== null ? `${s.phasePercent}%` : `phase ${s.phaseIndex}`,
    physicianGtvId: physicianGtv(s)?.id ?? null,
    machineGtvId:
      machine.find((m) => m.kind === 'GTV' && m.maskKey && (m.seriesId === s.id || (s.phaseIndex !== null && m.phaseIndex === s.phaseIndex)))?.id ?? null,
  }));
  const physicianItv = study.physicianStructures.find((p) => p.kind === 'ITV' && p.maskKey && sameGrid(p.seriesId));
  const machineItv = machine.find((m) => m.kind === 'ITV' && m.maskKey);

  const rows = resultsRunId
    ? await db.metricResult.findMany({
        where: { runId: resultsRunId },
        select: { referenceStructureId: true, testStructureId: true, convention: true, values: true, nullReasons: true, toleranceMm: true },
      })
    : [];
  const sets = new Map<string, ViewerMetricSet>();
  for (const r of rows) {
    const test = machine.find((m) => m.id === r.testStructureId);
    const ref = study.physicianStructures.find((p) => p.id === r.referenceStructureId);
    if (!test || !ref) continue;
    const key = `${r.referenceStructureId}|${r.testStructureId}`;
    let set = sets.get(key);
    if (!set) {
      set = {
        scope: test.kind === 'ITV' ? 'ITV' : 'GTV',
        phaseIndex: test.phaseIndex,
        referenceName: freeText.structureName(ref),
        testLabel: test.label,
        conventions: {},
        discordance: null,
      };
      sets.set(key, set);
    }
    if (r.convention === 'discordance') {
      const v = r.values as { falsePositive?: ViewerRegion[]; falseNegative?: ViewerRegion[] };
      set.discordance = { falsePositive: v.falsePositive ?? [], falseNegative: v.falseNegative ?? [] };
    } else {
      set.conventions[r.convention] = {
        values: r.values as Record<string, number | null>,
        nullReasons: r.nullReasons as Record<string, string>,
        toleranceMm: r.toleranceMm,
      };
    }
  }
  const metrics = [...sets.values()].sort((a, b) => (a.scope === b.scope ? (a.phaseIndex ?? -1) - (b.phaseIndex ?? -1) : a.scope === 'ITV' ? 1 : -1));

  let identity: StudyView['identity'] = null;
  if (can(who.role, 'identifiers:view')) {
    const id = await db.patientIdentity.findUnique({ where: { patientId: study.patient.id }, select: { name: true, mrn: true } });
    identity = { name: id?.name ?? null, mrn: id?.mrn ?? null, studyDate: study.studyDate ? study.studyDate.toISOString().slice(0, 10) : null };
    await recordAuditEvent(db, {
      action: 'study.view.identified',
      caller: who,
      patientId: study.patient.id,
      target: `study:${study.id}`,
      details: { fields: ['name', 'mrn', 'studyDate', 'studyDescription', 'structureNames'] },
    });
  }

  return {
    study: {
      id: study.id,
      pseudonym: study.patient.pseudonym,
      description: freeText.studyDescription(study.description),
      source: study.source,
      importedAt: study.importedAt.toISOString(),
    },
    identity,
    grid,
    phases,
    physicianItvId: physicianItv?.id ?? null,
    machineItvId: machineItv?.id ?? null,
    run,
    resultsRunId,
    metrics,
    canExportRtStruct: can(who.role, 'identifiers:view'),
    canExportDeidentified: can(who.role, 'studies:export-deid'),
    reference: presentStudyReference(study.physicianStructures, {
      name: (p) => freeText.structureName(p),
      canChoose: can(who.role, 'studies:choose-reference'),
    }),
  };
}
