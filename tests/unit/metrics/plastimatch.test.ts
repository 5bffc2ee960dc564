/**
 * The `plastimatch` convention against the real `plastimatch dice --all` (Debian plastimatch
 * 1.9.4). Fixture recipe, from the project root:
 *   /usr/bin/python3 tests/reference/metrics/make-plastimatch-fixture.py
 * which rasterises the shapes stored in the fixture (same rule as ./shapes.ts), writes NIfTI
 * masks with nibabel and stores plastimatch's printed output (`stdout`) and the parsed numbers.
 *
 * Cases include a union box spanning the whole image along i (plastimatch then drops the last
 * index, which our convention reproduces) and one reaching only the last slice and column (no
 * drop). plastimatch prints 6 decimals of single-precision values. Its "(boundary)" average uses its
 * default Danielsson distance map, which is not exact for boundary voxels deep inside the
 * other structure, so that one comparison is to 0.1 %; Dice, HD and the percentile HD are
 * compared to the printed precision.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '@/lib/core/metrics';
import { gridOf, rasterise, type Shape } from './shapes';

interface Fixture {
  plastimatchVersion: string;
  cases: {
    name: string;
    dims: number[];
    spacingMm: number[];
    reference: Shape[];
    test: Shape[];
    plastimatch: Record<string, number>;
  }[];
}

const fixture = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/metrics/plastimatch-dice-all.json'), 'utf8')) as Fixture;

describe(`plastimatch convention vs plastimatch ${fixture.plastimatchVersion} dice --all`, () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const grid = gridOf(c.dims, c.spacingMm);
      const reference = rasterise(c.dims, c.spacingMm, c.reference);
      const test = rasterise(c.dims, c.spacingMm, c.test);
      const r = computeMetrics({ reference, test, grid, conventions: ['plastimatch'] });
      const p = c.plastimatch;
      expect(r.truePositiveVoxels).toBe(p.truePositiveVoxels);
      expect(r.falsePositiveVoxels).toBe(p.falsePositiveVoxels);
      expect(r.falseNegativeVoxels).toBe(p.falseNegativeVoxels);
      expect(Math.abs(r.dice! - p.dice)).toBeLessThanOrEqual(6e-7);
      expect(Math.abs(r.plastimatch!.hausdorffMm! - p.boundaryHausdorffMm)).toBeLessThanOrEqual(2e-6 * Math.max(1, p.boundaryHausdorffMm));
      expect(Math.abs(r.plastimatch!.percentHausdorffMm! - p.boundaryPercentHausdorffMm)).toBeLessThanOrEqual(2e-6 * Math.max(1, p.boundaryPercentHausdorffMm));
      const avg = r.plastimatch!.averageHausdorffMm!;
      expect(Math.abs(avg - p.boundaryAvgAverageHausdorffMm) / p.boundaryAvgAverageHausdorffMm).toBeLessThanOrEqual(1e-3);
    });
  }
});
