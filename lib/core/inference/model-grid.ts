import { type Grid, type Vec3 } from '@/lib/core/volume';
import { InferenceError } from './errors';

/**
 * The model grid for a CT grid: same origin (centre of voxel 0,0,0) and direction, spacing
 * `targetSpacingMm`, and dims = ceil(extent / spacing) per axis, where extent = n × s is the
 * field of view the CT's voxels cover. The model grid therefore covers the whole CT; its last
 * voxel centres may lie up to one target voxel beyond the CT's last voxel centre (resampling
 * clamps there).
 * @param grid the native CT grid.
 * @param targetSpacingMm [x, y, z] mm, along the grid's i, j, k axes.
 * @throws InferenceError('INVALID_INPUT') for a non-positive or non-finite spacing or dims.
 */
export function modelGridFor(grid: Grid, targetSpacingMm: Vec3): Grid {
  const dims: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const s = targetSpacingMm[a];
    const n = grid.dims[a];
    const sn = grid.spacingMm[a];
    if (!(Number.isFinite(s) && s > 0)) throw new InferenceError('INVALID_INPUT', `Target spacing [${targetSpacingMm.join(', ')}] mm: axis ${a} must be a positive number; check the manifest's targetSpacingMm.`);
    if (!(Number.isInteger(n) && n > 0) || !(Number.isFinite(sn) && sn > 0)) throw new InferenceError('INVALID_INPUT', `CT grid ${grid.dims.join('×')} at ${grid.spacingMm.join('×')} mm: axis ${a} needs a positive size and spacing.`);
    // A relative epsilon keeps e.g. 100 × 1.5 / 1.5 from becoming 101 through rounding.
    dims[a] = Math.max(1, Math.ceil((n * sn) / s - 1e-9));
  }
  return { dims, spacingMm: [...targetSpacingMm] as Vec3, originMm: [...grid.originMm] as Vec3, direction: [...grid.direction] };
}
