/**
 * Read a NIfTI mask or label map as a binary mask. The metrics CLI contract (docs/cli.md): with a
 * label, voxel == label is the structure; without, any voxel > 0, and the file must be binary.
 */
import type { Mask } from '@/lib/core/volume';
import { NiftiError } from './errors';
import { parseNifti, readNifti, type NiftiVolume } from './read-nifti';

export interface ReadMaskOptions {
  /** Voxels equal to this value are the structure. Without it the file must be binary. */
  label?: number;
}

function distinctValues(data: ArrayLike<number>, limit: number): number[] {
  const seen = new Set<number>();
  for (let n = 0; n < data.length && seen.size <= limit; n++) seen.add(data[n]);
  return [...seen].sort((a, b) => a - b);
}

/**
 * Binary mask (1 inside, 0 outside) from a decoded NIfTI volume. `source` names it in errors.
 * Binary means: values are 0 plus at most one positive value (0/1 and 0/255 both pass).
 * @throws NiftiError NON_BINARY_MASK listing the distinct values found (first 10) when no label
 *   is given and the data is not binary; INVALID_INPUT for a non-finite label.
 */
export function volumeToMask(volume: NiftiVolume, source: string, options: ReadMaskOptions = {}): Mask {
  return toMask(volume, source, options, undefined);
}

/**
 * The one non-zero value of data[lo, hi) (0 when all zero), or −1 when there are two different
 * ones or a negative one. uint8 masks are mostly zeros: whole zero words are skipped through a
 * 32-bit view, and only the bytes of non-zero words (and an unaligned head and tail) are read.
 */
function binaryValue(data: ArrayLike<number>, lo: number, hi: number): number {
  let inside = 0;
  let n = lo;
  let end = hi;
  const words = data instanceof Uint8Array && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
  const w1 = hi >> 2;
  for (;;) {
    if (words) {
      // A tight loop over the 32-bit words: whole zero words are skipped four voxels at a time;
      // the bytes of the next non-zero word (or the unaligned head and tail) are checked below.
      let w = (n + 3) >> 2;
      if (n === w << 2) {
        while (w < w1 && words[w] === 0) w++;
        n = Math.min(w << 2, hi);
        end = Math.min(n + 4, hi);
      } else end = Math.min(w << 2, hi);
    }
    if (n >= hi) return inside;
    for (; n < end; n++) {
      const v = data[n]!;
      if (v === 0) continue;
      if (inside === 0 && v > 0) inside = v;
      if (v !== inside) return -1;
    }
  }
}

/**
 * The slices (third index, inclusive range) of a uint8 volume that hold a non-zero byte, found by
 * comparing each slice with a zero slice natively (memcmp), from both ends, so that no JavaScript
 * loop visits the empty slices; null when the volume is all zero.
 */
export function occupiedSlices(data: Uint8Array, dims: readonly number[]): [number, number] | null {
  const plane = dims[0]! * dims[1]!;
  const nz = dims[2]!;
  if (plane === 0 || data.length < plane * nz) return null;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.length);
  const zero = Buffer.alloc(plane);
  const empty = (k: number) => bytes.compare(zero, 0, plane, k * plane, (k + 1) * plane) === 0;
  let k0 = 0;
  while (k0 < nz && empty(k0)) k0++;
  if (k0 === nz) return null;
  let k1 = nz - 1;
  while (empty(k1)) k1--;
  return [k0, k1];
}

/** A mask with the slices that hold its voxels (null: none), see `parseMaskAndSlices`. */
export interface MaskAndSlices extends Mask {
  slices: [number, number] | null;
}

/**
 * As `parseMask`, plus the range of slices holding the structure. For a uint8 file without a
 * label, the range is found natively first (occupiedSlices) and the binary check reads only those
 * slices; otherwise it is read off the mask. For the metrics CLI, whose overlap pass then skips
 * the empty slices (computeMetrics' `slices`).
 */
export function parseMaskAndSlices(bytes: Uint8Array, source: string, options: ReadMaskOptions = {}): MaskAndSlices {
  const volume = parseNifti(bytes, { source });
  const native = options.label === undefined && volume.data instanceof Uint8Array;
  const slices = native ? occupiedSlices(volume.data as Uint8Array, volume.grid.dims) : undefined;
  const mask = toMask(volume, source, options, slices);
  return { ...mask, slices: slices !== undefined ? slices : occupiedSlices(mask.data, mask.grid.dims) };
}

/** volumeToMask; `slices`: the binary check reads only these slices (null: the volume is all zero). */
function toMask(volume: NiftiVolume, source: string, options: ReadMaskOptions, slices: [number, number] | null | undefined): Mask {
  const { data } = volume;
  if (options.label !== undefined) {
    const out = new Uint8Array(data.length);
    const label = options.label;
    if (!Number.isFinite(label)) {
      throw new NiftiError('INVALID_INPUT', `Label ${label} for ${source} is not a number.`);
    }
    for (let n = 0; n < data.length; n++) out[n] = data[n] === label ? 1 : 0;
    return { grid: volume.grid, data: out };
  }
  // One pass over the voxels (masks are tens of millions of voxels), or over the slices `slices`
  // when the caller knows the rest is zero: remember the first non-zero value and stop at a
  // second, different one. Listing the values is for the error only.
  const plane = volume.grid.dims[0] * volume.grid.dims[1];
  const inside = slices === null ? 0 : binaryValue(data, slices ? slices[0] * plane : 0, slices ? (slices[1] + 1) * plane : data.length);
  const binary = inside >= 0;
  if (!binary) {
    const values = distinctValues(data, 10);
    const shown = values.length > 10 ? `${values.slice(0, 10).join(', ')}, …` : values.join(', ');
    throw new NiftiError(
      'NON_BINARY_MASK',
      `${source} is not a binary mask: it holds the values ${shown}. Pass a label to pick one structure from a label map.`,
    );
  }
  // A 0/1 uint8 file is already our mask: no second 50 MB array to allocate and fault in.
  if (data instanceof Uint8Array && inside <= 1) return { grid: volume.grid, data };
  const out = new Uint8Array(data.length);
  for (let n = 0; n < data.length; n++) if (data[n] !== 0) out[n] = 1;
  return { grid: volume.grid, data: out };
}

/** Read a .nii/.nii.gz mask file; see `volumeToMask`. Scaling (scl_slope) is applied first. */
export function readMask(path: string, options: ReadMaskOptions = {}): Mask {
  return volumeToMask(readNifti(path), path, options);
}

/** As `readMask`, from bytes. */
export function parseMask(bytes: Uint8Array, source: string, options: ReadMaskOptions = {}): Mask {
  return volumeToMask(parseNifti(bytes, { source }), source, options);
}
