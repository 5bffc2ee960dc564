/**
 * Import findings: problems found in DICOM input that the user must see. They are data, not
 * exceptions, so one bad file never stops the rest of an import; the import stores them with
 * the study (docs/conventions.md, item 12).
 */
export type FindingSeverity = 'info' | 'warning' | 'error';

export type FindingCode =
  | 'NOT_DICOM'
  | 'TRUNCATED'
  | 'MISSING_TRANSFER_SYNTAX'
  | 'UNSUPPORTED_TRANSFER_SYNTAX'
  | 'COMPRESSED_PIXEL_DATA'
  | 'CORRUPT_PIXEL_DATA'
  | 'LOSSY_COMPRESSION'
  | 'UNSUPPORTED_PIXEL_FORMAT'
  | 'PIXEL_DATA_TOO_LONG'
  | 'DUPLICATE_FILE'
  | 'DUPLICATE_SOP_INSTANCE'
  | 'IGNORED_OBJECT'
  | 'MISSING_ATTRIBUTE'
  | 'INCONSISTENT_SERIES'
  | 'MISSING_SLICE'
  | 'UNEVEN_SPACING'
  | 'GANTRY_TILT'
  | 'VOLUME_TOO_LARGE'
  | 'SINGLE_SLICE'
  | 'PHASE_UNKNOWN'
  | 'REFERENCED_SERIES_MISSING'
  | 'FRAME_OF_REFERENCE_MISMATCH'
  | 'SOP_REFERENCE_UNRESOLVED'
  | 'SOP_REFERENCE_MISMATCH'
  | 'UNSUPPORTED_CONTOUR_TYPE'
  | 'CONTOUR_OFF_SLICE'
  | 'CONTOUR_NON_PLANAR'
  | 'CONTOUR_OUTSIDE_IMAGE'
  | 'CONTOUR_PARTLY_OUTSIDE_IMAGE'
  | 'CONTOUR_TOO_FEW_POINTS'
  | 'CONTOUR_INVALID_POINTS'
  | 'CONTOUR_SELF_INTERSECTING'
  | 'ROI_WITHOUT_CONTOURS'
  | 'ROI_NOT_FOUND'
  // Dose and plan (lib/dicom/rtdose.ts, rtplan.ts).
  | 'DOSE_FRAME_OFFSET_NONUNIFORM'
  | 'DOSE_SCALING_MISSING'
  | 'DOSE_UNITS_UNKNOWN'
  | 'DOSE_GEOMETRY_INVALID'
  | 'PLAN_WITHOUT_PRESCRIPTION'
  | 'STRUCTURE_OUTSIDE_DOSE';

export interface Finding {
  code: FindingCode;
  severity: FindingSeverity;
  /** Names the thing (file, series, ROI, contour) and says what to check. */
  message: string;
  /** The file concerned, when there is one. */
  file?: string;
}

export function finding(code: FindingCode, severity: FindingSeverity, message: string, file?: string): Finding {
  return file === undefined ? { code, severity, message } : { code, severity, message, file };
}

/** Error thrown by lib/dicom operations that cannot produce a result at all (e.g. loading a refused series). */
export class DicomError extends Error {
  constructor(
    readonly code: 'INVALID_INPUT' | 'NOT_FOUND' | 'UNSUPPORTED',
    message: string,
    readonly findings: Finding[] = [],
  ) {
    super(message);
    this.name = 'DicomError';
  }
}
