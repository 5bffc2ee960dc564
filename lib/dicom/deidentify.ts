/**
 * De-identify one DICOM Part 10 file following the PS3.15 Annex E Basic Application Level
 * Confidentiality Profile (Table E.1-1), with the Retain Longitudinal Temporal Information with
 * Modified Dates Option (E.3.6) and the Clean Descriptors Option (E.3.5): the only descriptors
 * kept are SeriesDescription, StructureSetLabel and ROIName, and callers must write those from
 * iSeg QA's own vocabulary ("4D CT phase 20%", "GTV 20%", "ITV"; lib/server/deid/present-free-text.ts),
 * never copy them from an original file.
 *
 * - Patient's Name and Patient ID become the pseudonym; birth date, sex, age, size, weight,
 *   address, other IDs and names are removed or emptied; institution, station, physicians,
 *   operators (and their identification sequences), accession number, study ID, study
 *   description, comments: removed or emptied.
 * - Every UID (VR UI) except the well-known class and syntax UIDs is replaced by `remapUid`,
 *   the same everywhere (file meta, datasets, nested sequences), so an RTSTRUCT still references
 *   its CT: callers pass a keyed hash (PS3.15 E.3.9-like behaviour, one-way without the key).
 * - Every date (DA, and the date part of DT) is shifted by `dateShiftDays`; times are kept.
 * - Private attributes (odd groups) are removed.
 * - PatientIdentityRemoved = YES, LongitudinalTemporalInformationModified = MODIFIED,
 *   DeidentificationMethod (short text, LO ≤ 64) and DeidentificationMethodCodeSequence (CID 7050: 113100
 *   Basic profile, 113105 Clean Descriptors, 113107 Retain Longitudinal Modified Dates) are added.
 *
 * Reference: DICOM PS3.15 2024e, Annex E, Table E.1-1 and E.3; PS3.16 CID 7050.
 */
import * as dcmjsNs from 'dcmjs';
import { DicomError } from './findings';

interface DcmjsApi {
  DicomMessage: { readFile: (buffer: ArrayBuffer, options?: Record<string, unknown>) => { meta: Record<string, unknown>; dict: Record<string, unknown> } };
  DicomDict: new (meta: unknown) => { dict: unknown; write: () => ArrayBuffer };
  DicomMetaDictionary: {
    naturalizeDataset: (ds: unknown) => Record<string, unknown>;
    denaturalizeDataset: (ds: unknown) => Record<string, unknown>;
    nameMap: Record<string, { vr: string; tag: string } | undefined>;
  };
}
const dcmjs = ((dcmjsNs as unknown as { default?: { data: DcmjsApi } }).default ?? (dcmjsNs as unknown as { data: DcmjsApi })).data;

export interface DeidentifyOptions {
  /** Written as PatientName and PatientID. */
  pseudonym: string;
  /** Whole days added to every date. */
  dateShiftDays: number;
  /** The replacement for a real UID; must be deterministic so references stay consistent. */
  remapUid: (uid: string) => string;
}

/** UIDs that name a class, syntax or coding scheme, not an instance: kept. */
const KEEP_UIDS = new Set([
  'SOPClassUID',
  'MediaStorageSOPClassUID',
  'ReferencedSOPClassUID',
  'TransferSyntaxUID',
  'ImplementationClassUID',
  'CodingSchemeUID',
  'ContextGroupExtensionCreatorUID',
  'MappingResource',
  'PrivateInformationCreatorUID',
  'RelatedGeneralSOPClassUID',
  'OriginalSpecializedSOPClassUID',
  'SOPClassesInStudy',
]);

/** Table E.1-1 action X (remove): attributes dropped from the dataset at any depth. */
const REMOVE = [
  'PatientBirthTime',
  'PatientAge',
  'PatientSize',
  'PatientWeight',
  'PatientAddress',
  'PatientTelephoneNumbers',
  'PatientMotherBirthName',
  'OtherPatientIDs',
  'OtherPatientIDsSequence',
  'OtherPatientNames',
  'PatientBirthName',
  'MilitaryRank',
  'BranchOfService',
  'EthnicGroup',
  'Occupation',
  'MedicalRecordLocator',
  'AdditionalPatientHistory',
  'PatientComments',
  'IssuerOfPatientID',
  'InstitutionName',
  'InstitutionAddress',
  'InstitutionalDepartmentName',
  'InstitutionCodeSequence',
  'StationName',
  'PerformingPhysicianName',
  'PhysiciansOfRecord',
  'NameOfPhysiciansReadingStudy',
  'OperatorsName',
  'RequestingPhysician',
  'ReferringPhysicianAddress',
  'ReferringPhysicianTelephoneNumbers',
  'StudyDescription',
  'ImageComments',
  'DeviceSerialNumber',
  'ProtocolName',
  'RequestAttributesSequence',
  'PerformedProcedureStepDescription',
  'PerformedProcedureStepID',
  'ScheduledProcedureStepDescription',
  'RequestedProcedureDescription',
  'AdmittingDiagnosesDescription',
  'StructureSetName',
  'StructureSetDescription',
  'ROIDescription',
  'ROIGenerationDescription',
  'DerivationDescription',
  'AcquisitionComments',
  'FrameComments',
  'CurrentPatientLocation',
  'PatientInstitutionResidence',
  'ReferringPhysicianIdentificationSequence',
  'PerformingPhysicianIdentificationSequence',
  'PhysiciansOfRecordIdentificationSequence',
  'PhysiciansReadingStudyIdentificationSequence',
  'OperatorIdentificationSequence',
  'ReviewerName',
  'RequestingService',
  'StudyComments',
  'VisitComments',
  'PatientState',
  'ServiceEpisodeDescription',
  'SeriesDescriptionCodeSequence',
];
/** Table E.1-1 action Z (zero length, Type 2 attributes the IOD requires to be present). */
const EMPTY = ['PatientBirthDate', 'PatientSex', 'ReferringPhysicianName', 'AccessionNumber', 'StudyID', 'ROIInterpreter', 'ContentCreatorName'];

const DCM_CODES = {
  basic: { CodeValue: '113100', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Basic Application Confidentiality Profile' },
  cleanDescriptors: { CodeValue: '113105', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Clean Descriptors Option' },
  modifiedDates: { CodeValue: '113107', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Retain Longitudinal Temporal Information Modified Dates Option' },
};

/**
 * DeidentificationMethod (0012,0063) is LO: at most 64 characters. The exact profile and options
 * are in DeidentificationMethodCodeSequence (CID 7050), which has no length problem.
 */
export const DEIDENTIFICATION_METHOD = 'iSeg QA: PS3.15 Basic, Clean Descriptors, Modified Dates';

const DAY_MS = 86_400_000;

function shiftDa(v: string, days: number): string {
  const s = v.trim();
  if (s === '') return '';
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(s);
  // A malformed date cannot be shifted: dropping it is the only safe choice (it may be real).
  if (!m) return '';
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]) + days * DAY_MS);
  return d.toISOString().slice(0, 10).replace(/-/g, '') + s.slice(8);
}

function vrOf(keyword: string): string | undefined {
  return dcmjs.DicomMetaDictionary.nameMap[keyword]?.vr;
}

function isPrivateKey(key: string): boolean {
  // dcmjs keeps attributes it has no keyword for under their 8-hex-digit tag.
  return /^[0-9A-Fa-f]{8}$/.test(key) && parseInt(key.slice(0, 4), 16) % 2 === 1;
}

function transform(ds: Record<string, unknown>, o: DeidentifyOptions): void {
  for (const key of Object.keys(ds)) {
    if (key === '_vrMap' || key === '_meta') continue;
    if (isPrivateKey(key) || REMOVE.includes(key)) {
      delete ds[key];
      continue;
    }
    const value = ds[key];
    if (EMPTY.includes(key)) {
      ds[key] = '';
      continue;
    }
    const vr = vrOf(key);
    if (vr === 'SQ' && Array.isArray(value)) {
      for (const item of value) if (item && typeof item === 'object') transform(item as Record<string, unknown>, o);
      continue;
    }
    if (vr === 'SQ' && value && typeof value === 'object') {
      transform(value as Record<string, unknown>, o);
      continue;
    }
    if (vr === 'UI' && !KEEP_UIDS.has(key)) {
      const map = (u: unknown) => (typeof u === 'string' && u.trim() ? o.remapUid(u.trim().replace(/\0+$/, '')) : u);
      ds[key] = Array.isArray(value) ? value.map(map) : map(value);
      continue;
    }
    if (vr === 'DA' || vr === 'DT') {
      const shift = (d: unknown) => (typeof d === 'string' ? shiftDa(d, o.dateShiftDays) : d);
      ds[key] = Array.isArray(value) ? value.map(shift) : shift(value);
    }
  }
}

/**
 * The de-identification of a naturalised (dcmjs) file meta and dataset, in place: what
 * deidentifyDicom does between reading a file and writing it again. A writer that de-identifies
 * what it writes (writeRtStruct's `deidentify`) calls it before its one write.
 */
export function deidentifyDataset(meta: Record<string, unknown>, ds: Record<string, unknown>, o: DeidentifyOptions): void {
  transform(ds, o);
  if (typeof meta.MediaStorageSOPInstanceUID === 'string') meta.MediaStorageSOPInstanceUID = o.remapUid(meta.MediaStorageSOPInstanceUID.replace(/\0+$/, ''));
  ds.PatientName = o.pseudonym;
  ds.PatientID = o.pseudonym;
  ds.PatientIdentityRemoved = 'YES';
  ds.LongitudinalTemporalInformationModified = 'MODIFIED';
  ds.DeidentificationMethod = DEIDENTIFICATION_METHOD;
  ds.DeidentificationMethodCodeSequence = [DCM_CODES.basic, DCM_CODES.cleanDescriptors, DCM_CODES.modifiedDates];
}

/**
 * @param bytes a DICOM Part 10 file (with preamble and file meta).
 * @returns the de-identified file, explicit VR little endian as dcmjs writes it.
 * @throws DicomError('INVALID_INPUT') when the bytes are not a DICOM file dcmjs can read.
 */
export function deidentifyDicom(bytes: Uint8Array, o: DeidentifyOptions): Uint8Array {
  let parsed: { meta: Record<string, unknown>; dict: Record<string, unknown> };
  try {
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    parsed = dcmjs.DicomMessage.readFile(buf);
  } catch (e) {
    throw new DicomError('INVALID_INPUT', `Cannot de-identify: the file is not readable DICOM (${(e as Error).message}).`);
  }
  const meta = dcmjs.DicomMetaDictionary.naturalizeDataset(parsed.meta);
  const ds = dcmjs.DicomMetaDictionary.naturalizeDataset(parsed.dict);
  deidentifyDataset(meta, ds, o);
  const dict = new dcmjs.DicomDict(dcmjs.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(dict.write());
}
