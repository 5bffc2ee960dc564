/**
 * One volume of a study as the viewer receives it (CT phase, mask or dose grid): the shape the
 * volume routes serve, shared by lib/server/studies and lib/server/dose without one importing the
 * other.
 */
import type { Grid } from '../volume';
import type { VoxelBox } from './render-slice';

export interface StudyVolume {
  grid: Grid;
  dataType: 'int16' | 'uint8' | 'float32';
  /** Little-endian voxel bytes in lib/core/volume index order. */
  bytes: Uint8Array;
  /** sha256 of the stored file (an ETag: stored volumes never change). */
  sha256: string;
  /** Masks: inclusive voxel box of the non-zero voxels (null when empty), so the viewer need not scan. */
  box?: VoxelBox | null;
}
