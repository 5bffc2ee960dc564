/**
 * Real anatomy: TotalSegmentator's two example segmentations of one CT (../shared/data,
 * Apache-2.0), reference = example_seg, test = example_seg_fast, label by label, against scipy.
 * Fixture recipe, from the project root:
 *   /usr/bin/python3 tests/reference/metrics/make-totalsegmentator-fixture.py
 * (scipy.ndimage: mask ^ binary_erosion, distance_transform_edt(sampling=spacing), np.percentile).
 * The 3 mm tolerance equals the voxel size, so surface Dice there also checks that distances
 * equal to the tolerance count as within it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '@/lib/core/metrics';
import { readNifti } from '@/lib/nifti';
import { haveSharedData, referenceSuite, sharedDataPath } from '../../shared-data';

const dir = sharedDataPath('totalsegmentator');
const fixture = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/metrics/totalsegmentator-labels-scipy.json'), 'utf8')) as {
  dims: number[];
  spacingMm: number[];
  cases: {
    label: number;
    referenceVoxels: number;
    testVoxels: number;
    truePositiveVoxels: number;
    dice: number;
    voxel: { hausdorffMm: number; hd95Mm: number; meanSurfaceDistanceMm: number; surfaceDice: Record<string, number> };
  }[];
};

function labelMask(data: ArrayLike<number>, label: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let q = 0; q < data.length; q++) out[q] = data[q] === label ? 1 : 0;
  return out;
}

const rel = (a: number | null, b: number) => Math.abs((a as number) - b) / Math.max(Math.abs(b), 1e-12);

describe.skipIf(!haveSharedData(dir))(referenceSuite(`TotalSegmentator example segmentations vs scipy (needs ${dir})`), () => {
  const ref = existsSync(dir) ? readNifti(resolve(dir, 'example_seg.nii.gz')) : null;
  const test = existsSync(dir) ? readNifti(resolve(dir, 'example_seg_fast.nii.gz')) : null;

  it('grid as in the fixture', () => {
    expect(ref!.grid.dims).toEqual(fixture.dims);
    expect(ref!.grid.spacingMm.map((s) => Number(s.toFixed(6)))).toEqual(fixture.spacingMm);
  });

  for (const c of fixture.cases) {
    it(`label ${c.label}`, () => {
      const a = labelMask(ref!.data, c.label);
      const b = labelMask(test!.data, c.label);
      for (const [tol, expected] of Object.entries(c.voxel.surfaceDice)) {
        const r = computeMetrics({ reference: a, test: b, grid: ref!.grid, toleranceMm: Number(tol), conventions: ['voxel'] });
        expect([r.referenceVoxels, r.testVoxels, r.truePositiveVoxels]).toEqual([c.referenceVoxels, c.testVoxels, c.truePositiveVoxels]);
        expect(rel(r.dice, c.dice)).toBeLessThan(1e-12);
        expect(rel(r.voxel!.hausdorffMm, c.voxel.hausdorffMm)).toBeLessThan(1e-9);
        expect(rel(r.voxel!.hd95Mm, c.voxel.hd95Mm)).toBeLessThan(1e-9);
        expect(rel(r.voxel!.meanSurfaceDistanceMm, c.voxel.meanSurfaceDistanceMm)).toBeLessThan(1e-9);
        expect(rel(r.voxel!.surfaceDice, expected)).toBeLessThan(1e-12);
      }
    });
  }
});
