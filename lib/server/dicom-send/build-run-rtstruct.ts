/**
 * The machine RTSTRUCT of one succeeded segmentation run, as the RTSTRUCT export writes it
 * (lib/server/studies/export-study-rtstruct.ts) and the DICOM sender sends it
 * (execute-dicom-send.ts): the phase's machine GTV and the machine ITV as contours on the CT
 * series they were computed on, referencing that series (study, series and frame-of-reference
 * UIDs, the patient's name and ID) and, per contour, the CT image it lies on (Contour Image
 * Sequence, from the per-slice SOP Instance UIDs the DICOM import keeps in
 * ImageSeries.sliceSopInstanceUids, in the volume's k order). A series without them (a study
 * imported before they were kept, or one whose series UID the importer derived) gets a file that
 * references its frame of reference only; contours are then placed by patient coordinates.
 *
 * No authorisation here: the callers authorise (the export: identifiers:view; a send: runs:send
 * when it is requested). Carries identifiers and real UIDs.
 */
import type { Db } from '../db/client';
import { AppError } from '../errors';
import type { VolumeStore } from '../storage/volume-store';
import { parseNifti } from '@/lib/nifti';
import { writeRtStruct, type CtSeries, type ImageSliceHeader, type MachineStructure } from '@/lib/dicom';
import { binaryMaskData, type Grid, type Vec3, indexToPatientMm } from '@/lib/core/volume';

/** DICOM DA (YYYYMMDD) of a date. */
function da(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 10).replace(/-/g, '') : '';
}

export interface RunRtStruct {
  bytes: Uint8Array;
  sopInstanceUid: string;
  fileName: string;
  studyId: string;
  patientId: string;
  /** The stored series the file references ("UID#t" for a 4D part). */
  seriesInstanceUid: string;
  structures: string[];
  /** Whether contours name their CT images (the slice UIDs were known). */
  imageReferences: boolean;
}

export interface BuildRunRtStructOptions {
  runId: string;
  /** The 4D CT phase whose series the file references (default: the first phase). */
  phaseIndex?: number | null;
  /** Fixed UIDs for the file (default: new ones), e.g. the same for every send of a run. */
  uids?: { sopInstanceUid: string; seriesInstanceUid: string };
  /** The physicist's approval, written as ApprovalStatus APPROVED (default UNAPPROVED). */
  approval?: { reviewerName: string; at: Date };
}

/**
 * @throws AppError NOT_FOUND (no such run, not succeeded, no such phase, no machine structure),
 *   INVALID_INPUT (the series has no frame of reference).
 */
export async function buildRunRtStruct(db: Db, store: VolumeStore, { runId, phaseIndex, uids, approval }: BuildRunRtStructOptions): Promise<RunRtStruct> {
  const run = await db.segmentationRun.findUnique({
    where: { id: runId },
    include: { structures: true, modelVersion: true, study: { include: { patient: { include: { identity: true } }, series: true } } },
  });
  if (!run) throw new AppError('NOT_FOUND', `Segmentation run ${runId} does not exist (deleted, or a wrong link).`);
  if (run.status !== 'SUCCEEDED')
    throw new AppError('NOT_FOUND', `Run ${runId} has not succeeded (it is ${run.status.toLowerCase()}): only a finished run has machine contours to write.`);
  const study = run.study;
  const studyId = study.id;

  const phased = study.series.filter((s) => s.phaseIndex !== null && s.volumeKey).sort((a, b) => a.phaseIndex! - b.phaseIndex!);
  const series =
    phaseIndex === undefined || phaseIndex === null ? (phased[0] ?? study.series.find((s) => s.volumeKey)) : phased.find((s) => s.phaseIndex === phaseIndex);
  if (!series)
    throw new AppError('NOT_FOUND', `Study ${studyId} has no CT phase ${phaseIndex}: pick one of ${phased.map((s) => s.phaseIndex).join(', ') || 'none'}.`);
  if (!series.frameOfReferenceUid)
    throw new AppError(
      'INVALID_INPUT',
      `CT series ${series.seriesInstanceUid} has no FrameOfReferenceUID, so an RTSTRUCT cannot reference it; re-import the study from its original DICOM.`,
    );

  const grid: Grid = { dims: series.dims as Vec3, spacingMm: series.spacingMm as Vec3, originMm: series.originMm as Vec3, direction: series.direction };
  const wanted = run.structures.filter(
    (m) =>
      m.maskKey && ((m.kind === 'GTV' && (m.seriesId === series.id || (series.phaseIndex !== null && m.phaseIndex === series.phaseIndex))) || m.kind === 'ITV'),
  );
  if (wanted.length === 0) throw new AppError('NOT_FOUND', `Run ${run.id} stored no machine structure for this phase.`);
  const phaseName = series.phasePercent !== null ? `${series.phasePercent}%` : series.phaseIndex !== null ? `phase${series.phaseIndex}` : 'CT';
  const structures: MachineStructure[] = [];
  for (const m of wanted) {
    const v = parseNifti(await store.getVolume(m.maskKey!), { source: `machine ${m.label}` });
    structures.push({
      name: m.kind === 'ITV' ? 'ITV_iSeg' : `GTV_iSeg_${phaseName}`,
      interpretedType: m.kind === 'ITV' ? 'ITV' : 'GTV',
      color: m.kind === 'ITV' ? [213, 94, 0] : [0, 114, 178],
      mask: { grid: v.grid, data: binaryMaskData(v.data) },
    });
  }

  const identity = study.patient.identity;
  const [nx, ny, nz] = grid.dims;
  // A 4D series split by temporal position is stored as "UID#t"; the DICOM series UID is "UID".
  const dicomSeriesUid = series.seriesInstanceUid.replace(/#\d+$/, '');
  // Slice UIDs are usable only when there is one per slice of the stored grid and the series UID
  // is a real one (not derived by the importer from an anonymised export).
  const sliceUids = series.sliceSopInstanceUids.length === nz && /^\d+(\.\d+)*$/.test(dicomSeriesUid) ? series.sliceSopInstanceUids : null;
  const iop: [number, number, number, number, number, number] = [
    grid.direction[0],
    grid.direction[3],
    grid.direction[6],
    grid.direction[1],
    grid.direction[4],
    grid.direction[7],
  ];
  const slices: ImageSliceHeader[] = Array.from({ length: nz }, (_, k) => ({
    file: '',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sopInstanceUid: sliceUids?.[k] ?? '',
    ...(series.sopClassUid ? { sopClassUid: series.sopClassUid } : {}),
    modality: 'CT',
    patientId: identity?.mrn ?? study.patient.pseudonym,
    patientName: identity?.name ?? study.patient.pseudonym,
    patientBirthDate: da(identity?.birthDate),
    studyDate: da(study.studyDate),
    studyInstanceUid: study.studyInstanceUid,
    seriesInstanceUid: dicomSeriesUid,
    frameOfReferenceUid: series.frameOfReferenceUid!,
    rows: ny,
    columns: nx,
    pixelSpacingMm: [grid.spacingMm[1], grid.spacingMm[0]],
    imagePositionMm: indexToPatientMm(grid, 0, 0, k),
    imageOrientation: iop,
    rescaleSlope: 1,
    rescaleIntercept: 0,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    samplesPerPixel: 1,
    numberOfFrames: 1,
    pixelDataEncapsulated: false,
  }));
  const ct: CtSeries = {
    key: series.seriesInstanceUid,
    seriesInstanceUid: dicomSeriesUid,
    studyInstanceUid: study.studyInstanceUid,
    frameOfReferenceUid: series.frameOfReferenceUid,
    modality: 'CT',
    slices,
    slicePositionsMm: slices.map((_, k) => k * grid.spacingMm[2]),
    grid,
    maxSliceResidualMm: 0,
    phase: null,
    loadable: true,
    findings: [],
  };
  const written = writeRtStruct({
    series: ct,
    structures,
    label: 'iSeg',
    seriesDescription: `iSeg ${run.modelVersion.name} ${run.modelVersion.version} machine contours`,
    algorithmName: `${run.modelVersion.name} ${run.modelVersion.version}`,
    ...(uids ?? {}),
    ...(approval ? { approval } : {}),
  });
  return {
    bytes: written.bytes,
    sopInstanceUid: written.sopInstanceUid,
    fileName: `rtstruct-${study.patient.pseudonym}-${phaseName.replace('%', 'pct')}.dcm`,
    studyId,
    patientId: study.patientId,
    seriesInstanceUid: series.seriesInstanceUid,
    structures: structures.map((s) => s.name),
    imageReferences: sliceUids !== null,
  };
}
