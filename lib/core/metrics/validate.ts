import { describeGrid, sameGrid, voxelCount, type Grid } from '@/lib/core/volume';
import { MetricsError } from './errors';

/**
 * Check that a grid has positive integer dims, finite positive spacing and a finite origin and
 * direction.
 * @throws MetricsError INVALID_INPUT naming `name` and the bad field.
 */
export function validateGrid(grid: Grid, name = 'grid'): void {
  if (!grid || !Array.isArray(grid.dims) || grid.dims.length !== 3) {
    throw new MetricsError('INVALID_INPUT', `${name}: dims must be [nx, ny, nz]`);
  }
  for (const n of [0, 1, 2] as const) {
    const d = grid.dims[n];
    if (!Number.isInteger(d) || d <= 0) {
      throw new MetricsError('INVALID_INPUT', `${name}: dims[${n}] is ${d}; every dimension must be a positive integer`);
    }
    const s = grid.spacingMm?.[n];
    if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) {
      throw new MetricsError(
        'INVALID_INPUT',
        `${name}: spacingMm[${n}] is ${s}; spacing must be a finite positive number of mm (check the image header's pixdim / PixelSpacing and slice spacing)`,
      );
    }
    const o = grid.originMm?.[n];
    if (typeof o !== 'number' || !Number.isFinite(o)) {
      throw new MetricsError('INVALID_INPUT', `${name}: originMm[${n}] is ${o}; it must be finite`);
    }
  }
  if (!grid.direction || grid.direction.length !== 9 || grid.direction.some((v) => !Number.isFinite(v))) {
    throw new MetricsError('INVALID_INPUT', `${name}: direction must be 9 finite numbers (row-major 3×3)`);
  }
}

/**
 * Check a (reference, test) mask pair: both Uint8Array with one entry per voxel of `grid`.
 * @throws MetricsError INVALID_INPUT with both shapes when lengths disagree.
 */
export function validateMaskPair(reference: Uint8Array, test: Uint8Array, grid: Grid): void {
  validateGrid(grid);
  const n = voxelCount(grid);
  if (!(reference instanceof Uint8Array)) throw new MetricsError('INVALID_INPUT', 'Reference mask must be a Uint8Array');
  if (!(test instanceof Uint8Array)) throw new MetricsError('INVALID_INPUT', 'Test mask must be a Uint8Array');
  if (reference.length !== n || test.length !== n) {
    throw new MetricsError(
      'INVALID_INPUT',
      `Reference mask has ${reference.length} voxels and test mask has ${test.length}, but the grid ${describeGrid(grid)} has ${n}: were both rasterised on this grid?`,
    );
  }
}

/**
 * Check that the reference and test grids describe the same voxels.
 * @throws MetricsError INVALID_INPUT naming both shapes and spacings.
 */
export function assertSameGrid(reference: Grid, test: Grid): void {
  validateGrid(reference, 'Reference grid');
  validateGrid(test, 'Test grid');
  if (!sameGrid(reference, test)) {
    const extra =
      reference.dims.join() === test.dims.join() && reference.spacingMm.join() === test.spacingMm.join()
        ? ` (origins ${fmt(reference.originMm)} vs ${fmt(test.originMm)} mm, or directions differ)`
        : '';
    throw new MetricsError(
      'INVALID_INPUT',
      `Reference mask is ${describeGrid(reference)} but test mask is ${describeGrid(test)}${extra}: were both rasterised on the same CT series?`,
    );
  }
}

function fmt(v: number[]): string {
  return `[${v.map((x) => Number(x.toFixed(3))).join(', ')}]`;
}
