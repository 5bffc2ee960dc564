/**
 * Write a CT volume (HU) as a classic DICOM CT series: one CT Image Storage file per slice,
 * Explicit VR Little Endian, 16-bit unsigned pixels with RescaleSlope 1 and RescaleIntercept
 * −1024 (the common scanner convention), so stored value = HU + 1024.
 *
 * References: DICOM PS3.3 A.3 (CT Image IOD), C.7.6.2 (Image Plane: PixelSpacing is
 * [row spacing, column spacing] = [Δ between rows, Δ between columns]), C.8.2.1 (CT Image);
 * PS3.5 9 and B.2 (UIDs derived from a UUID under the 2.25 root); PS3.10 (file format).
 * UIDs are name-based UUIDs (RFC 9562 version 5), so the same inputs give the same files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Untyped: lib/dicom/dcmjs.d.ts declares the module.
import dcmjs from 'dcmjs';
import { indexToPatientMm, type Grid, type Volume, type VoxelArray } from '@/lib/core/volume';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** RFC 9562 namespace for OIDs, used as the v5 namespace of our UIDs. */
const UUID_NAMESPACE_OID = '6ba7b8129dad11d180b400c04fd430c8';
const RESCALE_INTERCEPT = -1024;

/** Errors from the CT series writer. */
export class CtSeriesWriteError extends Error {
  readonly code = 'INVALID_INPUT' as const;
  constructor(message: string) {
    super(message);
    this.name = 'CtSeriesWriteError';
  }
}

/**
 * A DICOM UID "2.25.<decimal>" from a name-based (version 5) UUID of `key`: the same key always
 * gives the same UID; different keys collide with negligible probability. At most 44 characters.
 */
export function deterministicUid(key: string): string {
  const hash = createHash('sha1').update(Buffer.from(UUID_NAMESPACE_OID, 'hex')).update(`iseg-qa:${key}`, 'utf8').digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = (b[6] & 0x0f) | 0x50; // version 5
  b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
  return `2.25.${BigInt(`0x${b.toString('hex')}`).toString(10)}`;
}

/**
 * Decimal String (VR DS, PS3.5 6.2: at most 16 characters) for a number: the shortest
 * round-trip form when it fits, else as many significant digits as fit.
 */
export function formatDs(value: number): string {
  if (!Number.isFinite(value)) throw new CtSeriesWriteError(`Cannot write ${value} as a DICOM decimal string.`);
  let s = String(value);
  for (let p = 15; s.length > 16 && p > 0; p--) s = String(Number(value.toPrecision(p)));
  return s === '-0' ? '0' : s;
}

export interface CtSeriesMetadata {
  /** DICOM PN, e.g. "PHANTOM^ALPHA". */
  patientName: string;
  patientId: string;
  /** YYYYMMDD */
  patientBirthDate?: string;
  patientSex?: 'M' | 'F' | 'O';
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  /** YYYYMMDD */
  studyDate: string;
  /** HHMMSS; default "090000". */
  studyTime?: string;
  studyId?: string;
  accessionNumber?: string;
  studyDescription?: string;
  seriesNumber: number;
  /** e.g. "4D CT 20%". */
  seriesDescription: string;
  manufacturer: string;
  manufacturerModelName: string;
  institutionName?: string;
  stationName?: string;
  referringPhysicianName?: string;
  /** 1-based temporal position of this phase (TemporalPositionIndex), and how many there are. */
  temporalPositionIndex?: number;
  numberOfTemporalPositions?: number;
  /** Free text in ImageComments, e.g. "SYNTHETIC PHANTOM". */
  imageComments?: string;
  /** Key from which SOP Instance UIDs are derived (default: the series UID). */
  uidSeed?: string;
}

export interface CtSliceFile {
  fileName: string;
  sopInstanceUid: string;
  instanceNumber: number;
  /** Slice index k in the volume. */
  sliceIndex: number;
  imagePositionPatientMm: [number, number, number];
  bytes: Uint8Array;
}

function checkVolume(volume: Volume<VoxelArray>): void {
  const g = volume.grid;
  const [nx, ny, nz] = g.dims;
  if (volume.data.length !== nx * ny * nz) {
    throw new CtSeriesWriteError(`CT volume is ${g.dims.join('×')} (${nx * ny * nz} voxels) but has ${volume.data.length} values.`);
  }
  if (nx > 65535 || ny > 65535) throw new CtSeriesWriteError(`CT slices of ${nx}×${ny} exceed DICOM's 65535 rows/columns.`);
  const geometry = [...g.spacingMm, ...g.originMm, ...g.direction];
  if (geometry.some((v) => !Number.isFinite(v)) || g.spacingMm.some((s) => s <= 0)) {
    throw new CtSeriesWriteError(`CT volume geometry is not finite and positive (${geometry.join(', ')}).`);
  }
}

/** Slice k's file meta and dataset (everything but Pixel Data), as encodeCtSeries writes them. */
export function ctSliceAttributes(
  grid: Grid,
  meta: CtSeriesMetadata,
  k: number,
): { fileName: string; sopInstanceUid: string; ipp: [number, number, number]; fileMeta: Record<string, unknown>; dataset: Record<string, unknown> } {
  const [nx, ny] = grid.dims;
  const d = grid.direction;
  const orientation = [d[0], d[3], d[6], d[1], d[4], d[7]].map(formatDs);
  const normal = [d[3] * d[7] - d[6] * d[4], d[6] * d[1] - d[0] * d[7], d[0] * d[4] - d[3] * d[1]];
  const seed = meta.uidSeed ?? meta.seriesInstanceUid;
  const ipp = indexToPatientMm(grid, 0, 0, k);
  const sopInstanceUid = deterministicUid(`${seed}/slice/${k}`);
  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: meta.studyDate,
    SeriesDate: meta.studyDate,
    ContentDate: meta.studyDate,
    StudyTime: meta.studyTime ?? '090000',
    SeriesTime: meta.studyTime ?? '090000',
    ContentTime: meta.studyTime ?? '090000',
    AccessionNumber: meta.accessionNumber ?? '',
    Modality: 'CT',
    Manufacturer: meta.manufacturer,
    InstitutionName: meta.institutionName ?? '',
    ReferringPhysicianName: meta.referringPhysicianName ?? '',
    StationName: meta.stationName ?? '',
    StudyDescription: meta.studyDescription ?? '',
    SeriesDescription: meta.seriesDescription,
    ManufacturerModelName: meta.manufacturerModelName,
    PatientName: meta.patientName,
    PatientID: meta.patientId,
    PatientBirthDate: meta.patientBirthDate ?? '',
    PatientSex: meta.patientSex ?? '',
    BodyPartExamined: 'CHEST',
    SliceThickness: formatDs(grid.spacingMm[2]),
    KVP: '120',
    PatientPosition: 'HFS',
    StudyInstanceUID: meta.studyInstanceUid,
    SeriesInstanceUID: meta.seriesInstanceUid,
    StudyID: meta.studyId ?? '1',
    SeriesNumber: String(meta.seriesNumber),
    AcquisitionNumber: '1',
    InstanceNumber: String(k + 1),
    ImagePositionPatient: ipp.map(formatDs),
    ImageOrientationPatient: orientation,
    FrameOfReferenceUID: meta.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    SliceLocation: formatDs(ipp[0] * normal[0] + ipp[1] * normal[1] + ipp[2] * normal[2]),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: ny,
    Columns: nx,
    // PS3.3 C.7.6.2.1.1: [spacing between rows (j), spacing between columns (i)].
    PixelSpacing: [formatDs(grid.spacingMm[1]), formatDs(grid.spacingMm[0])],
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 0,
    WindowCenter: '-600',
    WindowWidth: '1600',
    RescaleIntercept: String(RESCALE_INTERCEPT),
    RescaleSlope: '1',
    RescaleType: 'HU',
  };
  if (meta.temporalPositionIndex !== undefined) dataset.TemporalPositionIndex = meta.temporalPositionIndex;
  if (meta.numberOfTemporalPositions !== undefined) dataset.NumberOfTemporalPositions = String(meta.numberOfTemporalPositions);
  if (meta.imageComments) dataset.ImageComments = meta.imageComments;
  const fileMeta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: deterministicUid('implementation/iseg-qa'),
    ImplementationVersionName: 'ISEGQA_0_1',
  };
  return { fileName: `CT${String(meta.seriesNumber).padStart(3, '0')}_${String(k + 1).padStart(4, '0')}.dcm`, sopInstanceUid, ipp, fileMeta, dataset };
}

/** A Part 10 file (explicit VR little endian) of a naturalised file meta and dataset, written by dcmjs. */
export function encodePart10(fileMeta: Record<string, unknown>, dataset: Record<string, unknown>): Uint8Array {
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(fileMeta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write());
}

/** Slice k's stored values (HU − intercept) as 16-bit pixels, into `out` when given. */
export function ctSlicePixels(volume: Volume<VoxelArray>, k: number, out?: Uint16Array): Uint16Array {
  const [nx, ny] = volume.grid.dims;
  const plane = nx * ny;
  const pixels = out ?? new Uint16Array(plane);
  const data = volume.data;
  // The stored Int16 volume needs no rounding: a loop of its own (monomorphic, 3× faster).
  if (data instanceof Int16Array && int16SliceToStored(data, k * plane, pixels)) return pixels;
  for (let n = 0; n < plane; n++) {
    const hu = Math.round(data[k * plane + n]);
    const stored = hu - RESCALE_INTERCEPT;
    if (!(stored >= 0 && stored <= 65535)) {
      const i = n % nx,
        j = Math.floor(n / nx);
      throw new CtSeriesWriteError(
        `CT voxel (${i}, ${j}, ${k}) is ${data[k * plane + n]} HU, outside the writable range −1024…64511 HU; clamp the volume first.`,
      );
    }
    pixels[n] = stored;
  }
  return pixels;
}

/** HU + 1024 of `pixels.length` Int16 values from `offset`; false (and `pixels` partly written) when one is below −1024. */
function int16SliceToStored(data: Int16Array, offset: number, pixels: Uint16Array): boolean {
  for (let n = 0; n < pixels.length; n++) {
    const stored = data[offset + n] - RESCALE_INTERCEPT;
    if (stored < 0) return false;
    pixels[n] = stored;
  }
  return true;
}

/** The volume's grid and size checked as encodeCtSeries checks them. */
export { checkVolume as checkCtVolume };

/**
 * Encode every slice of `volume` (HU; rounded to integers) as a DICOM Part 10 file in memory.
 * Slice k has ImagePositionPatient = position of voxel (0, 0, k), InstanceNumber k + 1.
 * @throws CtSeriesWriteError for inconsistent data length, non-finite geometry, or HU outside
 *   [−1024, 64511] (what 16-bit unsigned storage with intercept −1024 can hold).
 */
export function encodeCtSeries(volume: Volume<VoxelArray>, meta: CtSeriesMetadata): CtSliceFile[] {
  checkVolume(volume);
  const grid: Grid = volume.grid;
  const nz = grid.dims[2];
  const files: CtSliceFile[] = [];
  for (let k = 0; k < nz; k++) {
    const pixels = ctSlicePixels(volume, k);
    const { fileName, sopInstanceUid, ipp, fileMeta, dataset } = ctSliceAttributes(grid, meta, k);
    dataset.PixelData = [pixels.buffer];
    dataset._vrMap = { PixelData: 'OW' };
    files.push({ fileName, sopInstanceUid, instanceNumber: k + 1, sliceIndex: k, imagePositionPatientMm: ipp, bytes: encodePart10(fileMeta, dataset) });
  }
  return files;
}

/**
 * Write the series into `dir` (created if needed), one file per slice; returns what was written
 * (without the bytes) so callers can reference the SOP instances, e.g. from an RTSTRUCT.
 * @throws CtSeriesWriteError as encodeCtSeries, or naming `dir` when it cannot be written.
 */
export function writeCtSeries(dir: string, volume: Volume<VoxelArray>, meta: CtSeriesMetadata): Omit<CtSliceFile, 'bytes'>[] {
  const files = encodeCtSeries(volume, meta);
  try {
    mkdirSync(dir, { recursive: true });
    for (const f of files) writeFileSync(join(dir, f.fileName), f.bytes);
  } catch (err) {
    throw new CtSeriesWriteError(`Cannot write the CT series to ${dir}: ${(err as Error).message}`);
  }
  return files.map(({ bytes: _bytes, ...rest }) => rest);
}
