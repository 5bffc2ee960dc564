/**
 * Re-import of structure sets alone: a physician's RTSTRUCT exported after the CT was imported.
 * Its ROIs are rasterised on the STORED CT grid of the series it references (the CT files are
 * not in the import, so contours are placed by position and image references are not checked;
 * a finding says so), then merged into the stored study (merge-study.ts) like any re-import.
 * Neither step here writes to the database.
 */
import type { Grid, Vec3 } from '@/lib/core/volume';
import type { DicomImport, RtStructureSet } from '@/lib/dicom';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import type { VolumeStore } from '../storage/volume-store';
import type { ImportFinding, ImportProgress, PreparedStudy } from './import-study.types';
import type { SiteRuleSet } from '@/lib/core/structures';
import { combineHashes, prepareStructures, sha256File } from './prepare-dicom-study';
import { relativePath, relativeText } from './relative-paths';

interface StoredTargetSeries {
  id: string;
  studyId: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string | null;
  phasePercent: number | null;
  phaseIndex: number | null;
  dims: number[];
  spacingMm: number[];
  originMm: number[];
  direction: number[];
}

export interface StructureOnlyScan {
  studyId: string;
  studyInstanceUid: string;
  contentHash: string;
  fileCount: number;
  sets: { ss: RtStructureSet; series: StoredTargetSeries }[];
  /** Stored phase percent → index, for the structures' phase. */
  phaseIndexOfPercent: Map<number, number>;
  findings: ImportFinding[];
  root: string;
}

/**
 * When the input holds structure sets and no CT: find the stored series they reference (by
 * referenced SeriesInstanceUID, else the one stored series on their frame of reference).
 * @returns null when none of them is stored (the caller then reports the missing CT as before).
 * @throws AppError INVALID_INPUT when they reference series of several stored studies;
 *   CONFLICT when the structure set's PatientID is not the stored study's.
 */
export async function scanStructureOnlyStudy(options: { db: Db; read: DicomImport; root: string; label: string }): Promise<StructureOnlyScan | null> {
  const { db, read, root, label } = options;
  const relative = (p: string) => relativePath(root, p);
  const findings: ImportFinding[] = read.findings.map((f) => ({
    code: f.code,
    severity: f.severity,
    message: relativeText(f.message, root),
    ...(f.file ? { file: relative(f.file) } : {}),
  }));
  const select = {
    id: true,
    studyId: true,
    seriesInstanceUid: true,
    frameOfReferenceUid: true,
    phasePercent: true,
    phaseIndex: true,
    dims: true,
    spacingMm: true,
    originMm: true,
    direction: true,
  } as const;
  const sets: StructureOnlyScan['sets'] = [];
  for (const ss of read.structureSets) {
    findings.push(
      ...ss.findings.map((f) => ({
        code: f.code,
        severity: f.severity,
        message: relativeText(f.message, root),
        ...(f.file ? { file: relative(f.file) } : {}),
      })),
    );
    // A 4D series split by TemporalPositionIndex is stored as "UID#t": any part may be meant.
    let candidates = ss.referencedSeriesUids.length
      ? await db.imageSeries.findMany({
          where: { OR: ss.referencedSeriesUids.flatMap((u) => [{ seriesInstanceUid: u }, { seriesInstanceUid: { startsWith: `${u}#` } }]) },
          select,
        })
      : [];
    let how = 'the series it references';
    if (candidates.length === 0 && ss.frameOfReferenceUid) {
      candidates = await db.imageSeries.findMany({ where: { frameOfReferenceUid: ss.frameOfReferenceUid }, select });
      how = `the one stored series on its frame of reference ${ss.frameOfReferenceUid}`;
    }
    if (candidates.length !== 1) {
      findings.push({
        code: 'STRUCTURE_SET_SKIPPED',
        severity: 'error',
        message: `${relative(ss.file)}: its ${ss.rois.length} ROI(s) are not imported: ${candidates.length === 0 ? 'the CT series it was drawn on is neither in the import nor stored' : `${candidates.length} stored series match it`}; import it with its CT series.`,
        file: relative(ss.file),
      });
      continue;
    }
    if (how !== 'the series it references')
      findings.push({
        code: 'REFERENCED_SERIES_MISSING',
        severity: 'warning',
        message: `${relative(ss.file)} names no stored series; its ROIs are placed on ${how} (${candidates[0].seriesInstanceUid}).`,
        file: relative(ss.file),
      });
    sets.push({ ss, series: candidates[0] });
  }
  if (sets.length === 0) return null;
  const studyIds = [...new Set(sets.map((x) => x.series.studyId))];
  if (studyIds.length > 1)
    throw new AppError(
      'INVALID_INPUT',
      `${label} holds structure sets for ${studyIds.length} stored studies (${studyIds.join(', ')}); import each study's structure sets from their own folder.`,
      { findings },
    );
  const study = await db.study.findUniqueOrThrow({
    where: { id: studyIds[0] },
    select: {
      id: true,
      studyInstanceUid: true,
      patient: { select: { identity: { select: { mrn: true } } } },
      series: { select: { phasePercent: true, phaseIndex: true } },
    },
  });
  // The structure set must be of the stored patient (its PatientID, when it has one, is the MRN).
  const mrn = study.patient.identity?.mrn ?? null;
  for (const { ss } of sets)
    if (ss.patientId && mrn && ss.patientId.trim() !== mrn)
      throw new AppError(
        'CONFLICT',
        `${relative(ss.file)} is of another patient than stored study ${study.studyInstanceUid} (study ${study.id}) whose CT it references: check the export. Nothing was written.`,
      );
  findings.push({
    code: 'STRUCTURES_ON_STORED_CT',
    severity: 'info',
    message: `${sets.length} structure set(s) without their CT: the ROIs are rasterised on the stored CT grid of ${[...new Set(sets.map((x) => x.series.seriesInstanceUid))].join(', ')}, placed by slice position (image references cannot be checked without the CT files).`,
  });
  const hashes: string[] = [];
  for (const { ss } of sets) hashes.push(await sha256File(ss.file));
  return {
    studyId: study.id,
    studyInstanceUid: study.studyInstanceUid,
    contentHash: combineHashes(hashes),
    fileCount: new Set(hashes).size,
    sets,
    phaseIndexOfPercent: new Map(study.series.filter((s) => s.phasePercent !== null && s.phaseIndex !== null).map((s) => [s.phasePercent!, s.phaseIndex!])),
    findings,
    root,
  };
}

function storedGrid(s: StoredTargetSeries): Grid {
  return {
    dims: s.dims as unknown as Vec3,
    spacingMm: s.spacingMm as unknown as Vec3,
    originMm: s.originMm as unknown as Vec3,
    direction: s.direction as unknown as Grid['direction'],
  };
}

/** Rasterise and store the masks; the PreparedStudy has no series, only structures on stored ones. */
export async function materialiseStructureOnlyStudy(
  scan: StructureOnlyScan,
  store: VolumeStore,
  onProgress?: (p: ImportProgress) => void,
  siteRules?: SiteRuleSet | null,
): Promise<PreparedStudy> {
  const findings = [...scan.findings];
  const structures = await prepareStructures(
    scan.sets.map(({ ss, series }) => ({
      ss,
      seriesKey: series.seriesInstanceUid,
      seriesLabel: series.seriesInstanceUid,
      // The stored grid is uniform; slices of the original may sit up to 0.1 mm off it.
      target: { grid: storedGrid(series), sliceToleranceMm: 0.2 },
      phasePercent: series.phasePercent,
    })),
    { phaseIndexOfPercent: scan.phaseIndexOfPercent, store, root: scan.root, findings, onProgress, siteRules },
  );
  const first = scan.sets[0].ss;
  return {
    source: 'DICOM',
    studyInstanceUid: scan.studyInstanceUid,
    contentHash: scan.contentHash,
    fileCount: scan.fileCount,
    // Not used for structure sets alone: the patient was checked by PatientID in the scan.
    patient: { patientId: first.patientId?.trim() || null, name: null, birthDate: null, institutionName: null },
    studyDate: null,
    description: null,
    physician: null,
    scanner: null,
    series: [],
    structures,
    findings,
  };
}
