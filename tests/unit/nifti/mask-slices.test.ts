/**
 * The metrics CLI reads each mask with the slices that hold it (parseMaskAndSlices): the range is
 * found natively (occupiedSlices), the binary check reads only those slices, and computeMetrics
 * visits only the union range in its overlap pass (issue #19, GTV-sized masks on a planning CT).
 * The range must be exact (a voxel in the first or last slice, or in a slice whose bytes do not
 * start on a 32-bit word), the check must still refuse a second value inside the range, and the
 * metrics must be the same with and without the range.
 */
import { describe, expect, it } from 'vitest';
import { IDENTITY_DIRECTION, type Grid } from '@/lib/core/volume';
import { computeMetrics, computeOverlap } from '@/lib/core/metrics';
import { encodeNifti, occupiedSlices, parseMaskAndSlices } from '@/lib/nifti';

/** 3×3 slices (9 bytes: most slices start off a word boundary). */
const grid = (nz: number, nx = 3, ny = 3): Grid => ({ dims: [nx, ny, nz], spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION });

function nifti(data: Uint8Array, g: Grid): Uint8Array {
  return encodeNifti({ grid: g, data }, { intent: 'image', gzip: false });
}

describe('occupiedSlices and parseMaskAndSlices', () => {
  it('finds the first and last slice holding a voxel, wherever the voxel sits in the slice', () => {
    const g = grid(12);
    for (const [k0, i0, k1, i1] of [
      [0, 0, 11, 8],
      [3, 8, 3, 0],
      [5, 4, 9, 7],
      [11, 2, 11, 2],
    ] as const) {
      const d = new Uint8Array(9 * 12);
      d[k0 * 9 + i0] = 1;
      d[k1 * 9 + i1] = 1;
      expect(occupiedSlices(d, g.dims)).toEqual([k0, k1]);
      const m = parseMaskAndSlices(nifti(d, g), 'm.nii');
      expect(m.slices).toEqual([k0, k1]);
      expect([...m.data]).toEqual([...d]);
    }
  });

  it('an all-zero mask has no slices', () => {
    const g = grid(7);
    expect(occupiedSlices(new Uint8Array(63), g.dims)).toBeNull();
    const m = parseMaskAndSlices(nifti(new Uint8Array(63), g), 'z.nii');
    expect(m.slices).toBeNull();
    expect(m.data.every((v) => v === 0)).toBe(true);
  });

  it('refuses a second value anywhere inside the range, at either end or mid-word', () => {
    const g = grid(10);
    for (const at of [2 * 9, 2 * 9 + 1, 4 * 9 + 5, 7 * 9 + 8, 7 * 9 + 3]) {
      const d = new Uint8Array(90);
      d[2 * 9] = 1;
      d[7 * 9 + 8] = 1;
      d[at] = 3;
      expect(() => parseMaskAndSlices(nifti(d, g), 'two.nii')).toThrow(/two\.nii is not a binary mask: it holds the values 0, 1, 3/);
    }
  });

  it('0/255 data becomes 0/1 with its range; a label picks one value and gets its own range', () => {
    const g = grid(6);
    const d = new Uint8Array(54);
    d[9 + 4] = 255;
    d[4 * 9 + 1] = 255;
    const m = parseMaskAndSlices(nifti(d, g), 'w.nii');
    expect(m.slices).toEqual([1, 4]);
    expect(m.data[13]).toBe(1);
    d[5 * 9] = 2;
    const l = parseMaskAndSlices(nifti(d, g), 'l.nii', { label: 2 });
    expect(l.slices).toEqual([5, 5]);
  });
});

describe('computeMetrics with the slices hint', () => {
  it('gives the same result as scanning every slice (random masks, unaligned rows)', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 20; trial++) {
      const g = grid(16, 7, 5);
      const n = 7 * 5 * 16;
      const a = new Uint8Array(n);
      const b = new Uint8Array(n);
      const lo = 2 + Math.floor(rand() * 5);
      const hi = lo + Math.floor(rand() * 6);
      for (let k = lo; k <= hi; k++)
        for (let q = 0; q < 35; q++) {
          if (rand() < 0.5) a[k * 35 + q] = 1;
          if (rand() < 0.5) b[k * 35 + q] = 1;
        }
      const slices = [
        Math.min(occupiedSlices(a, g.dims)![0], occupiedSlices(b, g.dims)![0]),
        Math.max(occupiedSlices(a, g.dims)![1], occupiedSlices(b, g.dims)![1]),
      ] as const;
      const conventions = ['voxel', 'surfel', 'plastimatch'] as const;
      expect(JSON.stringify(computeMetrics({ reference: a, test: b, grid: g, conventions, slices }))).toBe(
        JSON.stringify(computeMetrics({ reference: a, test: b, grid: g, conventions })),
      );
    }
  });

  it('refuses a range outside the grid or reversed, naming it', () => {
    const g = grid(4);
    const a = new Uint8Array(36);
    for (const bad of [
      [-1, 2],
      [2, 1],
      [0, 4],
      [0.5, 2],
    ] as const)
      expect(() => computeOverlap(a, a, g, bad)).toThrow(/slices is \[.*\]; it must be an inclusive range of slice indices within 0…3/);
  });
});
