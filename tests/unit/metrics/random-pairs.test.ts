/**
 * Irregular seeded blob pairs (holes, many components, grid-edge contact, anisotropic spacing),
 * against an independent computation. Fixture recipe, from the project root:
 *   /usr/bin/python3 tests/reference/metrics/make-random-pairs-fixture.py
 * - `voxel`: scipy.ndimage (mask ^ binary_erosion, distance_transform_edt with sampling,
 *   np.percentile) — compared to 1e-9 relative;
 * - plastimatch 1.9.4 `dice --all` (stdout kept in the fixture): Dice and counts only.
 *
 * Known difference, kept visible rather than tested: on these irregular shapes plastimatch's
 * "(boundary)" distances are NOT reproduced by our `plastimatch` convention (which matches it on
 * the smooth shapes of plastimatch.test.ts). Ours vs plastimatch, boundary HD / Percent (0.95):
 *   blobs-aniso-a   3.0806 / 1.4213   vs 2.7 / 1.421267
 *   blobs-aniso-b   4.9000 / 1.1326   vs 4.2 / 1.132624
 *   blobs-iso-holes 3.4641 / 1.4142   vs 3.0 / 1.414214
 *   blobs-edge      4.0000 / 1.8000   vs 4.0 / 1.72111
 *   blobs-sparse   11.8564 / 8.3362   vs 11.856424 / 8.802665
 * scipy's exact EDT agrees with ours (the `voxel` assertions below). plastimatch's boundary HD is
 * sometimes SMALLER than the exact boundary-centre distance, so it is not only the over-estimate
 * of an approximate (Danielsson) map: its distance map also measures to something nearer than
 * the boundary-voxel centres for some voxels (likely its face-based initialisation). Not pinned
 * down; the percentile agrees in 3 of 5 cases.
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

describe('irregular pairs: voxel convention vs scipy, Dice vs plastimatch', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const n = c.dims[0] * c.dims[1] * c.dims[2];
      const reference = unpack(c.reference, n);
      const test = unpack(c.test, n);
      const r = computeMetrics({ reference, test, grid: gridOf(c.dims, c.spacingMm), toleranceMm: fixture.toleranceMm, conventions: ['voxel'] });
      expect([r.referenceVoxels, r.testVoxels, r.truePositiveVoxels]).toEqual([c.referenceVoxels, c.testVoxels, c.truePositiveVoxels]);
      expect(rel(r.dice, c.dice)).toBeLessThan(1e-12);
      expect(rel(r.voxel!.hausdorffMm, c.voxel.hausdorffMm)).toBeLessThan(1e-9);
      expect(rel(r.voxel!.hd95Mm, c.voxel.hd95Mm)).toBeLessThan(1e-9);
      expect(rel(r.voxel!.meanSurfaceDistanceMm, c.voxel.meanSurfaceDistanceMm)).toBeLessThan(1e-9);
      expect(rel(r.voxel!.surfaceDice, c.voxel.surfaceDice)).toBeLessThan(1e-12);
      expect(Math.abs(r.dice! - c.plastimatch.dice)).toBeLessThanOrEqual(6e-7);
    });
  }
});
