import { describe, expect, it } from 'vitest';
import { findDiscordanceRegions } from '@/lib/core/metrics';
import { gridOf, rasterise } from './shapes';

/** Brute force: 26-connected components by repeated flood over a voxel list, and distances. */
function bruteRegions(a: Uint8Array, b: Uint8Array, dims: number[], sp: number[]) {
  const [nx, ny] = dims;
  const pts: number[][] = [];
  const bPts: number[][] = [];
  for (let q = 0; q < a.length; q++) {
    const ijk = [q % nx, Math.floor(q / nx) % ny, Math.floor(q / (nx * ny))];
    if (a[q] && !b[q]) pts.push(ijk);
    if (b[q]) bPts.push(ijk);
  }
  const label = new Array(pts.length).fill(-1);
  const comps: number[][][] = [];
  for (let s = 0; s < pts.length; s++) {
    if (label[s] >= 0) continue;
    const comp = [pts[s]];
    label[s] = comps.length;
    for (let h = 0; h < comp.length; h++) {
      for (let t = 0; t < pts.length; t++) {
        if (label[t] >= 0) continue;
        if (pts[t].every((v, ax) => Math.abs(v - comp[h][ax]) <= 1)) {
          label[t] = comps.length;
          comp.push(pts[t]);
        }
      }
    }
    comps.push(comp);
  }
  return comps
    .map((c) => {
      const d = c.map((p) => Math.min(...bPts.map((q) => Math.hypot(...p.map((v, ax) => (v - q[ax]) * sp[ax])))));
      return {
        n: c.length,
        max: Math.max(...d),
        mean: d.reduce((x, y) => x + y, 0) / d.length,
        kLo: Math.min(...c.map((p) => p[2])),
        kHi: Math.max(...c.map((p) => p[2])),
      };
    })
    .sort((x, y) => y.n - x.n);
}

describe('findDiscordanceRegions', () => {
  it('a far false-positive blob and a shifted sphere, against brute force (anisotropic)', () => {
    const dims = [40, 30, 16];
    const sp = [0.98, 1.2, 3];
    const reference = rasterise(dims, sp, [{ type: 'sphere', centreMm: [12, 15, 22], radiusMm: 7 }]);
    const test = rasterise(dims, sp, [
      { type: 'sphere', centreMm: [13.5, 15, 22], radiusMm: 7 },
      { type: 'sphere', centreMm: [31, 15, 25], radiusMm: 3.5 },
    ]);
    const grid = gridOf(dims, sp);
    const r = findDiscordanceRegions({ reference, test, grid });
    for (const [got, a, b] of [
      [r.falsePositive, test, reference],
      [r.falseNegative, reference, test],
    ] as const) {
      const exp = bruteRegions(a, b, dims, sp);
      expect(got.map((x) => x.voxelCount)).toEqual(exp.map((x) => x.n));
      got.forEach((g, n) => {
        expect(g.maxDistanceMm).toBeCloseTo(exp[n].max, 10);
        expect(g.meanDistanceMm).toBeCloseTo(exp[n].mean, 10);
        expect(g.sliceRange).toEqual([exp[n].kLo, exp[n].kHi]);
        expect(g.volumeCc).toBeCloseTo((g.voxelCount * sp[0] * sp[1] * sp[2]) / 1000, 12);
      });
    }
    // The blob is its own region, about 31 − 19 = 12 mm beyond the reference sphere's edge.
    const blob = r.falsePositive.find((x) => Math.abs(x.centroidMm[0] - 31) < 1)!;
    expect(blob).toBeDefined();
    expect(blob.maxDistanceMm!).toBeGreaterThan(10);
    expect(r.falsePositive[0].volumeCc).toBeGreaterThanOrEqual(r.falsePositive[1].volumeCc);
  });

  it('26-connectivity: voxels touching only at a corner are one region; a gap splits them', () => {
    const grid = gridOf([6, 6, 6], [1, 1, 1]);
    const test = new Uint8Array(216);
    const at = (i: number, j: number, k: number) => i + 6 * (j + 6 * k);
    test[at(1, 1, 1)] = 1;
    test[at(2, 2, 2)] = 1; // corner-adjacent to (1,1,1)
    test[at(4, 4, 4)] = 1; // separated
    const r = findDiscordanceRegions({ reference: new Uint8Array(216), test, grid });
    expect(r.falsePositive.map((x) => x.voxelCount)).toEqual([2, 1]);
    // No reference: the distance to it is undefined (null), not 0.
    expect(r.falsePositive[0].maxDistanceMm).toBeNull();
    expect(r.falseNegative).toEqual([]);
    expect(r.falsePositive[0].centroidMm).toEqual([1.5, 1.5, 1.5]);
  });
});
