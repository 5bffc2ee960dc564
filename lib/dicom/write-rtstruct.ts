/**
 * Write machine structures (binary masks on a CT series' grid) as a DICOM RT Structure Set that
 * references that series: its frame of reference, study, series and, per contour, the CT image
 * the contour lies on. Contours come from `maskToContours` (marching squares; holes as separate
 * contours, combined by XOR), so reading the file back and rasterising gives the same mask.
 * When the series' slices carry no SOP Instance UIDs (e.g. a stored study whose slice UIDs were
 * not kept), the file references the frame of reference only and leaves out the image
 * references, as the standard allows, rather than writing empty UIDs.
 * Reference: DICOM PS3.3 A.19 (RT Structure Set IOD), C.8.8.5/C.8.8.6/C.8.8.8; PS3.5 §9 (UIDs,
 * the 2.25 UUID-derived root).
 */
import { createHash, randomUUID } from 'node:crypto';
import * as dcmjsNs from 'dcmjs';
import { maskToContours } from '@/lib/core/contours/mask-to-contours';
import { type Mask, describeGrid, sameGrid } from '@/lib/core/volume';
import type { CtSeries } from './ct-series';
import { DicomError } from './findings';
import { deidentifyDataset, type DeidentifyOptions } from './deidentify';
import { RT_STRUCTURE_SET_STORAGE } from './rtstruct';

interface DcmjsData {
  DicomDict: new (meta: unknown) => { dict: unknown; write: () => ArrayBuffer };
  DicomMetaDictionary: { denaturalizeDataset: (ds: unknown) => unknown };
}
const dcmjs = (dcmjsNs as unknown as { default?: { data: DcmjsData } }).default ?? (dcmjsNs as unknown as { data: DcmjsData });

export interface MachineStructure {
  /** ROI name, e.g. "GTV_iSeg_20%". */
  name: string;
  /** Mask on exactly the referenced series' grid. */
  mask: Mask;
  /** RTROIInterpretedType; default 'GTV'. */
  interpretedType?: string;
  /** ROIDisplayColor [r, g, b] 0–255; default red. */
  color?: [number, number, number];
}

export interface WriteRtStructInput {
  /** The CT series the structures were computed on (from readDicom; needs its grid). */
  series: CtSeries;
  structures: MachineStructure[];
  label?: string;
  seriesDescription?: string;
  seriesNumber?: number;
  /** ROIGenerationAlgorithm / software name. */
  algorithmName?: string;
  /** Creation time; default now. */
  now?: Date;
  /** OperatorsName (who drew the structures; the importer's observer, docs/observers.md); default empty. */
  operatorsName?: string;
  /**
   * SOP Instance and Series Instance UIDs to write (default: new ones). A sender passes the same
   * UIDs for every send of one run, so a peer sees a repeated send as the same instance.
   */
  sopInstanceUid?: string;
  seriesInstanceUid?: string;
  /** A physicist's approval: ApprovalStatus APPROVED with ReviewDate/Time and ReviewerName (PS3.3 C.8.8.16); default UNAPPROVED. */
  approval?: { reviewerName: string; at: Date };
  /**
   * Write the file de-identified (lib/dicom/deidentify.ts, applied to the dataset before its one
   * write): the bytes deidentifyDicom would make of the plain file, without dcmjs reading and
   * re-writing megabytes of contours (the de-identified export).
   */
  deidentify?: DeidentifyOptions;
}

/** A new UID under the UUID-derived root 2.25 (PS3.5 B.2). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

/**
 * A UID under 2.25 derived from a name (the first 128 bits of its SHA-256, as a version-5-style
 * UUID; PS3.5 B.2): the same name always gives the same UID.
 */
export function nameBasedUid(name: string): string {
  const h = createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${h.subarray(0, 16).toString('hex')}`).toString()}`;
}

/** DS value: at most 16 characters (PS3.5 6.2); 1e-4 mm is far below any voxel. */
function ds(v: number): string {
  const s = Number(v.toFixed(4)).toString();
  return s === '-0' ? '0' : s;
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/**
 * Build the RTSTRUCT file bytes (Part 10, explicit VR little endian).
 *
 * @returns the file bytes and the new SOPInstanceUID / SeriesInstanceUID.
 * @throws DicomError('INVALID_INPUT') when the series has no grid, a mask is on another grid, or
 *   there are no structures.
 */
export function writeRtStruct(input: WriteRtStructInput): { bytes: Uint8Array; sopInstanceUid: string; seriesInstanceUid: string } {
  const { series, structures } = input;
  if (!series.grid)
    throw new DicomError('INVALID_INPUT', `Series ${series.seriesInstanceUid} has no valid grid (see its findings); an RTSTRUCT cannot reference it.`);
  if (!series.frameOfReferenceUid)
    throw new DicomError('INVALID_INPUT', `Series ${series.seriesInstanceUid} has no FrameOfReferenceUID; an RTSTRUCT must name one. Check the CT export.`);
  if (structures.length === 0) throw new DicomError('INVALID_INPUT', 'No structures to write: pass at least one mask.');
  for (const s of structures)
    if (!sameGrid(s.mask.grid, series.grid))
      throw new DicomError(
        'INVALID_INPUT',
        `Structure "${s.name}" is on a ${describeGrid(s.mask.grid)} grid but series ${series.seriesInstanceUid} is ${describeGrid(series.grid)}: resample the mask onto the CT grid first.`,
      );
  const first = series.slices[0];
  const now = input.now ?? new Date();
  const date = now.toISOString().slice(0, 10).replace(/-/g, '');
  const time = now.toISOString().slice(11, 19).replace(/:/g, '');
  const sopInstanceUid = input.sopInstanceUid ?? newUid();
  const seriesInstanceUid = input.seriesInstanceUid ?? newUid();
  const frameOfReferenceUid = series.frameOfReferenceUid;
  const studyInstanceUid = series.studyInstanceUid ?? first.studyInstanceUid ?? '';
  // Every slice of the grid has its image UID: only then can contours name the image they lie on.
  const referencesImages = series.slices.length === series.grid.dims[2] && series.slices.every((h) => h.sopInstanceUid !== '');
  const imageRef = (k: number) => ({
    ReferencedSOPClassUID: series.slices[k].sopClassUid ?? CT_IMAGE_STORAGE,
    ReferencedSOPInstanceUID: series.slices[k].sopInstanceUid,
  });

  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 192',
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    SOPClassUID: RT_STRUCTURE_SET_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: first.studyDate ?? '',
    StudyTime: first.studyTime ?? '',
    AccessionNumber: first.accessionNumber ?? '',
    Modality: 'RTSTRUCT',
    Manufacturer: 'iSeg QA',
    ReferringPhysicianName: first.referringPhysicianName ?? '',
    SeriesDescription: input.seriesDescription ?? 'iSeg machine structures',
    OperatorsName: input.operatorsName ?? '',
    ManufacturerModelName: input.algorithmName ?? 'iSeg',
    PatientName: first.patientName ?? '',
    PatientID: first.patientId ?? '',
    PatientBirthDate: first.patientBirthDate ?? '',
    PatientSex: first.patientSex ?? '',
    StudyInstanceUID: studyInstanceUid,
    SeriesInstanceUID: seriesInstanceUid,
    StudyID: first.studyId ?? '',
    SeriesNumber: input.seriesNumber ?? 9001,
    InstanceNumber: 1,
    FrameOfReferenceUID: frameOfReferenceUid,
    StructureSetLabel: (input.label ?? 'iSeg').slice(0, 16),
    StructureSetName: input.label ?? 'iSeg',
    StructureSetDate: date,
    StructureSetTime: time,
    ReferencedFrameOfReferenceSequence: [
      {
        FrameOfReferenceUID: frameOfReferenceUid,
        // RT Referenced Study Sequence is Type 3, but inside it the RT Referenced Series Sequence
        // and its Contour Image Sequence are Type 1 (one item per image, UIDs not empty): without
        // the slice UIDs the whole study reference is left out (PS3.3 C.8.8.5).
        ...(referencesImages
          ? {
              RTReferencedStudySequence: [
                {
                  // Study Component Management SOP Class, as planning systems write it.
                  ReferencedSOPClassUID: '1.2.840.10008.3.1.2.3.2',
                  ReferencedSOPInstanceUID: studyInstanceUid,
                  RTReferencedSeriesSequence: [{ SeriesInstanceUID: series.seriesInstanceUid, ContourImageSequence: series.slices.map((_, k) => imageRef(k)) }],
                },
              ],
            }
          : {}),
      },
    ],
    StructureSetROISequence: structures.map((s, n) => ({
      ROINumber: n + 1,
      ReferencedFrameOfReferenceUID: frameOfReferenceUid,
      ROIName: s.name,
      ROIGenerationAlgorithm: 'AUTOMATIC',
    })),
    ROIContourSequence: structures.map((s, n) => {
      const contours = maskToContours(s.mask);
      const item: Record<string, unknown> = {
        ROIDisplayColor: s.color ?? [255, 0, 0],
        ReferencedROINumber: n + 1,
      };
      if (contours.length > 0)
        item.ContourSequence = contours.map((c, q) => ({
          // Contour Image Sequence is Type 3 in the ROI Contour Module: left out when the slice
          // UIDs are unknown; the contour is then placed by its coordinates in the frame of reference.
          ...(referencesImages ? { ContourImageSequence: [imageRef(c.slice)] } : {}),
          ContourGeometricType: 'CLOSED_PLANAR',
          NumberOfContourPoints: c.pointsMm.length / 3,
          ContourNumber: q + 1,
          ContourData: Array.from(c.pointsMm, ds),
        }));
      return item;
    }),
    RTROIObservationsSequence: structures.map((s, n) => ({
      ObservationNumber: n + 1,
      ReferencedROINumber: n + 1,
      RTROIInterpretedType: s.interpretedType ?? 'GTV',
      ROIInterpreter: '',
    })),
    ...(input.approval
      ? {
          ApprovalStatus: 'APPROVED',
          ReviewDate: input.approval.at.toISOString().slice(0, 10).replace(/-/g, ''),
          ReviewTime: input.approval.at.toISOString().slice(11, 19).replace(/:/g, ''),
          ReviewerName: input.approval.reviewerName,
        }
      : { ApprovalStatus: 'UNAPPROVED' }),
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: RT_STRUCTURE_SET_STORAGE,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.329800735698586629295641978511506172918',
    ImplementationVersionName: 'ISEG_QA_0_1',
  };
  if (input.deidentify) deidentifyDataset(meta, dataset, input.deidentify);
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return { bytes: new Uint8Array(dict.write()), sopInstanceUid, seriesInstanceUid };
}
