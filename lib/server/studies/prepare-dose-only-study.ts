/**
 * Re-import of RTDOSE / RTPLAN files alone: a plan's dose (or the plan itself) exported after the CT was imported.
 * Like structure sets alone (prepare-structure-only-study.ts): the stored study
 * is the one whose CT is on the dose's frame of reference; the dose is linked to that stored
 * series and merged into the study (merge-study.ts) like any re-import. Nothing here writes to
 * the database.
 */
import type { DicomImport } from '@/lib/dicom';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import type { VolumeStore } from '../storage/volume-store';
import type { ImportFinding, PreparedStudy } from './import-study.types';
import { combineHashes } from './prepare-dicom-study';
import { relativePath, relativeText } from './relative-paths';
import { type DoseFileScan, isDoseIgnoredFinding, materialiseStudyDose, scanStudyDose } from './prepare-study-dose';

export interface DoseOnlyScan {
  studyId: string;
  studyInstanceUid: string;
  contentHash: string;
  fileCount: number;
  dose: DoseFileScan;
  /** The stored study's CT series (key = SeriesInstanceUID, as merge-study.ts maps them). */
  series: { key: string; frameOfReferenceUid: string | null; phaseIndex: number | null }[];
  patientId: string | null;
  findings: ImportFinding[];
  root: string;
}

/**
 * When the input holds no CT and no structure set: its RTDOSE / RTPLAN files, and the stored study whose
 * CT shares their frame of reference.
 * @returns null when the input has no RTDOSE or RTPLAN (the caller reports the missing CT as before).
 * @throws AppError INVALID_INPUT when no stored CT (or several studies) share the frame of
 *   reference; CONFLICT when the dose's PatientID is not the stored study's.
 */
export async function scanDoseOnlyStudy(o: { db: Db; files: readonly string[]; read: DicomImport; root: string; label: string }): Promise<DoseOnlyScan | null> {
  const { db, root, label } = o;
  const rel = (p: string) => relativePath(root, p);
  const dose = await scanStudyDose(o.files, new Set());
  // RTDOSE and RTPLAN files (a plan alone adds the prescription of a dose stored before).
  const doses = dose.files;
  if (doses.length === 0) return null;
  const findings: ImportFinding[] = o.read.findings
    .filter((f) => !isDoseIgnoredFinding(f))
    .map((f) => ({ code: f.code, severity: f.severity, message: relativeText(f.message, root), ...(f.file ? { file: rel(f.file) } : {}) }));
  const fors = [...new Set(doses.map((d) => d.frameOfReferenceUid).filter((u): u is string => !!u))];
  const stored = fors.length
    ? await db.imageSeries.findMany({
        where: { frameOfReferenceUid: { in: fors } },
        select: { studyId: true, seriesInstanceUid: true, frameOfReferenceUid: true, phaseIndex: true },
      })
    : [];
  const studyIds = [...new Set(stored.map((s) => s.studyId))];
  const named = doses.map((d) => `${rel(d.file)} (frame of reference ${d.frameOfReferenceUid ?? 'none'})`).join(', ');
  if (studyIds.length === 0)
    throw new AppError(
      'INVALID_INPUT',
      `No CT images in ${label}, and no stored study has a CT on the frame of reference of its dose or plan: ${named}. Import the dose with the CT it was planned on.`,
      { findings },
    );
  if (studyIds.length > 1)
    throw new AppError(
      'INVALID_INPUT',
      `${label} holds doses or plans for ${studyIds.length} stored studies (${studyIds.join(', ')}): ${named}. Import each study's dose from its own folder.`,
      { findings },
    );
  const study = await db.study.findUniqueOrThrow({
    where: { id: studyIds[0] },
    select: {
      id: true,
      studyInstanceUid: true,
      patient: { select: { identity: { select: { mrn: true } } } },
      series: { select: { seriesInstanceUid: true, frameOfReferenceUid: true, phaseIndex: true } },
    },
  });
  const mrn = study.patient.identity?.mrn ?? null;
  for (const d of dose.files)
    if (d.patientId && mrn && d.patientId !== mrn)
      throw new AppError(
        'CONFLICT',
        `${rel(d.file)} is of another patient than stored study ${study.studyInstanceUid} (study ${study.id}) whose CT shares its frame of reference: check the export. Nothing was written.`,
      );
  findings.push({
    code: 'DOSE_ON_STORED_CT',
    severity: 'info',
    message: `${doses.length} dose or plan file(s) without their CT: linked to the stored CT of study ${study.id} on frame of reference ${fors.join(', ')}.`,
  });
  const hashes = dose.files.map((d) => d.sha256);
  return {
    studyId: study.id,
    studyInstanceUid: study.studyInstanceUid,
    contentHash: combineHashes(hashes),
    fileCount: new Set(hashes).size,
    dose,
    series: study.series.map((s) => ({ key: s.seriesInstanceUid, frameOfReferenceUid: s.frameOfReferenceUid, phaseIndex: s.phaseIndex })),
    patientId: doses[0]!.patientId,
    findings,
    root,
  };
}

/** Read and store the dose; the PreparedStudy has no series and no structures, only dose grids and plans on the stored CT. */
export async function materialiseDoseOnlyStudy(scan: DoseOnlyScan, store: VolumeStore): Promise<PreparedStudy> {
  const findings = [...scan.findings];
  const dose = await materialiseStudyDose(scan.dose, { series: scan.series, store, root: scan.root, findings });
  return {
    source: 'DICOM',
    studyInstanceUid: scan.studyInstanceUid,
    contentHash: scan.contentHash,
    fileCount: scan.fileCount,
    // Not used: the patient was checked by PatientID in the scan.
    patient: { patientId: scan.patientId, name: null, birthDate: null, institutionName: null },
    studyDate: null,
    description: null,
    physician: null,
    scanner: null,
    series: [],
    structures: [],
    findings,
    ...dose,
  };
}
