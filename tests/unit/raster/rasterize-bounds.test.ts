/**
 * rasterizeContours' report.bounds (the index box of the voxels it set, which the dose sampler
 * reads instead of the whole grid) is the bounding box of the mask: for rings on several slices,
 * a hole (even–odd), a contour partly outside the grid (clipped), and an empty result.
 */
import { describe, expect, it } from 'vitest';
import { rasterizeContours, type PlanarContourMm } from '@/lib/core/raster/rasterize-contours';
import { type Grid, IDENTITY_DIRECTION } from '@/lib/core/volume';

const grid: Grid = { dims: [40, 30, 12], spacingMm: [1.5, 2, 3], originMm: [-30, -25, -15], direction: IDENTITY_DIRECTION };

function ring(cx: number, cy: number, r: number, z: number, n = 40): PlanarContourMm {
  const pointsMm: number[] = [];
  for (let t = 0; t < n; t++) pointsMm.push(cx + r * Math.cos((2 * Math.PI * t) / n), cy + r * Math.sin((2 * Math.PI * t) / n), z);
  return { pointsMm };
}

function scannedBounds(data: Uint8Array): { min: number[]; max: number[] } | null {
  const [nx, ny, nz] = grid.dims;
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        if (data[i + nx * (j + ny * k)]) {
          [i, j, k].forEach((v, a) => {
            min[a] = Math.min(min[a]!, v);
            max[a] = Math.max(max[a]!, v);
          });
        }
  return min[0] === Infinity ? null : { min, max };
}

describe('rasterizeContours report.bounds', () => {
  it('is the bounding box of the voxels set', () => {
    const cases: PlanarContourMm[][] = [
      [ring(0, 0, 8, -6), ring(2, -1, 10, -3), ring(-3, 4, 5, 3)],
      // A hole on one slice (the inner ring XOR the outer), and a ring partly outside the grid.
      [ring(0, 0, 12, 0), ring(0, 0, 5, 0), ring(-28, 30, 9, 9)],
      // One small ring between voxel centres: nothing set.
      [ring(-29.2, -24.5, 0.2, -15)],
    ];
    for (const contours of cases) {
      const { mask, report } = rasterizeContours(grid, contours);
      expect(report.bounds).toEqual(scannedBounds(mask.data));
    }
    expect(rasterizeContours(grid, cases[0]!).report.bounds).not.toBeNull();
    expect(rasterizeContours(grid, cases[2]!).report.bounds).toBeNull();
  });
});
