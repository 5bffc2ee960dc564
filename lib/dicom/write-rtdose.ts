/**
 * Write an RT Dose (and a minimal RT Plan carrying the prescription) for phantoms and tests:
 * Explicit VR Little Endian, 32-bit unsigned dose pixels, DoseGridScaling chosen so the largest
 * dose is stored near 2^31 (a relative step of 5e-10). DICOM PS3.3 A.18 (RT Dose IOD), C.8.8.3;
 * A.20 (RT Plan IOD), C.8.8.10 (RT Prescription), C.8.8.13 (RT Fraction Scheme).
 *
 * The options that write what planning systems sometimes get wrong (no scaling, other units,
 * an uneven GridFrameOffsetVector, no prescription) exist so the reader's findings can be tested.
 */
// Untyped: lib/dicom/dcmjs.d.ts declares the module.
import dcmjs from 'dcmjs';
import type { Volume } from '@/lib/core/volume';
import { DicomError } from './findings';
import { deterministicUid, formatDs } from './write-ct-series';
import { RT_DOSE_STORAGE } from './rtdose';
import { RT_PLAN_STORAGE } from './rtplan';

const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

export interface RtObjectMetadata {
  patientName: string;
  patientId: string;
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  /** YYYYMMDD */
  studyDate: string;
  /** Key the SOP/series UIDs are derived from (same key → same UIDs). */
  uidSeed: string;
}

export interface WriteRtDoseInput extends RtObjectMetadata {
  /** Dose (Gy) on an axial grid; frames along the grid's k axis. */
  dose: Volume<Float32Array>;
  /** The plan this dose belongs to (ReferencedRTPlanSequence). */
  referencedPlanSopInstanceUid?: string;
  /** DoseUnits; default 'GY'. null omits it. */
  units?: string | null;
  /** DoseGridScaling; default max / 2^31. null omits it (tests). */
  scaling?: number | null;
  /** GridFrameOffsetVector to write instead of k · spacing (tests). */
  frameOffsetsMm?: number[];
  doseSummationType?: string;
}

function write(dataset: Record<string, unknown>, sopClassUid: string, sopInstanceUid: string): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = (
    dcmjs as unknown as {
      data: {
        DicomDict: new (m: unknown) => { dict: unknown; write: () => ArrayBuffer };
        DicomMetaDictionary: { denaturalizeDataset: (d: unknown) => unknown };
      };
    }
  ).data;
  const fileMeta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: deterministicUid('implementation/iseg-qa'),
    ImplementationVersionName: 'ISEGQA_0_1',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(fileMeta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

/** @throws DicomError('INVALID_INPUT') for a non-axial grid, a negative or non-finite dose. */
export function encodeRtDose(input: WriteRtDoseInput): { bytes: Uint8Array; sopInstanceUid: string } {
  const { grid, data } = input.dose;
  const [nx, ny, nz] = grid.dims;
  if ([1, 0, 0, 0, 1, 0, 0, 0, 1].some((v, n) => Math.abs(grid.direction[n]! - v) > 1e-9))
    throw new DicomError('INVALID_INPUT', 'The RT Dose writer writes axial grids only (direction identity).');
  if (data.length !== nx * ny * nz) throw new DicomError('INVALID_INPUT', `The dose is ${nx}×${ny}×${nz} but holds ${data.length} values.`);
  let max = 0;
  for (let t = 0; t < data.length; t++) {
    const v = data[t]!;
    if (!(v >= 0) || !Number.isFinite(v)) throw new DicomError('INVALID_INPUT', `Dose value ${v} at index ${t} is negative or not finite.`);
    if (v > max) max = v;
  }
  const scaling = input.scaling === undefined || input.scaling === null ? (max > 0 ? max / 2 ** 31 : 1e-6) : input.scaling;
  const pixels = new Uint32Array(data.length);
  for (let t = 0; t < data.length; t++) pixels[t] = Math.round(data[t]! / scaling);
  const sopInstanceUid = deterministicUid(`${input.uidSeed}/rtdose`);
  const offsets = input.frameOffsetsMm ?? Array.from({ length: nz }, (_, k) => k * grid.spacingMm[2]);
  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 100',
    SOPClassUID: RT_DOSE_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: input.studyDate,
    StudyTime: '090000',
    AccessionNumber: '',
    Modality: 'RTDOSE',
    Manufacturer: 'iSeg QA phantom',
    ReferringPhysicianName: '',
    PatientName: input.patientName,
    PatientID: input.patientId,
    PatientBirthDate: '',
    PatientSex: '',
    StudyInstanceUID: input.studyInstanceUid,
    SeriesInstanceUID: deterministicUid(`${input.uidSeed}/rtdose-series`),
    StudyID: '1',
    SeriesNumber: '900',
    InstanceNumber: '1',
    ImagePositionPatient: grid.originMm.map(formatDs),
    ImageOrientationPatient: ['1', '0', '0', '0', '1', '0'],
    FrameOfReferenceUID: input.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: String(nz),
    FrameIncrementPointer: 0x3004000c,
    Rows: ny,
    Columns: nx,
    PixelSpacing: [formatDs(grid.spacingMm[1]), formatDs(grid.spacingMm[0])],
    BitsAllocated: 32,
    BitsStored: 32,
    HighBit: 31,
    PixelRepresentation: 0,
    DoseType: 'PHYSICAL',
    DoseSummationType: input.doseSummationType ?? 'PLAN',
    GridFrameOffsetVector: offsets.map(formatDs),
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OW' },
  };
  const units = input.units === undefined ? 'GY' : input.units;
  if (units !== null) dataset.DoseUnits = units;
  if (input.scaling !== null) dataset.DoseGridScaling = formatDs(scaling);
  if (input.referencedPlanSopInstanceUid)
    dataset.ReferencedRTPlanSequence = [{ ReferencedSOPClassUID: RT_PLAN_STORAGE, ReferencedSOPInstanceUID: input.referencedPlanSopInstanceUid }];
  return { bytes: write(dataset, RT_DOSE_STORAGE, sopInstanceUid), sopInstanceUid };
}

export interface WriteRtPlanInput extends RtObjectMetadata {
  label: string;
  /** TargetPrescriptionDose of the TARGET dose reference (Gy); null writes a plan without one. */
  prescriptionGy: number | null;
  fractions: number;
  referencedStructureSetSopInstanceUid?: string;
}

/** A minimal RT Plan: one TARGET dose reference and one fraction group (no beams). */
export function encodeRtPlan(input: WriteRtPlanInput): { bytes: Uint8Array; sopInstanceUid: string } {
  const sopInstanceUid = deterministicUid(`${input.uidSeed}/rtplan`);
  const ref: Record<string, unknown> = {
    DoseReferenceNumber: '1',
    DoseReferenceStructureType: 'SITE',
    DoseReferenceDescription: 'PTV',
    DoseReferenceType: 'TARGET',
  };
  if (input.prescriptionGy !== null) ref.TargetPrescriptionDose = formatDs(input.prescriptionGy);
  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 100',
    SOPClassUID: RT_PLAN_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: input.studyDate,
    StudyTime: '090000',
    AccessionNumber: '',
    Modality: 'RTPLAN',
    Manufacturer: 'iSeg QA phantom',
    ReferringPhysicianName: '',
    OperatorsName: '',
    PatientName: input.patientName,
    PatientID: input.patientId,
    PatientBirthDate: '',
    PatientSex: '',
    StudyInstanceUID: input.studyInstanceUid,
    SeriesInstanceUID: deterministicUid(`${input.uidSeed}/rtplan-series`),
    StudyID: '1',
    SeriesNumber: '901',
    InstanceNumber: '1',
    FrameOfReferenceUID: input.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    RTPlanLabel: input.label,
    RTPlanDate: input.studyDate,
    RTPlanTime: '090000',
    RTPlanGeometry: 'PATIENT',
    DoseReferenceSequence: [ref],
    FractionGroupSequence: [
      { FractionGroupNumber: '1', NumberOfFractionsPlanned: String(input.fractions), NumberOfBeams: '0', NumberOfBrachyApplicationSetups: '0' },
    ],
  };
  if (input.referencedStructureSetSopInstanceUid)
    dataset.ReferencedStructureSetSequence = [
      { ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.481.3', ReferencedSOPInstanceUID: input.referencedStructureSetSopInstanceUid },
    ];
  return { bytes: write(dataset, RT_PLAN_STORAGE, sopInstanceUid), sopInstanceUid };
}
