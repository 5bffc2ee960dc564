/** Types shared by the study importer (DICOM and NIfTI paths), its CLI and its route. */
import type { Grid } from '@/lib/core/volume';
import type { Prisma } from '../db/generated/client';
import type { StructureKindName } from './classify-structure';
import type { PreparedDoseGrid, PreparedPlan } from './prepare-study-dose';

export type ImportFindingSeverity = 'info' | 'warning' | 'error';

/**
 * One problem found on import, stored on Study.findings and shown to the user. `code` is a
 * lib/dicom FindingCode or one of the importer's own (e.g. DUPLICATE_ROI_NAME, EMPTY_STRUCTURE,
 * SERIES_NOT_IMPORTED, STRUCTURE_SET_SKIPPED, IGNORED_FILE, PHASE_NAME_MISMATCH, STUDY_MERGED). File paths are
 * relative to the imported folder.
 */
export interface ImportFinding {
  code: string;
  severity: ImportFindingSeverity;
  message: string;
  file?: string;
}

export interface ImportProgress {
  stage: 'scanning' | 'reading' | 'loading' | 'rasterising' | 'storing' | 'writing' | 'done';
  /** Units done and total within the stage (files, series or structures). */
  done: number;
  total: number;
  message?: string;
}

export interface PreparedSeries {
  /** Series key from lib/dicom ("UID", or "UID#t" for a 4D series split by temporal position). */
  key: string;
  /** Stored as ImageSeries.seriesInstanceUid: the key, so that split 4D parts stay unique. */
  seriesInstanceUid: string;
  frameOfReferenceUid: string | null;
  modality: string;
  description: string | null;
  phaseIndex: number | null;
  phasePercent: number | null;
  grid: Grid;
  volumeKey: string;
  volumeSha256: string;
  /** sha256 of the uncompressed NIfTI (volume-store.ts): the identity merges compare. */
  volumeContentSha256: string;
  /** SOPInstanceUID of each slice in the volume's k order (DICOM); [] for a NIfTI source. */
  sliceSopInstanceUids: string[];
  /** The slices' SOPClassUID (DICOM); null for a NIfTI source. */
  sopClassUid: string | null;
}

export interface PreparedStructure {
  seriesKey: string;
  roiNumber: number | null;
  name: string;
  kind: StructureKindName;
  phaseIndex: number | null;
  phasePercent: number | null;
  interpretedType: string | null;
  maskKey: string;
  maskSha256: string;
  /** sha256 of the uncompressed NIfTI mask. */
  maskContentSha256: string;
  voxelCount: number;
  volumeCc: number;
  /** Who drew it (lib/server/observers/identify-observers.ts); absent or null: not named. */
  observer?: string | null;
  /** False for an observer other than the study's reference observer; absent: true. */
  referenceObserver?: boolean;
}

/** Everything the transaction writes, computed (and volumes stored) before it starts. */
export interface PreparedStudy {
  source: 'DICOM' | 'NIFTI';
  studyInstanceUid: string;
  contentHash: string;
  fileCount: number;
  patient: {
    /** DICOM PatientID (the MRN); the pseudonym is derived from it. */
    patientId: string | null;
    name: string | null;
    birthDate: Date | null;
    institutionName: string | null;
  };
  studyDate: Date | null;
  description: string | null;
  physician: string | null;
  scanner: string | null;
  series: PreparedSeries[];
  structures: PreparedStructure[];
  findings: ImportFinding[];
  /** RTDOSE grids linked to a CT series, and RTPLANs (DICOM only; prepare-study-dose.ts). */
  doseGrids?: PreparedDoseGrid[];
  plans?: PreparedPlan[];
}

export interface ImportedStructureSummary {
  name: string;
  kind: StructureKindName;
  phaseIndex: number | null;
  phasePercent: number | null;
  voxelCount: number | null;
  volumeCc: number | null;
}

export interface ImportStudyResult {
  studyId: string;
  patientId: string;
  pseudonym: string;
  /** True when the same content (or StudyInstanceUID with the same content) was already stored. */
  alreadyImported: boolean;
  /** True when this import added series or structures to a study stored before (re-import with added files). */
  merged?: boolean;
  source: 'DICOM' | 'NIFTI';
  seriesCount: number;
  structureCount: number;
  series: { seriesInstanceUid: string; description: string | null; phaseIndex: number | null; phasePercent: number | null; dims: number[] }[];
  structures: ImportedStructureSummary[];
  findings: ImportFinding[];
}

/**
 * Work that must commit with a study's rows, or not at all: called inside the transaction that
 * writes a new study (write-study.ts) or adds to a stored one (merge-study.ts), after its rows
 * (import-study-and-queue.ts queues the default segmentation run here). Not called when the
 * import writes nothing (already imported). An error it throws rolls the whole import back.
 */
export type InImportTransaction = (tx: Prisma.TransactionClient, studyId: string) => Promise<void>;
