import { type Grid, type Vec3, indexToPatientMm } from '@/lib/core/volume';

/**
 * Centroid (patient mm, LPS) of the non-zero voxels of a mask: the mean voxel index mapped
 * through the grid (lib/core/volume.ts conventions). Null for an empty mask.
 * @throws RangeError when the mask length does not match the grid.
 */
export function maskCentroidMm(mask: ArrayLike<number>, grid: Grid): Vec3 | null {
  const [nx, ny, nz] = grid.dims;
  if (mask.length !== nx * ny * nz) throw new RangeError(`The mask has ${mask.length} voxels but its grid ${grid.dims.join('×')} needs ${nx * ny * nz}.`);
  let n = 0,
    si = 0,
    sj = 0,
    sk = 0;
  for (let k = 0, q = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, q++)
        if (mask[q] !== 0) {
          n++;
          si += i;
          sj += j;
          sk += k;
        }
  return n ? indexToPatientMm(grid, si / n, sj / n, sk / n) : null;
}
