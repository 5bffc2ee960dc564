/**
 * NIfTI-1 (348-byte) and NIfTI-2 (540-byte) header parsing, either byte order.
 * Reference: nifti1.h and nifti2.h (https://nifti.nimh.nih.gov/nifti-1, .../nifti-2).
 */
import type { Vec3 } from '@/lib/core/volume';
import { NiftiError } from './errors';

export const NIFTI1_HEADER_BYTES = 348;
export const NIFTI2_HEADER_BYTES = 540;

/** Datatype codes we read (nifti1.h DT_*), with byte sizes. */
export const NIFTI_DATATYPES: Record<number, { name: string; bytes: number }> = {
  2: { name: 'uint8', bytes: 1 },
  4: { name: 'int16', bytes: 2 },
  8: { name: 'int32', bytes: 4 },
  16: { name: 'float32', bytes: 4 },
  64: { name: 'float64', bytes: 8 },
  256: { name: 'int8', bytes: 1 },
  512: { name: 'uint16', bytes: 2 },
};

/** Names for codes we recognise but do not read, for error messages. */
const OTHER_DATATYPES: Record<number, string> = {
  0: 'unknown',
  1: 'binary',
  32: 'complex64',
  128: 'rgb24',
  768: 'uint32',
  1024: 'int64',
  1280: 'uint64',
  1536: 'float128',
  1792: 'complex128',
  2048: 'complex256',
  2304: 'rgba32',
};

export function datatypeName(code: number): string {
  return NIFTI_DATATYPES[code]?.name ?? OTHER_DATATYPES[code] ?? `code ${code}`;
}

/** The header fields we use, version-independent. */
export interface NiftiHeader {
  version: 1 | 2;
  littleEndian: boolean;
  /** dim[0..7] */
  dim: number[];
  /** pixdim[0..7]; pixdim[0] is qfac. */
  pixdim: number[];
  datatype: number;
  bitpix: number;
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  qformCode: number;
  sformCode: number;
  quaternB: number;
  quaternC: number;
  quaternD: number;
  qoffset: Vec3;
  /** srow_x, srow_y, srow_z concatenated (12 numbers). */
  srow: number[];
  intentCode: number;
  description: string;
  magic: string;
}

function cString(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  let s = '';
  for (let n = start; n < end; n++) s += String.fromCharCode(bytes[n]);
  return s;
}

/**
 * Parse the header at the start of `bytes` (already decompressed).
 * @throws NiftiError NOT_NIFTI when neither header size nor magic matches; TRUNCATED when the
 *   buffer is shorter than the header.
 */
export function parseNiftiHeader(bytes: Uint8Array, source: string): NiftiHeader {
  if (bytes.length < 4) {
    throw new NiftiError('NOT_NIFTI', `${source} is not a NIfTI file: it has only ${bytes.length} bytes.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let version: 1 | 2;
  let littleEndian: boolean;
  const le = view.getInt32(0, true);
  const be = view.getInt32(0, false);
  if (le === NIFTI1_HEADER_BYTES || be === NIFTI1_HEADER_BYTES) {
    version = 1;
    littleEndian = le === NIFTI1_HEADER_BYTES;
  } else if (le === NIFTI2_HEADER_BYTES || be === NIFTI2_HEADER_BYTES) {
    version = 2;
    littleEndian = le === NIFTI2_HEADER_BYTES;
  } else {
    throw new NiftiError(
      'NOT_NIFTI',
      `${source} is not a NIfTI file: the header size field is ${le}, not 348 (NIfTI-1) or 540 (NIfTI-2). Is it a .nii or .nii.gz image?`,
    );
  }
  const headerBytes = version === 1 ? NIFTI1_HEADER_BYTES : NIFTI2_HEADER_BYTES;
  if (bytes.length < headerBytes) {
    throw new NiftiError('TRUNCATED', `${source} is truncated: ${bytes.length} bytes, shorter than the ${headerBytes}-byte NIfTI-${version} header.`);
  }
  const i16 = (o: number) => view.getInt16(o, littleEndian);
  const i32 = (o: number) => view.getInt32(o, littleEndian);
  const f32 = (o: number) => view.getFloat32(o, littleEndian);
  const f64 = (o: number) => view.getFloat64(o, littleEndian);
  const i64 = (o: number) => Number(view.getBigInt64(o, littleEndian));

  if (version === 1) {
    const magic = cString(bytes, 344, 4);
    if (magic !== 'n+1' && magic !== 'ni1') {
      throw new NiftiError(
        'NOT_NIFTI',
        `${source} is not a NIfTI-1 file: magic is ${JSON.stringify(magic)}, expected "n+1" (an ANALYZE 7.5 header is not supported).`,
      );
    }
    return {
      version,
      littleEndian,
      dim: Array.from({ length: 8 }, (_, n) => i16(40 + 2 * n)),
      pixdim: Array.from({ length: 8 }, (_, n) => f32(76 + 4 * n)),
      datatype: i16(70),
      bitpix: i16(72),
      voxOffset: f32(108),
      sclSlope: f32(112),
      sclInter: f32(116),
      qformCode: i16(252),
      sformCode: i16(254),
      quaternB: f32(256),
      quaternC: f32(260),
      quaternD: f32(264),
      qoffset: [f32(268), f32(272), f32(276)],
      srow: Array.from({ length: 12 }, (_, n) => f32(280 + 4 * n)),
      intentCode: i16(68),
      description: cString(bytes, 148, 80),
      magic,
    };
  }
  const magic = cString(bytes, 4, 8);
  if (magic !== 'n+2' && magic !== 'ni2') {
    throw new NiftiError('NOT_NIFTI', `${source} is not a NIfTI-2 file: magic is ${JSON.stringify(magic)}, expected "n+2".`);
  }
  return {
    version,
    littleEndian,
    dim: Array.from({ length: 8 }, (_, n) => i64(16 + 8 * n)),
    pixdim: Array.from({ length: 8 }, (_, n) => f64(104 + 8 * n)),
    datatype: i16(12),
    bitpix: i16(14),
    voxOffset: i64(168),
    sclSlope: f64(176),
    sclInter: f64(184),
    qformCode: i32(344),
    sformCode: i32(348),
    quaternB: f64(352),
    quaternC: f64(360),
    quaternD: f64(368),
    qoffset: [f64(376), f64(384), f64(392)],
    srow: Array.from({ length: 12 }, (_, n) => f64(400 + 8 * n)),
    intentCode: i32(504),
    description: cString(bytes, 240, 80),
    magic,
  };
}
