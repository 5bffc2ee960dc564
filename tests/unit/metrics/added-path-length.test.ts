import { describe, expect, it } from 'vitest';
import { computeAddedPathLength } from '@/lib/core/metrics';
import { gridOf, rasterise } from './shapes';

describe('computeAddedPathLength', () => {
  const dims = [20, 20, 3];
  it('machine slice empty: the whole reference contour is added (36 contour pixels of a 10×10 square)', () => {
    const sp = [0.8, 1.2, 3];
    const reference = rasterise(dims, sp, [{ type: 'box', lo: [5, 5, 1], hi: [15, 15, 2] }]);
    const r = computeAddedPathLength({ reference, test: new Uint8Array(reference.length), grid: gridOf(dims, sp), toleranceMm: 2 });
    expect(r.addedPathLengthMm).toBeCloseTo(36 * 1.0, 12);
    expect(r.referencePathLengthMm).toBeCloseTo(36, 12);
    expect(Array.from(r.perSliceMm)).toEqual([0, 36, 0]);
  });

  it('identical contours add nothing', () => {
    const sp = [1, 1, 2];
    const m = rasterise(dims, sp, [{ type: 'sphere', centreMm: [10, 10, 2], radiusMm: 6 }]);
    expect(computeAddedPathLength({ reference: m, test: m, grid: gridOf(dims, sp), toleranceMm: 0 }).addedPathLengthMm).toBe(0);
  });

  it('a square shifted 3 px: only the contour pixels more than the tolerance away count', () => {
    const sp = [1, 1, 1];
    const reference = rasterise(dims, sp, [{ type: 'box', lo: [5, 5, 1], hi: [15, 15, 2] }]);
    const test = rasterise(dims, sp, [{ type: 'box', lo: [8, 5, 1], hi: [18, 15, 2] }]);
    // Test contour: columns i = 8 and 17, rows j = 5 and 14 (i = 8…17). Reference contour:
    // - column i = 5 (10 px): 3 mm from the test's column i = 8;
    // - rows j = 5 and 14 at i = 6, 7: 2 and 1 mm from (8, j); at i ≥ 8 they lie on the test contour;
    // - column i = 14, inside the test: min(j − 5, 14 − j, 3 to column 17) mm.
    // Tolerance 2.5 mm: column 5 (10) + column 14 at j = 8…11 (4) = 14 px of 1 mm.
    const r = computeAddedPathLength({ reference, test, grid: gridOf(dims, sp), toleranceMm: 2.5 });
    expect(r.addedPathLengthMm).toBe(14);
    // Tolerance 1.5 mm: + (6, 5) and (6, 14) (2 mm) + column 14 at j = 7…12 (6) = 18.
    expect(computeAddedPathLength({ reference, test, grid: gridOf(dims, sp), toleranceMm: 1.5 }).addedPathLengthMm).toBe(18);
  });
});
