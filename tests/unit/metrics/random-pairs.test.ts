/**
 * Irregular seeded blob pairs (holes, many components, grid-edge contact, anisotropic spacing),
 * against an independent computation. Fixture recipe, from the project root:
 *   /usr/bin/python3 tests/reference/metrics/make-random-pairs-fixture.py
 * - `voxel`: scipy.ndimage (mask ^ binary_erosion, distance_transform_edt with sampling,
 *   np.percentile) — compared to 1e-9 relative;
 * - `plastimatch`: plastimatch 1.9.4 `dice --all` (stdout kept in the fixture). These blobs span
 *   the whole image along every axis, where plastimatch's crop drops the last index before its
 *   boundary distances (see plastimatchDistances in lib/core/metrics/compute-metrics.ts); without that
 *   the boundary HD would differ, e.g. 3.0806 vs 2.7 mm on blobs-aniso-a. Dice, boundary HD and
 *   Percent (0.95) are compared to plastimatch's printed 6 decimals; its boundary average to
 *   0.1 %, since its default Danielsson map is approximate inside structures.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeMetrics } from '@/lib/core/metrics';
import { gridOf } from './shapes';

interface Fixture {
  toleranceMm: number;
  cases: {
    name: string;
    dims: number[];
    spacingMm: number[];
    reference: string;
    test: string;
    referenceVoxels: number;
    testVoxels: number;
    truePositiveVoxels: number;
    dice: number;
    voxel: { hausdorffMm: number; hd95Mm: number; meanSurfaceDistanceMm: number; surfaceDice: number };
    plastimatch: { dice: number; boundaryHausdorffMm: number; boundaryAvgAverageHausdorffMm: number; boundaryPercentHausdorffMm: number };
  }[];
}

const fixture = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/metrics/random-pairs-scipy.json'), 'utf8')) as Fixture;

/** np.packbits (most significant bit first) back to one byte per voxel. */
function unpack(b64: string, n: number): Uint8Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Uint8Array(n);
  for (let q = 0; q < n; q++) out[q] = (bytes[q >> 3] >> (7 - (q & 7))) & 1;
  return out;
}

const rel = (a: number | null, b: number) => Math.abs((a as number) - b) / Math.max(Math.abs(b), 1e-12);

describe('irregular pairs: voxel convention vs scipy, plastimatch convention vs plastimatch', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const n = c.dims[0] * c.dims[1] * c.dims[2];
      const reference = unpack(c.reference, n);
      const test = unpack(c.test, n);
      const r = computeMetrics({ reference, test, grid: gridOf(c.dims, c.spacingMm), toleranceMm: fixture.toleranceMm, conventions: ['voxel', 'plastimatch'] });
      expect([r.referenceVoxels, r.testVoxels, r.truePositiveVoxels]).toEqual([c.referenceVoxels, c.testVoxels, c.truePositiveVoxels]);
      expect(rel(r.dice, c.dice)).toBeLessThan(1e-12);
      expect(rel(r.voxel!.hausdorffMm, c.voxel.hausdorffMm)).toBeLessThan(1e-9);
      expect(rel(r.voxel!.hd95Mm, c.voxel.hd95Mm)).toBeLessThan(1e-9);
      expect(rel(r.voxel!.meanSurfaceDistanceMm, c.voxel.meanSurfaceDistanceMm)).toBeLessThan(1e-9);
      expect(rel(r.voxel!.surfaceDice, c.voxel.surfaceDice)).toBeLessThan(1e-12);
      const p = c.plastimatch;
      expect(Math.abs(r.dice! - p.dice)).toBeLessThanOrEqual(6e-7);
      expect(Math.abs(r.plastimatch!.hausdorffMm! - p.boundaryHausdorffMm)).toBeLessThanOrEqual(2e-6 * Math.max(1, p.boundaryHausdorffMm));
      expect(Math.abs(r.plastimatch!.percentHausdorffMm! - p.boundaryPercentHausdorffMm)).toBeLessThanOrEqual(2e-6 * Math.max(1, p.boundaryPercentHausdorffMm));
      expect(rel(r.plastimatch!.averageHausdorffMm, p.boundaryAvgAverageHausdorffMm)).toBeLessThan(1e-3);
    });
  }
});
