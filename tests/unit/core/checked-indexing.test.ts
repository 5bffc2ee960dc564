import { describe, expect, it } from 'vitest';
import { createRng } from '../../../lib/core/phantom/prng';
import { indexToPatientMm, sameGrid, xyz, type Grid } from '../../../lib/core/volume';
import { squaredEdtInPlace } from '../../../lib/core/metrics/edt';

// Arrays that lib/core indexes without a runtime check under noUncheckedIndexedAccess are checked
// once on entry; a short array is a clear error naming it, not NaN or undefined further on.
describe('checked indexing at lib/core entry points', () => {
  const grid: Grid = { dims: [2, 2, 2], spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };

  it('xyz returns a triple unchanged and names a short array', () => {
    const dims = [4, 5, 6];
    expect(xyz(dims, 'test dims')).toBe(dims);
    expect(() => xyz([4, 5], 'test dims')).toThrow('test dims must have 3 entries [x, y, z]; got 2.');
    expect(() => squaredEdtInPlace(new Float64Array(4), [2, 2], [1, 1, 1])).toThrow(/squaredEdtInPlace dims must have 3 entries/);
  });

  it('a direction without 9 entries is an error, not NaN positions', () => {
    expect(indexToPatientMm(grid, 1, 1, 1)).toEqual([1, 1, 2]);
    const bad = { ...grid, direction: [1, 0, 0, 0, 1, 0] };
    expect(() => indexToPatientMm(bad, 1, 1, 1)).toThrow(/grid direction must have 9 entries.*got 6/);
    expect(() => sameGrid(grid, bad)).toThrow(/grid direction must have 9 entries/);
    expect(sameGrid(grid, { ...grid })).toBe(true);
  });

  it('rng.pick refuses an empty list instead of returning undefined', () => {
    const rng = createRng('pick');
    expect(['a', 'b', 'c']).toContain(rng.pick(['a', 'b', 'c']));
    expect(() => rng.pick([])).toThrow(/empty/);
  });
});
