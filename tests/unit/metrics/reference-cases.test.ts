/**
 * Every analytic case in ../shared/reference/surface-metric-cases.json, whose values come from
 * MONAI (voxel convention, with spacing) and google-deepmind/surface-distance (surfel
 * convention) on the same masks. The shapes are rasterised by ./shapes.ts; the voxel counts
 * check that rasterisation before any distance is compared.
 * Recipe: tests/reference/metrics/make-surface-metric-cases.py (`--generate` with MONAI and
 * surface-distance; `--check-voxel-with-scipy FILE` re-derives the voxel half with scipy alone).
 */
import { existsSync, readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';
import { computeMetrics } from '@/lib/core/metrics';
import { gridOf, rasterise, type Shape } from './shapes';
import { haveSharedData, referenceSuite, sharedReferencePath } from '../../shared-data';

const file = sharedReferencePath('surface-metric-cases.json');

interface Case {
  name: string;
  dims: number[];
  spacingMm: number[];
  reference: Shape[];
  test: Shape[];
  referenceVoxels: number;
  testVoxels: number;
  truePositiveVoxels: number;
  falsePositiveVoxels: number;
  falseNegativeVoxels: number;
  dice: number;
  voxel: { hausdorffMm: number; hd95Mm: number; meanSurfaceDistanceMm: number; surfaceDice: number };
  surfel: { hausdorffMm: number; hd95Mm: number; averageSurfaceDistanceMm: [number, number]; surfaceDice: number };
}

function expectRel(actual: number | null, expected: number, tol = 1e-6) {
  expect(actual).not.toBeNull();
  const scale = Math.max(Math.abs(expected), 1e-12);
  expect(Math.abs((actual as number) - expected) / scale, `got ${actual}, expected ${expected}`).toBeLessThanOrEqual(tol);
}

describe.skipIf(!haveSharedData(file))(referenceSuite(`surface-metric reference cases (${file}; skipped when ../shared/reference is absent)`), () => {
  const data = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { toleranceMm: number; cases: Case[] }) : { toleranceMm: 2, cases: [] };

  it('has cases', () => {
    expect(data.cases.length).toBeGreaterThanOrEqual(8);
  });

  for (const c of data.cases) {
    it(c.name, () => {
      const grid = gridOf(c.dims, c.spacingMm);
      const reference = rasterise(c.dims, c.spacingMm, c.reference);
      const test = rasterise(c.dims, c.spacingMm, c.test);
      const r = computeMetrics({ reference, test, grid, toleranceMm: data.toleranceMm, conventions: ['voxel', 'surfel'] });
      expect([r.referenceVoxels, r.testVoxels, r.truePositiveVoxels, r.falsePositiveVoxels, r.falseNegativeVoxels]).toEqual([
        c.referenceVoxels,
        c.testVoxels,
        c.truePositiveVoxels,
        c.falsePositiveVoxels,
        c.falseNegativeVoxels,
      ]);
      expectRel(r.dice, c.dice, 1e-12);
      expectRel(r.voxel!.hausdorffMm, c.voxel.hausdorffMm);
      expectRel(r.voxel!.hd95Mm, c.voxel.hd95Mm);
      expectRel(r.voxel!.meanSurfaceDistanceMm, c.voxel.meanSurfaceDistanceMm);
      expectRel(r.voxel!.surfaceDice, c.voxel.surfaceDice);
      expectRel(r.surfel!.hausdorffMm, c.surfel.hausdorffMm);
      expectRel(r.surfel!.hd95Mm, c.surfel.hd95Mm);
      // surface-distance gives 0.0 when every surfel lies on the other surface.
      for (const n of [0, 1] as const) {
        const e = c.surfel.averageSurfaceDistanceMm[n];
        if (e === 0) expect(r.surfel!.averageSurfaceDistanceMm[n]).toBe(0);
        else expectRel(r.surfel!.averageSurfaceDistanceMm[n], e);
      }
      expectRel(r.surfel!.surfaceDice, c.surfel.surfaceDice);
      expect(r.nullReasons).toEqual({});
    });
  }
});
