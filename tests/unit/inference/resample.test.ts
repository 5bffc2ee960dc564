import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Grid, IDENTITY_DIRECTION, type Vec3, indexToPatientMm } from '@/lib/core/volume';
import { modelGridFor } from '@/lib/core/inference/model-grid';
import { resampleNearest, resampleProbabilityToMask, resampleTrilinear } from '@/lib/core/inference/resample';

// Produced by tests/reference/inference/make_resample_fixture.py (scipy.ndimage.map_coordinates,
// order=1, mode='nearest', at source indices computed from patient coordinates):
//   /usr/bin/python3 tests/reference/inference/make_resample_fixture.py
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/inference/resample-cases.json', import.meta.url), 'utf8'));
const tri = fixture.trilinear as {
  source: { grid: Grid; data: number[] };
  target: Grid;
  expected: number[];
  insideSourceExtent: number[];
};

function grid(dims: Vec3, spacingMm: Vec3, originMm: Vec3 = [0, 0, 0], direction = IDENTITY_DIRECTION): Grid {
  return { dims, spacingMm, originMm, direction };
}

describe('resampleTrilinear', () => {
  it('matches scipy map_coordinates(order=1, mode="nearest") between two rotated anisotropic grids', () => {
    const out = resampleTrilinear({ grid: tri.source.grid, data: Float32Array.from(tri.source.data) }, tri.target);
    expect(out.data.length).toBe(tri.expected.length);
    let worst = 0;
    for (let t = 0; t < tri.expected.length; t++) worst = Math.max(worst, Math.abs(out.data[t] - tri.expected[t]) / Math.max(1, Math.abs(tri.expected[t])));
    expect(worst).toBeLessThan(1e-5);
    // The case exercises both the interior and the clamped outside.
    const inside = tri.insideSourceExtent.filter(Boolean).length;
    expect(inside).toBeGreaterThan(50);
    expect(inside).toBeLessThan(tri.expected.length - 50);
  });

  it('gives outsideValue beyond the source voxel extent and scipy’s values inside', () => {
    const out = resampleTrilinear({ grid: tri.source.grid, data: Float32Array.from(tri.source.data) }, tri.target, { outsideValue: -1234 });
    for (let t = 0; t < tri.expected.length; t++) {
      if (tri.insideSourceExtent[t]) expect(out.data[t]).toBeCloseTo(tri.expected[t], 3);
      else expect(out.data[t]).toBe(-1234);
    }
  });

  it('reproduces a linear function of patient position exactly inside the source', () => {
    const src = grid([12, 10, 8], [0.8, 0.8, 3], [-5, 7, 100]);
    const f = (p: Vec3) => 3 + 0.5 * p[0] - 0.2 * p[1] + 0.1 * p[2];
    const data = new Float32Array(12 * 10 * 8);
    for (let k = 0, t = 0; k < 8; k++) for (let j = 0; j < 10; j++) for (let i = 0; i < 12; i++, t++) data[t] = f(indexToPatientMm(src, i, j, k));
    const target = modelGridFor(src, [1.5, 1.3, 2]);
    const out = resampleTrilinear({ grid: src, data }, target);
    let checked = 0;
    for (let k = 0, t = 0; k < target.dims[2]; k++)
      for (let j = 0; j < target.dims[1]; j++)
        for (let i = 0; i < target.dims[0]; i++, t++) {
          const p = indexToPatientMm(target, i, j, k);
          // Inside the hull of the source voxel centres only (outside, values are clamped).
          if (i * 1.5 > 11 * 0.8 || j * 1.3 > 9 * 0.8 || k * 2 > 7 * 3) continue;
          expect(out.data[t]).toBeCloseTo(f(p), 4);
          checked++;
        }
    expect(checked).toBeGreaterThan(200);
  });

  it('is the identity on the same grid, for integer input types too', () => {
    const g = grid([5, 4, 3], [1, 2, 3], [1, 2, 3]);
    const data = Int16Array.from({ length: 60 }, (_, t) => t * 7 - 200);
    expect(Array.from(resampleTrilinear({ grid: g, data }, g).data)).toEqual(Array.from(data));
  });

  it('refuses data that disagrees with its grid', () => {
    expect(() => resampleTrilinear({ grid: grid([2, 2, 2], [1, 1, 1]), data: new Float32Array(7) }, grid([2, 2, 2], [1, 1, 1]))).toThrow(
      /holds 7 values but its grid is 2×2×2/,
    );
  });
});

describe('modelGridFor', () => {
  it('keeps origin and direction, sets the spacing and dims = ceil(n·s / target)', () => {
    const dir = [0, 1, 0, -1, 0, 0, 0, 0, 1];
    const g = modelGridFor(grid([512, 512, 100], [0.977, 0.977, 3], [-250, -250, -150], dir), [1.5, 1.5, 1.5]);
    expect(g.dims).toEqual([Math.ceil((512 * 0.977) / 1.5), Math.ceil((512 * 0.977) / 1.5), 200]);
    expect(g.dims[0]).toBe(334);
    expect(g.spacingMm).toEqual([1.5, 1.5, 1.5]);
    expect(g.originMm).toEqual([-250, -250, -150]);
    expect(g.direction).toEqual(dir);
  });
  it('does not add a voxel for exact multiples despite rounding', () => {
    expect(modelGridFor(grid([100, 30, 7], [1.5, 0.1, 0.7]), [1.5, 0.3, 0.7]).dims).toEqual([100, 10, 7]);
  });
  it('refuses a non-positive target spacing', () => {
    expect(() => modelGridFor(grid([2, 2, 2], [1, 1, 1]), [1, 0, 1])).toThrow(/targetSpacingMm/);
  });
});

describe('resampleNearest', () => {
  it('picks the nearest source voxel and gives 0 outside the source extent', () => {
    const src = { grid: grid([4, 1, 1], [2, 1, 1]), data: Uint8Array.from([0, 1, 1, 0]) };
    // Target centres at 0…7 mm → source index 0, 0.5, …, 3.5 (round half up; 3.5 rounds to 4: outside).
    const src2 = { grid: grid([4, 1, 1], [2, 1, 1]), data: Uint8Array.from([1, 0, 0, 1]) };
    expect(Array.from(resampleNearest(src, grid([8, 1, 1], [1, 1, 1])).data)).toEqual([0, 1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(resampleNearest(src2, grid([8, 1, 1], [1, 1, 1])).data)).toEqual([1, 0, 0, 0, 0, 1, 1, 0]);
    expect(Array.from(resampleNearest(src2, grid([3, 1, 1], [1, 1, 1], [-2, 0, 0])).data)).toEqual([0, 1, 1]);
  });

  it('follows the direction matrix (a grid whose i axis is the other’s j axis)', () => {
    // Source: 3×2×1, axis i along +x, j along +y. Target: i along +y, j along +x.
    const src = { grid: grid([3, 2, 1], [1, 1, 1]), data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const swapped = grid([2, 3, 1], [1, 1, 1], [0, 0, 0], [0, 1, 0, 1, 0, 0, 0, 0, 1]);
    // Target (i, j) sits at x = j, y = i: source value at (j, i) = 1 + j + 3i.
    expect(Array.from(resampleNearest(src, swapped).data)).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('resampleProbabilityToMask', () => {
  it('thresholds the scipy-interpolated probability', () => {
    // probability = data / 1000 + 0.5 is affine in the data, so interpolation commutes with it.
    const prob = Float32Array.from(tri.source.data, (v) => v / 1000 + 0.5);
    const r = resampleProbabilityToMask({ grid: tri.source.grid, data: prob }, tri.target, 0.52);
    let voxels = 0;
    let max = 0;
    for (let t = 0; t < tri.expected.length; t++) {
      const p = tri.expected[t] / 1000 + 0.5;
      max = Math.max(max, p);
      if (Math.abs(p - 0.52) < 1e-6) continue;
      expect(r.mask.data[t]).toBe(p >= 0.52 ? 1 : 0);
      voxels += r.mask.data[t];
    }
    expect(voxels).toBe(r.voxels);
    expect(r.voxels).toBeGreaterThan(20);
    expect(r.maxProbability).toBeCloseTo(max, 5);
    expect(r.mask.grid).toEqual(tri.target);
  });

  it('gives a smoother boundary than nearest-neighbour upsampling of the thresholded mask', () => {
    // A ball of radius 8 mm; the model-grid probability ramps linearly across the surface.
    const fine = grid([41, 41, 41], [0.5, 0.5, 0.5], [-10, -10, -10]);
    const coarse = modelGridFor(fine, [2, 2, 2]);
    const centre: Vec3 = [0.1, -0.2, 0.3];
    const r = (p: Vec3) => Math.hypot(p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]);
    const prob = new Float32Array(coarse.dims[0] * coarse.dims[1] * coarse.dims[2]);
    for (let k = 0, t = 0; k < coarse.dims[2]; k++)
      for (let j = 0; j < coarse.dims[1]; j++)
        for (let i = 0; i < coarse.dims[0]; i++, t++) prob[t] = Math.min(1, Math.max(0, 0.5 + (8 - r(indexToPatientMm(coarse, i, j, k))) / 8));
    const smooth = resampleProbabilityToMask({ grid: coarse, data: prob }, fine, 0.5).mask;
    const stair = resampleNearest({ grid: coarse, data: Uint8Array.from(prob, (p) => (p >= 0.5 ? 1 : 0)) }, fine);
    let wrongSmooth = 0;
    let wrongStair = 0;
    for (let k = 0, t = 0; k < 41; k++)
      for (let j = 0; j < 41; j++)
        for (let i = 0; i < 41; i++, t++) {
          const truth = r(indexToPatientMm(fine, i, j, k)) <= 8 ? 1 : 0;
          if (smooth.data[t] !== truth) wrongSmooth++;
          if (stair.data[t] !== truth) wrongStair++;
        }
    expect(wrongSmooth).toBeLessThan(wrongStair / 3);
  });

  it('refuses a threshold outside (0, 1)', () => {
    const g = grid([2, 1, 1], [1, 1, 1]);
    expect(() => resampleProbabilityToMask({ grid: g, data: new Float32Array(2) }, g, 1)).toThrow(/output\.threshold/);
  });
});
