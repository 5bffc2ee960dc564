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
  // One pass over the voxels (masks are tens of millions of voxels): remember the first
  // non-zero value and stop at a second, different one. Listing the values is for the error only.
  let inside = 0;
  let binary = true;
  // uint8 masks are mostly zeros: skip them four voxels at a time through a 32-bit view (a
  // tight loop over the words; the bytes of a non-zero word and the tail go through the check).
  const words = data instanceof Uint8Array && data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
  let w = 0;
  for (let n = 0; n < data.length; n++) {
    if (words && n >> 2 === w && w < words.length) {
      while (w < words.length && words[w] === 0) w++;
      n = w << 2;
      w++;
      if (n >= data.length) break;
    }
    const v = data[n];
    if (v === 0) continue;
    if (inside === 0 && v > 0) inside = v;
    if (v !== inside) {
      binary = false;
      break;
    }
  }
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
