/**
 * Read NIfTI-1 / NIfTI-2 images (.nii, .nii.gz) into a `Volume` in DICOM LPS patient mm.
 * Reference: nifti1.h ("METHOD 1/2/3" for voxel → world), nibabel's `get_best_affine` for
 * the sform-over-qform preference, and its scl_slope handling (0 or NaN slope = no scaling).
 */
import { readFileSync } from 'node:fs';
// node:zlib inflates in C, several times faster than a JavaScript inflater on CT-sized files.
import { gunzipSync } from 'node:zlib';
import type { Vec3, Volume, VoxelArray } from '@/lib/core/volume';
import { affineToGrid, quaternToAffine, type Affine34 } from './affine';
import { NiftiError } from './errors';
import { datatypeName, NIFTI_DATATYPES, parseNiftiHeader, type NiftiHeader } from './header';

/** Where the voxel → patient mapping came from. */
export type AffineSource = 'sform' | 'qform' | 'pixdim';

export interface NiftiInfo {
  version: 1 | 2;
  datatype: string;
  datatypeCode: number;
  affineSource: AffineSource;
  sformCode: number;
  qformCode: number;
  /** The RAS affine actually used (3×4 row-major, mm). */
  affineRas: Affine34;
  /** The slope and intercept applied to the stored values (1 and 0 when none). */
  sclSlope: number;
  sclInter: number;
  intentCode: number;
  description: string;
}

/** A Volume plus what the file said about itself. */
export interface NiftiVolume extends Volume<VoxelArray> {
  nifti: NiftiInfo;
}

export interface ParseNiftiOptions {
  /** Name used in error messages (a path). Default "NIfTI data". */
  source?: string;
  /** Apply scl_slope / scl_inter when set (default true). */
  applyScaling?: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** True when some column of the 3×3 part is all zeros (a set code with an unset matrix). */
function degenerate(affine: Affine34): boolean {
  for (let c = 0; c < 3; c++) if (affine[c] === 0 && affine[4 + c] === 0 && affine[8 + c] === 0) return true;
  return false;
}

function pickAffine(h: NiftiHeader): { affine: Affine34; source: AffineSource } {
  // Some writers set sform_code but leave srow zero; the qform is then the only geometry.
  if (h.sformCode > 0 && !(degenerate(h.srow) && h.qformCode > 0)) return { affine: h.srow.slice(), source: 'sform' };
  const pix: Vec3 = [h.pixdim[1], h.pixdim[2], h.pixdim[3]];
  if (h.qformCode > 0) {
    return {
      affine: quaternToAffine({ b: h.quaternB, c: h.quaternC, d: h.quaternD, qfac: h.pixdim[0] < 0 ? -1 : 1, offset: h.qoffset }, pix),
      source: 'qform',
    };
  }
  // nifti1.h METHOD 1 (ANALYZE compatibility): scaling only, no offset.
  return { affine: [pix[0], 0, 0, 0, 0, pix[1], 0, 0, 0, 0, pix[2], 0], source: 'pixdim' };
}

function readRaw(h: NiftiHeader, bytes: Uint8Array, offset: number, count: number): VoxelArray | Float64Array | Int8Array {
  const dt = NIFTI_DATATYPES[h.datatype];
  const byteLength = count * dt.bytes;
  if (h.littleEndian) {
    // A view needs an aligned offset and memory of its own: large Buffers (a file read or
    // inflated in one piece) own their ArrayBuffer; small ones may share Node's pool, so copy.
    const start = bytes.byteOffset + offset;
    const owned = bytes.buffer.byteLength >= 65536 && start % dt.bytes === 0;
    const buf = owned
      ? bytes.buffer
      : (() => {
          const c = new Uint8Array(byteLength);
          c.set(bytes.subarray(offset, offset + byteLength));
          return c.buffer;
        })();
    const at = owned ? start : 0;
    switch (h.datatype) {
      case 2:
        return new Uint8Array(buf, at, count);
      case 4:
        return new Int16Array(buf, at, count);
      case 8:
        return new Int32Array(buf, at, count);
      case 16:
        return new Float32Array(buf, at, count);
      case 64:
        return new Float64Array(buf, at, count);
      case 256:
        return new Int8Array(buf, at, count);
      case 512:
        return new Uint16Array(buf, at, count);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, byteLength);
  const fill = <T extends { [n: number]: number }>(out: T, get: (o: number) => number): T => {
    for (let n = 0; n < count; n++) out[n] = get(n * dt.bytes);
    return out;
  };
  switch (h.datatype) {
    case 2:
      return fill(new Uint8Array(count), (o) => view.getUint8(o));
    case 4:
      return fill(new Int16Array(count), (o) => view.getInt16(o, false));
    case 8:
      return fill(new Int32Array(count), (o) => view.getInt32(o, false));
    case 16:
      return fill(new Float32Array(count), (o) => view.getFloat32(o, false));
    case 64:
      return fill(new Float64Array(count), (o) => view.getFloat64(o, false));
    case 256:
      return fill(new Int8Array(count), (o) => view.getInt8(o));
    default:
      return fill(new Uint16Array(count), (o) => view.getUint16(o, false));
  }
}

/**
 * Parse NIfTI bytes (.nii, or gzip-compressed .nii.gz: detected from the gzip magic).
 *
 * Geometry: the sform when sform_code > 0 (unless its matrix has a zero column and a qform
 * exists), else the qform when qform_code > 0, else pixdim only (nifti1.h METHOD 1: origin 0, no
 * rotation; nibabel instead centres such images, so do not rely on their position). The RAS
 * affine becomes LPS by negating x and y.
 * Data: uint8, int8, int16, uint16, int32, float32, float64. With a scaling (scl_slope finite and
 * non-zero, not 1/0) the data are Float32Array of stored·slope + inter. Without scaling the
 * native type is kept, except int8 → Int16Array and float64 → Float32Array (our VoxelArray types).
 * Only 3D images are read (2D gives nz = 1; dims 4–7 must be 1).
 * @throws NiftiError NOT_NIFTI, TRUNCATED, UNSUPPORTED_DATATYPE, UNSUPPORTED_DIMENSIONS,
 *   INVALID_GEOMETRY (NaN, zero or — without an sform — negative pixdim of a used dimension, zero
 *   spacing, NaN or sheared affine). Messages name `source`.
 */
export function parseNifti(input: Uint8Array, options: ParseNiftiOptions = {}): NiftiVolume {
  const source = options.source ?? 'NIfTI data';
  let bytes = input;
  if (bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      // The gzip trailer holds the inflated size (mod 2^32): one output chunk of that size
      // saves zlib from gathering many small chunks and copying them together.
      const isize = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
      bytes = gunzipSync(bytes, isize > 1024 ? { chunkSize: Math.min(isize + 64, 0x7fffffff) } : {});
    } catch (err) {
      throw new NiftiError('TRUNCATED', `${source}: gzip data could not be decompressed (${(err as Error).message}); the file is truncated or corrupt.`);
    }
  }
  const h = parseNiftiHeader(bytes, source);
  if (h.magic === 'ni1' || h.magic === 'ni2') {
    throw new NiftiError('NOT_NIFTI', `${source} is a NIfTI header without data (magic "${h.magic}", a .hdr/.img pair); convert it to a single .nii file.`);
  }
  const dt = NIFTI_DATATYPES[h.datatype];
  if (!dt) {
    throw new NiftiError(
      'UNSUPPORTED_DATATYPE',
      `${source}: NIfTI datatype ${datatypeName(h.datatype)} (code ${h.datatype}) is not supported; supported: ${Object.values(NIFTI_DATATYPES)
        .map((d) => d.name)
        .join(', ')}.`,
    );
  }
  const ndim = h.dim[0];
  if (!(ndim >= 1 && ndim <= 7)) {
    throw new NiftiError('NOT_NIFTI', `${source}: dim[0] is ${ndim}, not 1–7; the header is corrupt.`);
  }
  const dims: Vec3 = [1, 1, 1];
  for (let n = 1; n <= ndim; n++) {
    const v = h.dim[n];
    if (!(v >= 1)) {
      throw new NiftiError('NOT_NIFTI', `${source}: dim[${n}] is ${v}; every used dimension must be at least 1.`);
    }
    if (n <= 3) dims[n - 1] = v;
    else if (v !== 1) {
      throw new NiftiError(
        'UNSUPPORTED_DIMENSIONS',
        `${source} is ${h.dim.slice(1, ndim + 1).join('×')}: only 3D images are supported (dimension ${n} has ${v} entries; split 4D files into 3D volumes).`,
      );
    }
  }
  for (let n = 1; n <= 3; n++) {
    if (n <= ndim && !Number.isFinite(h.pixdim[n])) {
      throw new NiftiError('INVALID_GEOMETRY', `${source}: voxel spacing pixdim[${n}] is ${h.pixdim[n]}; check the header.`);
    }
  }
  const { affine, source: affineSource } = pickAffine(h);
  // A voxel size of 0 is never a real geometry; nifti1_io (and so the qform path) would read it,
  // or a negative one, as 1 mm, silently changing every volume and distance. Refuse instead.
  for (let n = 1; n <= Math.min(ndim, 3); n++) {
    const p = h.pixdim[n];
    if (p === 0 || (p < 0 && affineSource !== 'sform')) {
      throw new NiftiError(
        'INVALID_GEOMETRY',
        `${source}: voxel spacing pixdim[${n}] is ${p} (pixdim[1..3] = ${h.pixdim.slice(1, 4).join(', ')}); a voxel size must be greater than 0 mm. Set pixdim[1..3] to the voxel size in mm (e.g. nibabel: img.header.set_zooms(...)) or re-export the image.`,
      );
    }
  }
  const grid = affineToGrid(affine, dims, source);

  const count = dims[0] * dims[1] * dims[2];
  const headerBytes = h.version === 1 ? 352 : 544;
  const offset = h.voxOffset >= headerBytes ? Math.floor(h.voxOffset) : headerBytes;
  const needed = offset + count * dt.bytes;
  if (bytes.length < needed) {
    throw new NiftiError(
      'TRUNCATED',
      `${source} is truncated: ${dims.join('×')} ${dt.name} voxels need ${needed} bytes from the start, the file has ${bytes.length}.`,
    );
  }
  const raw = readRaw(h, bytes, offset, count);

  const slope = h.sclSlope;
  const inter = Number.isFinite(h.sclInter) ? h.sclInter : 0;
  const scaled = (options.applyScaling ?? true) && Number.isFinite(slope) && slope !== 0 && !(slope === 1 && inter === 0);
  let data: VoxelArray;
  if (scaled) {
    const out = new Float32Array(count);
    for (let n = 0; n < count; n++) out[n] = raw[n] * slope + inter;
    data = out;
  } else if (raw instanceof Int8Array) {
    data = Int16Array.from(raw);
  } else if (raw instanceof Float64Array) {
    data = Float32Array.from(raw);
  } else {
    data = raw;
  }
  return {
    grid,
    data,
    nifti: {
      version: h.version,
      datatype: dt.name,
      datatypeCode: h.datatype,
      affineSource,
      sformCode: h.sformCode,
      qformCode: h.qformCode,
      affineRas: affine,
      sclSlope: scaled ? slope : 1,
      sclInter: scaled ? inter : 0,
      intentCode: h.intentCode,
      description: h.description,
    },
  };
}

/**
 * Read a .nii or .nii.gz file. See `parseNifti` for what is supported.
 * @throws NiftiError as parseNifti; NOT_NIFTI (naming the path) when the file cannot be read.
 */
export function readNifti(path: string, options: Omit<ParseNiftiOptions, 'source'> = {}): NiftiVolume {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new NiftiError('INVALID_INPUT', `Cannot read NIfTI file ${path}: ${(err as Error).message}`);
  }
  return parseNifti(bytes, { ...options, source: path });
}
