/**
 * Write a `Volume` as a single-file NIfTI-1 image (.nii, or .nii.gz when the path ends in .gz).
 * Both sform and qform carry the affine (codes 1, scanner anatomical), so readers that prefer
 * either (nibabel, ITK, FSL) agree. Reference: nifti1.h.
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'fflate';
import type { Volume, VoxelArray } from '@/lib/core/volume';
import { gridToAffine, gridToQuaternion } from './affine';
import { NiftiError } from './errors';

export interface WriteNiftiOptions {
  /**
   * 'mask': stored as uint8 with intent NIFTI_INTENT_LABEL; every value must be an integer 0–255.
   * 'image' (default): stored in the data's own type (uint8, int16, uint16, int32 or float32).
   */
  intent?: 'mask' | 'image';
  /** Header description (at most 79 ASCII characters). */
  description?: string;
}

const DATATYPE_OF: [new (n: number) => VoxelArray, number, number][] = [
  [Uint8Array, 2, 8],
  [Int16Array, 4, 16],
  [Int32Array, 8, 32],
  [Float32Array, 16, 32],
  [Uint16Array, 512, 16],
];

/**
 * Encode a volume as NIfTI-1 bytes (uncompressed; pass `gzip: true` for .nii.gz bytes, with the
 * gzip timestamp zeroed so equal volumes give equal bytes).
 * @throws NiftiError INVALID_INPUT when data length and dims disagree, geometry is not finite,
 *   or a mask holds values outside 0–255 integers.
 */
export function encodeNifti(volume: Volume<VoxelArray>, options: WriteNiftiOptions & { gzip?: boolean } = {}): Uint8Array {
  const { header, voxels } = encodeNiftiParts(volume, options);
  const out = new Uint8Array(header.length + voxels.length);
  out.set(header);
  out.set(voxels, header.length);
  if (!options.gzip) return out;
  const gz = gzipSync(out, { level: 6 });
  // Zero the MTIME field (RFC 1952 §2.3.1) so output depends only on the volume.
  gz[4] = gz[5] = gz[6] = gz[7] = 0;
  return gz;
}

/**
 * The NIfTI-1 file in two parts, header (352 bytes, no extensions) then voxels, without copying
 * the voxels (`voxels` is a view of the volume's data, or of the uint8 copy of a non-uint8 mask):
 * `header` followed by `voxels` is exactly `encodeNifti(volume, options)`. For writers that hash
 * and compress large volumes piece by piece. @throws NiftiError as encodeNifti.
 */
export function encodeNiftiParts(volume: Volume<VoxelArray>, options: WriteNiftiOptions = {}): { header: Uint8Array; voxels: Uint8Array } {
  const { grid } = volume;
  const [nx, ny, nz] = grid.dims;
  const count = nx * ny * nz;
  if (volume.data.length !== count) {
    throw new NiftiError(
      'INVALID_INPUT',
      `Cannot write NIfTI: the grid is ${grid.dims.join('×')} (${count} voxels) but the data has ${volume.data.length} values.`,
    );
  }
  const geometry = [...grid.spacingMm, ...grid.originMm, ...grid.direction];
  if (geometry.some((v) => !Number.isFinite(v)) || grid.spacingMm.some((s) => s <= 0)) {
    throw new NiftiError('INVALID_INPUT', `Cannot write NIfTI: the grid geometry has non-finite or non-positive values (${geometry.join(', ')}).`);
  }
  let data: VoxelArray = volume.data;
  if (options.intent === 'mask' && !(data instanceof Uint8Array)) {
    const out = new Uint8Array(count);
    for (let n = 0; n < count; n++) {
      const v = data[n];
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new NiftiError('INVALID_INPUT', `Cannot write a NIfTI mask: voxel ${n} is ${v}; mask values must be integers 0–255.`);
      }
      out[n] = v;
    }
    data = out;
  }
  const entry = DATATYPE_OF.find(([ctor]) => data instanceof ctor);
  if (!entry) throw new NiftiError('INVALID_INPUT', 'Cannot write NIfTI: unsupported voxel array type.');
  const [, datatype, bitpix] = entry;

  const voxOffset = 352;
  const dataBytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(voxOffset);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, true);
  out[38] = 'r'.charCodeAt(0);
  const dim = [3, nx, ny, nz, 1, 1, 1, 1];
  dim.forEach((d, n) => v.setInt16(40 + 2 * n, d, true));
  v.setInt16(68, options.intent === 'mask' ? 1002 : 0, true);
  v.setInt16(70, datatype, true);
  v.setInt16(72, bitpix, true);
  const q = gridToQuaternion(grid);
  const pixdim = [q.qfac, ...grid.spacingMm, 0, 0, 0, 0];
  pixdim.forEach((p, n) => v.setFloat32(76 + 4 * n, p, true));
  v.setFloat32(108, voxOffset, true);
  v.setFloat32(112, 1, true);
  v.setFloat32(116, 0, true);
  out[123] = 2; // xyzt_units: NIFTI_UNITS_MM
  const descrip = (options.description ?? 'iseg-qa').slice(0, 79);
  for (let n = 0; n < descrip.length; n++) out[148 + n] = descrip.charCodeAt(n) & 0x7f;
  v.setInt16(252, 1, true); // qform_code NIFTI_XFORM_SCANNER_ANAT
  v.setInt16(254, 1, true); // sform_code
  v.setFloat32(256, q.b, true);
  v.setFloat32(260, q.c, true);
  v.setFloat32(264, q.d, true);
  q.offset.forEach((o, n) => v.setFloat32(268 + 4 * n, o, true));
  gridToAffine(grid).forEach((a, n) => v.setFloat32(280 + 4 * n, a, true));
  out.set([0x6e, 0x2b, 0x31, 0], 344); // "n+1\0"
  // bytes 348..351: no extensions
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new NiftiError('INVALID_INPUT', 'Cannot write NIfTI on a big-endian host.');
  return { header: out, voxels: dataBytes };
}

/**
 * Write a volume to `path` as NIfTI-1; gzip-compressed when the path ends with ".gz".
 * @throws NiftiError as encodeNifti; INVALID_INPUT naming the path when it cannot be written.
 */
export function writeNifti(path: string, volume: Volume<VoxelArray>, options: WriteNiftiOptions = {}): void {
  const bytes = encodeNifti(volume, { ...options, gzip: path.toLowerCase().endsWith('.gz') });
  try {
    writeFileSync(path, bytes);
  } catch (err) {
    throw new NiftiError('INVALID_INPUT', `Cannot write NIfTI file ${path}: ${(err as Error).message}`);
  }
}
