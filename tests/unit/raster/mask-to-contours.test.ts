import { describe, expect, it } from 'vitest';
import { maskToContours } from '@/lib/core/contours/mask-to-contours';
import { rasterizeContours } from '@/lib/core/raster/rasterize-contours';
import { type Grid, type Mask, IDENTITY_DIRECTION, voxelCount } from '@/lib/core/volume';

function roundTrip(mask: Mask): Uint8Array {
  const contours = maskToContours(mask);
  const { mask: back, report } = rasterizeContours(mask.grid, contours, { sliceToleranceMm: 1e-6 });
  expect(report.counts.rasterised).toBe(contours.length);
  return back.data;
}

function mismatches(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let t = 0; t < a.length; t++) if (a[t] !== b[t]) n++;
  return n;
}

function makeMask(grid: Grid, f: (i: number, j: number, k: number) => boolean): Mask {
  const [nx, ny, nz] = grid.dims;
  const data = new Uint8Array(voxelCount(grid));
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = f(i, j, k) ? 1 : 0;
  return { grid, data };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const oblique: Grid = (() => {
  const c = Math.cos(0.4);
  const s = Math.sin(0.4);
  const c2 = Math.cos(0.2);
  const s2 = Math.sin(0.2);
  const u = [c, s * c2, s * s2];
  const v = [-s, c * c2, c * s2];
  const w = [0, -s2, c2];
  return { dims: [33, 27, 9], spacingMm: [0.8, 1.7, 3], originMm: [10.3, -22.1, 41.7], direction: [u[0], v[0], w[0], u[1], v[1], w[1], u[2], v[2], w[2]] };
})();

describe('maskToContours → rasterizeContours reproduces the mask', () => {
  it('single voxel: one diamond through the four edge midpoints', () => {
    const grid: Grid = { dims: [3, 3, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };
    const mask = makeMask(grid, (i, j) => i === 1 && j === 1);
    const cs = maskToContours(mask);
    expect(cs).toHaveLength(1);
    const pts = Array.from(cs[0].pointsMm);
    const xy = new Set<string>();
    for (let q = 0; q < pts.length; q += 3) xy.add(`${pts[q]},${pts[q + 1]}`);
    expect(xy).toEqual(new Set(['1.5,1', '1,1.5', '0.5,1', '1,0.5']));
    expect(mismatches(roundTrip(mask), mask.data)).toBe(0);
  });

  it('empty mask gives no contours', () => {
    const grid: Grid = { dims: [4, 4, 2], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };
    expect(maskToContours({ grid, data: new Uint8Array(32) })).toEqual([]);
  });

  it('sphere on an anisotropic grid touching the image border', () => {
    const grid: Grid = { dims: [40, 36, 20], spacingMm: [0.9, 1.2, 2.5], originMm: [-5, 3, -20], direction: IDENTITY_DIRECTION };
    const mask = makeMask(grid, (i, j, k) => ((i - 20) * 0.9) ** 2 + ((j - 5) * 1.2) ** 2 + ((k - 10) * 2.5) ** 2 < 15 ** 2);
    expect(mask.data.reduce((s, v) => s + v, 0)).toBeGreaterThan(1000);
    expect(mismatches(roundTrip(mask), mask.data)).toBe(0);
  });

  it('shape with holes, an island inside a hole and diagonal-only contacts gives one contour per boundary', () => {
    const grid: Grid = { dims: [12, 12, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };
    // Ring 1..10 with hole 3..8, island at 5..6, plus two voxels touching only at a corner.
    const mask = makeMask(grid, (i, j) => {
      const inRing = i >= 1 && i <= 8 && j >= 1 && j <= 8 && !(i >= 3 && i <= 6 && j >= 3 && j <= 6);
      const island = i >= 4 && i <= 5 && j >= 4 && j <= 5;
      const diag = (i === 10 && j === 10) || (i === 11 && j === 11);
      return inRing || island || diag;
    });
    const cs = maskToContours(mask);
    expect(cs).toHaveLength(5); // outer, hole, island, two diagonal voxels (saddle split)
    expect(mismatches(roundTrip(mask), mask.data)).toBe(0);
  });

  it('random noise masks (every marching-squares case, saddles included) on an oblique anisotropic grid', () => {
    const r = rng(42);
    for (const density of [0.2, 0.5, 0.8]) {
      const mask = makeMask(oblique, () => r() < density);
      expect(mismatches(roundTrip(mask), mask.data)).toBe(0);
    }
  });

  it('blobs with islands and holes on an oblique grid', () => {
    const mask = makeMask(oblique, (i, j, k) => {
      const d = Math.hypot(i - 16, j - 13);
      return (d < 11 && d > 6) || (d < 3 && k % 2 === 0) || Math.hypot(i - 29, j - 3) < 2.5;
    });
    expect(mismatches(roundTrip(mask), mask.data)).toBe(0);
  });
});
