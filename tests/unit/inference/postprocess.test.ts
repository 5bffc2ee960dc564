import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IDENTITY_DIRECTION, type Mask, type Vec3 } from '@/lib/core/volume';
import { labelComponents26 } from '@/lib/core/inference/connected-components';
import { postprocessMask, thresholdProbability } from '@/lib/core/inference/postprocess';
import { applyActivation } from '@/lib/core/inference/activation';

function maskWith(dims: Vec3, spacingMm: Vec3, voxels: Vec3[]): Mask {
  const data = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (const [i, j, k] of voxels) data[i + dims[0] * (j + dims[1] * k)] = 1;
  return { grid: { dims, spacingMm, originMm: [0, 0, 0], direction: IDENTITY_DIRECTION }, data };
}

function cube(at: Vec3, size: number): Vec3[] {
  const out: Vec3[] = [];
  for (let k = 0; k < size; k++) for (let j = 0; j < size; j++) for (let i = 0; i < size; i++) out.push([at[0] + i, at[1] + j, at[2] + k]);
  return out;
}

const count = (m: Mask) => m.data.reduce((n, v) => n + v, 0);
const at = (m: Mask, [i, j, k]: Vec3) => m.data[i + m.grid.dims[0] * (j + m.grid.dims[1] * k)];

describe('labelComponents26', () => {
  it('joins voxels that share only a corner, and separates a one-voxel gap', () => {
    expect(
      labelComponents26(
        maskWith(
          [3, 3, 3],
          [1, 1, 1],
          [
            [0, 0, 0],
            [1, 1, 1],
            [2, 2, 2],
          ],
        ).data,
        [3, 3, 3],
      ).sizes,
    ).toEqual([3]);
    expect(
      labelComponents26(
        maskWith(
          [3, 3, 3],
          [1, 1, 1],
          [
            [0, 0, 0],
            [2, 0, 0],
            [2, 2, 2],
          ],
        ).data,
        [3, 3, 3],
      ).sizes,
    ).toEqual([1, 1, 1]);
  });

  it('does not join across the grid edge (no wrap-around between rows or slices)', () => {
    // Each pair is adjacent in memory (indices 3, 4 and 7, 8) but 3 voxels apart in space.
    for (const pair of [
      [
        [3, 0, 0],
        [0, 1, 0],
      ],
      [
        [3, 1, 0],
        [0, 0, 1],
      ],
      [
        [0, 1, 1],
        [3, 0, 1],
      ],
    ] as Vec3[][]) {
      const m = maskWith([4, 2, 2], [1, 1, 1], pair);
      expect(labelComponents26(m.data, m.grid.dims).sizes).toEqual([1, 1]);
    }
    const joined = maskWith(
      [4, 2, 2],
      [1, 1, 1],
      [
        [3, 0, 0],
        [2, 1, 1],
      ],
    );
    expect(labelComponents26(joined.data, joined.grid.dims).sizes).toEqual([2]);
  });

  it('matches scipy.ndimage.label(structure=ones((3,3,3))) on a random mask', () => {
    // tests/reference/inference/make_resample_fixture.py (scipy.ndimage.label, 26-connectivity).
    const fixture = JSON.parse(readFileSync(new URL('../../fixtures/inference/resample-cases.json', import.meta.url), 'utf8')).components;
    const { labels, sizes } = labelComponents26(Uint8Array.from(fixture.mask), fixture.dims);
    expect(sizes.length).toBe(fixture.count);
    expect([...sizes].sort((a, b) => a - b)).toEqual(fixture.sortedSizes);
    for (let v = 0; v < labels.length; v++) expect(labels[v] > 0).toBe(fixture.mask[v] === 1);
  });
});

describe('postprocessMask', () => {
  const dims: Vec3 = [20, 12, 10];
  const big = cube([2, 2, 2], 3); // 27 voxels at 2..4
  const small = cube([12, 2, 2], 2); // 8 voxels, 8 voxels (mm) from the big one along x
  const near: Vec3 = [7, 3, 3]; // 3 mm from the big cube's face at x = 4

  it('keep "all" keeps everything; "largest" keeps only the largest', () => {
    const m = maskWith(dims, [1, 1, 1], [...big, ...small, near]);
    const all = postprocessMask(m, { keep: 'all', nearLargestMm: 0, minComponentCc: 0 });
    expect(count(all.mask)).toBe(36);
    expect(all.componentsFound).toBe(3);
    const largest = postprocessMask(m, { keep: 'largest', nearLargestMm: 50, minComponentCc: 0 });
    expect(count(largest.mask)).toBe(27);
    expect(largest.componentsKept).toBe(1);
    expect(largest.voxelsRemoved).toBe(9);
    expect(count(m)).toBe(36); // input untouched
  });

  it('"largest-and-near" keeps components within nearLargestMm (voxel centres, spacing applied)', () => {
    const m = maskWith(dims, [1, 1, 1], [...big, ...small, near]);
    const keep = (mm: number) => postprocessMask(m, { keep: 'largest-and-near', nearLargestMm: mm, minComponentCc: 0 });
    expect(count(keep(2.99).mask)).toBe(27);
    expect(count(keep(3).mask)).toBe(28);
    expect(at(keep(3).mask, near)).toBe(1);
    expect(count(keep(7.99).mask)).toBe(28);
    expect(count(keep(8).mask)).toBe(36);
  });

  it('measures the distance in mm with anisotropic spacing', () => {
    // One voxel 2 slices above the cube: 2 × 2.5 mm = 5 mm away; diagonal neighbour counts in mm too.
    const m = maskWith(dims, [0.8, 0.8, 2.5], [...big, [3, 3, 6], [6, 6, 2]]);
    const r = (mm: number) => postprocessMask(m, { keep: 'largest-and-near', nearLargestMm: mm, minComponentCc: 0 }).mask;
    expect(at(r(4.99), [3, 3, 6])).toBe(0);
    expect(at(r(5), [3, 3, 6])).toBe(1);
    // (6, 6, 2) to (4, 4, 2): hypot(1.6, 1.6) = 2.263 mm.
    expect(at(r(2.26), [6, 6, 2])).toBe(0);
    expect(at(r(2.27), [6, 6, 2])).toBe(1);
  });

  it('removes components below minComponentCc first, including a small largest', () => {
    const m = maskWith(dims, [1, 1, 1], [...big, ...small, near]); // 1 voxel = 0.001 cc
    expect(count(postprocessMask(m, { keep: 'all', nearLargestMm: 0, minComponentCc: 0.008 }).mask)).toBe(35);
    expect(count(postprocessMask(m, { keep: 'all', nearLargestMm: 0, minComponentCc: 0.0081 }).mask)).toBe(27);
    expect(count(postprocessMask(m, { keep: 'largest-and-near', nearLargestMm: 3, minComponentCc: 0.002 }).mask)).toBe(27);
    expect(count(postprocessMask(m, { keep: 'largest', nearLargestMm: 0, minComponentCc: 0.03 }).mask)).toBe(0);
  });

  it('breaks a tie for largest by scan order', () => {
    const m = maskWith(dims, [1, 1, 1], [...cube([10, 8, 6], 2), ...cube([1, 1, 1], 2)]);
    const r = postprocessMask(m, { keep: 'largest', nearLargestMm: 0, minComponentCc: 0 });
    expect(at(r.mask, [1, 1, 1])).toBe(1);
    expect(at(r.mask, [10, 8, 6])).toBe(0);
  });

  it('returns an empty mask for an empty input', () => {
    const r = postprocessMask(maskWith(dims, [1, 1, 1], []), { keep: 'largest-and-near', nearLargestMm: 10, minComponentCc: 0 });
    expect(count(r.mask)).toBe(0);
    expect(r.componentsFound).toBe(0);
  });
});

describe('thresholdProbability and applyActivation', () => {
  it('thresholds at ≥', () => {
    expect(Array.from(thresholdProbability([0.1, 0.5, 0.49999, 0.9], 0.5))).toEqual([0, 1, 0, 1]);
    expect(() => thresholdProbability([0.1], 0)).toThrow(/output\.threshold/);
  });
  it('sigmoid, softmax (stable for large logits) and none', () => {
    const logits = Float32Array.from([0, 2, -3, 1000, -1000]);
    const s = applyActivation(logits, 1, 'sigmoid', 0);
    expect(s[0]).toBe(0.5);
    expect(s[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    expect(s[3]).toBe(1);
    expect(s[4]).toBe(0);
    // Two-channel softmax = sigmoid of the logit difference.
    const two = Float32Array.from([0, 1, 500, -400, 2, -1, 1500, -401]);
    const p = applyActivation(two, 2, 'softmax', 1);
    const expected = [2, -2, 1000, -1].map((d) => 1 / (1 + Math.exp(-d)));
    for (let v = 0; v < 4; v++) expect(p[v]).toBeCloseTo(expected[v], 6);
    expect(Array.from(applyActivation(Float32Array.from([0.2, 0.7, 0.1, 0.3]), 2, 'none', 1))).toEqual([0.1, 0.3].map(Math.fround));
    expect(() => applyActivation(two, 2, 'softmax', 2)).toThrow(/foreground channel 2/);
    expect(() => applyActivation(logits, 1, 'softmax', 0)).toThrow(/at least 2 output channels/);
  });
});
