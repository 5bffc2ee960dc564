import { describe, expect, it } from 'vitest';
import { distancesToSites, squaredEdtInPlace } from '@/lib/core/metrics';

/** Deterministic LCG so failures reproduce. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function bruteForce(sites: number[][], dims: number[], sp: number[]): Float64Array {
  const [nx, ny, nz] = dims;
  const out = new Float64Array(nx * ny * nz).fill(Infinity);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        let best = Infinity;
        for (const [a, b, c] of sites) {
          const d = ((i - a) * sp[0]) ** 2 + ((j - b) * sp[1]) ** 2 + ((k - c) * sp[2]) ** 2;
          if (d < best) best = d;
        }
        out[i + nx * (j + ny * k)] = best;
      }
  return out;
}

describe('squaredEdtInPlace (Felzenszwalb–Huttenlocher, anisotropic)', () => {
  it('two voxels 2 mm apart: 4 mm² at the other one', () => {
    const buf = new Float64Array(5).fill(Infinity);
    buf[0] = 0;
    squaredEdtInPlace(buf, [5, 1, 1], [2, 1, 1]);
    expect(Array.from(buf)).toEqual([0, 4, 16, 36, 64]);
  });

  it('no site: every distance stays +Infinity', () => {
    const buf = new Float64Array(24).fill(Infinity);
    squaredEdtInPlace(buf, [2, 3, 4], [1, 1, 1]);
    expect(buf.every((x) => x === Infinity)).toBe(true);
  });

  for (const [seed, dims, sp, nSites] of [
    [1, [13, 7, 9], [0.8, 1.3, 2.5], 5],
    [2, [6, 11, 5], [3, 0.5, 1], 1],
    [3, [9, 9, 9], [1, 1, 1], 40],
    [4, [17, 3, 4], [0.98, 0.98, 3], 3],
  ] as const) {
    it(`matches brute force: dims ${dims.join('×')}, spacing ${sp.join('×')}, ${nSites} sites`, () => {
      const r = rng(seed);
      const [nx, ny, nz] = dims;
      const sites: number[][] = [];
      const buf = new Float64Array(nx * ny * nz).fill(Infinity);
      for (let n = 0; n < nSites; n++) {
        const s = [Math.floor(r() * nx), Math.floor(r() * ny), Math.floor(r() * nz)];
        sites.push(s);
        buf[s[0] + nx * (s[1] + ny * s[2])] = 0;
      }
      squaredEdtInPlace(buf, dims, sp);
      const expected = bruteForce(sites, [...dims], [...sp]);
      for (let q = 0; q < buf.length; q++) expect(buf[q]).toBeCloseTo(expected[q], 9);
    });
  }
});

describe('distancesToSites (query-only variant)', () => {
  it('matches the full transform at random queries, anisotropic', () => {
    const r = rng(7);
    const dims = [11, 8, 13];
    const sp = [0.9, 1.7, 2.2];
    const n = dims[0] * dims[1] * dims[2];
    const sites = Int32Array.from(new Set(Array.from({ length: 9 }, () => Math.floor(r() * n)))).sort();
    const queries = Int32Array.from({ length: 50 }, () => Math.floor(r() * n));
    const full = new Float64Array(n).fill(Infinity);
    for (const s of sites) full[s] = 0;
    squaredEdtInPlace(full, dims, sp);
    const got = distancesToSites(new Float64Array(n + 5), dims, sp, sites, queries);
    queries.forEach((q, m) => expect(got[m]).toBeCloseTo(Math.sqrt(full[q]), 12));
    expect(Array.from(distancesToSites(new Float64Array(n), dims, sp, new Int32Array(0), queries.subarray(0, 3)))).toEqual([Infinity, Infinity, Infinity]);
  });
});

describe('distancesToSites with a band', () => {
  it('exact within the band, +Infinity beyond it', () => {
    const r = rng(11);
    const dims = [15, 12, 9];
    const sp = [0.8, 1.1, 2.5];
    const n = dims[0] * dims[1] * dims[2];
    const sites = Int32Array.from(new Set(Array.from({ length: 4 }, () => Math.floor(r() * n)))).sort();
    const queries = Int32Array.from({ length: n }, (_, q) => q);
    const exact = distancesToSites(new Float64Array(n), dims, sp, sites, queries);
    const banded = distancesToSites(new Float64Array(n), dims, sp, sites, queries, 4);
    let inside = 0;
    for (let q = 0; q < n; q++) {
      if (exact[q] <= 4) {
        expect(banded[q]).toBe(exact[q]);
        inside++;
      } else expect(banded[q]).toBe(Infinity);
    }
    expect(inside).toBeGreaterThan(20);
    expect(inside).toBeLessThan(n);
  });
});
