/**
 * The surface distances' fast path (local search over sorted lattice offsets, local-search.ts)
 * against the exact EDT alone (method 'edt', the code path every value was computed with before
 * the local search existed): the same distances (to the last bit; see expectSame) on the irregular
 * scipy/plastimatch pairs and on shapes that exercise each path (every query near; a few far
 * queries answered by brute force or, above its limit, the EDT; all far so the EDT does everything).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  boundingBox,
  computeSurfaceDistances,
  hausdorffMm,
  meanSurfaceDistanceMm,
  percentileHausdorffMm,
  surfaceDice,
  type SurfaceDistances,
} from '@/lib/core/metrics';
import { localDistances, offsetTable } from '@/lib/core/metrics/local-search';
import { gridOf, rasterise, type Shape } from './shapes';

const fixture = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/metrics/random-pairs-scipy.json'), 'utf8')) as {
  cases: { name: string; dims: number[]; spacingMm: number[]; reference: string; test: string }[];
};

function unpack(b64: string, n: number): Uint8Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Uint8Array(n);
  for (let q = 0; q < n; q++) out[q] = (bytes[q >> 3]! >> (7 - (q & 7))) & 1;
  return out;
}

/**
 * Distances: identical except where two sites are equally near in exact arithmetic and their
 * rounded squared lengths differ in the last bit; the EDT's envelope may then keep the larger,
 * the local search always returns the smaller. So each sorted distance is ≤ the EDT's and within
 * 2⁻⁵⁰ relative. Areas: the same multiset (their order follows the distances). Metrics: 1e-12.
 */
function expectSame(a: SurfaceDistances, b: SurfaceDistances) {
  for (const [x, y] of [
    [a.referenceToTestMm, b.referenceToTestMm],
    [a.testToReferenceMm, b.testToReferenceMm],
  ] as const) {
    expect(x.length).toBe(y.length);
    let worst = 0;
    let larger = 0;
    for (let q = 0; q < x.length; q++) {
      if (x[q]! > y[q]!) larger++;
      worst = Math.max(worst, Math.abs(x[q]! - y[q]!) / Math.max(y[q]!, 1e-300));
    }
    expect(larger).toBe(0);
    expect(worst).toBeLessThanOrEqual(2 ** -50);
  }
  const sorted = (v: Float64Array | null) => v && Array.from(v).sort((p, q) => p - q);
  expect(sorted(a.referenceAreasMm2)).toEqual(sorted(b.referenceAreasMm2));
  expect(sorted(a.testAreasMm2)).toEqual(sorted(b.testAreasMm2));
  const rel = (p: number | null, q: number | null) => Math.abs(p! - q!) / Math.max(Math.abs(q!), 1e-300);
  expect(rel(hausdorffMm(a), hausdorffMm(b))).toBeLessThanOrEqual(1e-12);
  expect(rel(percentileHausdorffMm(a, 95), percentileHausdorffMm(b, 95))).toBeLessThanOrEqual(1e-12);
  expect(rel(meanSurfaceDistanceMm(a), meanSurfaceDistanceMm(b))).toBeLessThanOrEqual(1e-12);
  expect(surfaceDice(a, 2)).toBe(surfaceDice(b, 2));
}

function bothWays(reference: Uint8Array, test: Uint8Array, dims: number[], spacingMm: number[], options: { bruteForcePairs?: number } = {}) {
  const grid = gridOf(dims, spacingMm);
  for (const sampling of ['voxel', 'surfel'] as const) {
    const fast = computeSurfaceDistances(reference, test, grid, sampling, options);
    const edt = computeSurfaceDistances(reference, test, grid, sampling, { method: 'edt' });
    expect(fast.referenceToTestMm.length).toBeGreaterThan(0);
    expectSame(fast, edt);
  }
}

/** Box-local boundary-free probe: how the local search treats every test voxel as a query against the reference voxels. */
function probe(reference: Uint8Array, test: Uint8Array, dims: number[], spacingMm: number[]) {
  const box = boundingBox(dims, reference, test)!;
  const bd = [0, 1, 2].map((a) => box.hi[a]! - box.lo[a]! + 1);
  const local = (m: Uint8Array) => {
    const out: number[] = [];
    for (let k = 0; k < bd[2]!; k++)
      for (let j = 0; j < bd[1]!; j++)
        for (let i = 0; i < bd[0]!; i++) {
          if (m[i + box.lo[0] + dims[0]! * (j + box.lo[1] + dims[1]! * (k + box.lo[2]))]) out.push(i + bd[0]! * (j + bd[1]! * k));
        }
    return Int32Array.from(out);
  };
  return localDistances(offsetTable(spacingMm), bd, local(reference), local(test));
}

describe('surface distances: local search = EDT alone (before/after the local search)', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: voxel and surfel distances and areas match`, () => {
      const n = c.dims[0]! * c.dims[1]! * c.dims[2]!;
      bothWays(unpack(c.reference, n), unpack(c.test, n), c.dims, c.spacingMm);
    });
  }

  const dims = [60, 56, 24];
  const sp = [0.977, 0.977, 3];
  const big: Shape = { type: 'sphere', centreMm: [28, 27, 33], radiusMm: 20 };
  it('every query near (shifted, dilated sphere): all answered locally, match', () => {
    const ref = rasterise(dims, sp, [big]);
    const test = rasterise(dims, sp, [{ type: 'sphere', centreMm: [29.5, 25, 36], radiusMm: 22 }]);
    const p = probe(ref, test, dims, sp);
    expect(p && p.unresolved.length).toBe(0);
    bothWays(ref, test, dims, sp);
  });

  it('a far false-positive blob: its queries by brute force (or the EDT), the rest local, match', () => {
    const ref = rasterise(dims, sp, [{ type: 'sphere', centreMm: [22, 27, 33], radiusMm: 14 }]);
    const test = rasterise(dims, sp, [
      { type: 'sphere', centreMm: [22, 27, 33], radiusMm: 15 },
      { type: 'sphere', centreMm: [53, 48, 60], radiusMm: 2.5 },
    ]);
    const p = probe(ref, test, dims, sp);
    expect(p).not.toBeNull();
    expect(p!.unresolved.length).toBeGreaterThan(0);
    bothWays(ref, test, dims, sp);
    bothWays(ref, test, dims, sp, { bruteForcePairs: 0 });
  });

  it('two spheres far apart: too many far queries, the EDT answers all, match', () => {
    const ref = rasterise(dims, sp, [{ type: 'sphere', centreMm: [10, 10, 10], radiusMm: 6 }]);
    const test = rasterise(dims, sp, [{ type: 'sphere', centreMm: [48, 44, 60], radiusMm: 7 }]);
    expect(probe(ref, test, dims, sp)).toBeNull();
    bothWays(ref, test, dims, sp);
  });

  it('isotropic and strongly anisotropic spacings, masks touching the grid edge', () => {
    for (const s of [
      [1, 1, 1],
      [0.5, 0.5, 5],
      [2.5, 0.7, 1.2],
    ]) {
      const d = [30, 28, 26];
      const ref = rasterise(d, s, [{ type: 'box', lo: [0, 3, 2], hi: [20, 25, 26] }]);
      const test = rasterise(d, s, [{ type: 'sphere', centreMm: [10 * s[0]!, 14 * s[1]!, 13 * s[2]!], radiusMm: 9 }]);
      bothWays(ref, test, d, s);
    }
  });
});
