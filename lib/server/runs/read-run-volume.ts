/**
 * A volume (CT or mask) of a run, read from the volume store. A volume that cannot be read fails
 * the run with RunError VOLUME_UNREADABLE, naming it and the store's folder.
 */
import type { VolumeStore } from '../storage/volume-store';
import { parseNifti } from '../../nifti';
import { binaryMaskData, type Mask, type Volume, type VoxelArray } from '../../core/volume';
import { RunError } from './run-error';

export async function readRunVolume({ store, key, what }: { store: VolumeStore; key: string; what: string }): Promise<Volume<VoxelArray>> {
  try {
    return parseNifti(await store.getVolume(key), { source: what });
  } catch (e) {
    throw new RunError(
      'VOLUME_UNREADABLE',
      `Cannot read ${what} (${key}) from the volume store at ${store.root}: ${(e as Error).message}. On a worker of another machine, check that ISEG_VOLUME_DIR points at the shared directory.`,
    );
  }
}

/** A stored mask as 0/1 voxels. */
export async function readRunMask(o: { store: VolumeStore; key: string; what: string }): Promise<Mask> {
  const v = await readRunVolume(o);
  return { grid: v.grid, data: binaryMaskData(v.data) };
}
