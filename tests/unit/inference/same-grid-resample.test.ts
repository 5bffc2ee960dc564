/**
 * Resampling onto the source's own grid copies the voxels instead of interpolating them
 * (lib/core/inference/resample.ts), and modelGridFor keeps a CT's spacing when it already is the
 * target spacing up to a thousandth of a voxel over the axis. The copy must give the same bytes
 * as the trilinear formula. The formula is forced here by moving the target grid's origin by
 * 1e-300 mm: the index map is then no longer exactly the identity, but every index and weight
 * still rounds to the same doubles (1e-300 vanishes next to any voxel index ≥ 1 and, at index 0,
 * next to any value ≥ 1e-30), so the trilinear path computes the same numbers the slow way.
 */
import { describe, expect, it } from 'vitest';
import { type Grid, IDENTITY_DIRECTION, type Vec3 } from '@/lib/core/volume';
import { modelGridFor, SAME_SPACING_VOXELS } from '@/lib/core/inference/model-grid';
import { resampleProbabilityToMask, resampleTrilinear } from '@/lib/core/inference/resample';
import { generatePatient, samplePatientSpec } from '@/lib/core/phantom';

const DIMS: Vec3 = [9, 7, 5];
const grid: Grid = { dims: DIMS, spacingMm: [3.33333333333333, 3.33333333333333, 4], originMm: [-150, -150, -96], direction: IDENTITY_DIRECTION };
/** The same grid, nudged so that resampling takes the general trilinear path. */
const nudged: Grid = { ...grid, originMm: [grid.originMm[0] + 1e-300, grid.originMm[1], grid.originMm[2]] };
const n = DIMS[0] * DIMS[1] * DIMS[2];

/** Values in [1e-30, 1] with, at the last voxel of every row, a value 30 orders of magnitude from its neighbour's. */
function probabilities(seed = 7): Float32Array {
  const data = new Float32Array(n);
  let s = seed;
  for (let v = 0; v < n; v++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    data[v] = 1e-30 + s / 2 ** 31;
  }
  for (let v = DIMS[0] - 1; v < n; v += DIMS[0]) {
    data[v] = v % 2 ? 1e-30 : 0.9;
    data[v - 1] = v % 2 ? 0.9 : 1e-30;
  }
  return data;
}

const bytes = (a: Float32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('resampling onto the same grid', () => {
  it('copies an integer CT exactly', () => {
    const ct = new Int16Array(n).map((_, v) => ((v * 7919) % 2400) - 1000);
    const out = resampleTrilinear({ grid, data: ct }, grid);
    expect(Array.from(out.data)).toEqual(Array.from(ct));
    expect(bytes(out.data)).toBe(bytes(resampleTrilinear({ grid, data: ct }, nudged).data));
  });

  it('gives the trilinear formula’s bytes for float values, the last voxels of each axis included', () => {
    const data = probabilities();
    const same = resampleTrilinear({ grid, data }, grid).data;
    const general = resampleTrilinear({ grid, data }, nudged).data;
    expect(bytes(same)).toBe(bytes(general));
    // At the last voxel the formula is a + 1·(b − a), which is not b when a and b are 30 orders
    // of magnitude apart: the copy must not take that voxel.
    const last = 2 * DIMS[0] - 1; // the last voxel of row j = 1 (odd: 1e-30 after 0.9)
    expect(data[last - 1]).toBe(Math.fround(0.9));
    expect(same[last]).toBe(0);
    expect(data[last]).not.toBe(0);
  });

  it('falls back to the formula when a value is NaN, infinite or −0', () => {
    for (const bad of [NaN, Infinity, -0]) {
      const data = probabilities(11);
      data[DIMS[0] + 3] = bad;
      expect(bytes(resampleTrilinear({ grid, data }, grid).data)).toBe(bytes(resampleTrilinear({ grid, data }, nudged).data));
    }
  });

  it('thresholds a probability map on its own grid with the formula’s mask, count, mean and maximum', () => {
    const data = probabilities(3);
    const same = resampleProbabilityToMask({ grid, data }, grid, 0.5);
    const general = resampleProbabilityToMask({ grid, data }, nudged, 0.5);
    expect(bytes(same.mask.data)).toBe(bytes(general.mask.data));
    expect(same.voxels).toBeGreaterThan(0);
    expect([same.voxels, same.meanProbabilityInMask, same.maxProbability]).toEqual([general.voxels, general.meanProbabilityInMask, general.maxProbability]);
  });
});

describe('modelGridFor: a CT already at the target spacing', () => {
  const target: Vec3 = [320 / 96, 320 / 96, 4];

  it('keeps the CT grid when the spacing differs only in the digits DICOM keeps ("3.33333333333333")', () => {
    const ct: Grid = { ...grid, dims: [96, 96, 48] };
    expect(target[0]).not.toBe(ct.spacingMm[0]);
    expect(modelGridFor(ct, target)).toEqual(ct);
  });

  it('uses the target spacing once the drift over the axis exceeds a thousandth of a voxel', () => {
    const nx = 512;
    const t = 0.9765625;
    const inside = t + (0.99 * SAME_SPACING_VOXELS * t) / nx;
    const outside = t + (1.01 * SAME_SPACING_VOXELS * t) / nx;
    const at = (s: number): Grid => ({ dims: [nx, nx, 10], spacingMm: [s, t, 2.5], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION });
    expect(modelGridFor(at(inside), [t, t, 2.5]).spacingMm).toEqual([inside, t, 2.5]);
    const m = modelGridFor(at(outside), [t, t, 2.5]);
    expect(m.spacingMm).toEqual([t, t, 2.5]);
    expect(m.dims).toEqual([nx + 1, nx, 10]); // the target grid covers the CT's slightly longer axis
  });

  it('resamples a phantom CT at "3.33333333333333" mm to within 1e-3 HU of the target-spacing interpolation it replaces', () => {
    const spacingMm: Vec3 = [3.33333333333333, 3.33333333333333, 4];
    const patient = generatePatient(samplePatientSpec('demo-heldout', 0), { dims: [96, 96, 48], spacingMm, phasePercents: [0] });
    const ct = patient.phases[0]!.ct!;
    const snapped = modelGridFor(ct.grid, target);
    expect(snapped).toEqual(ct.grid);
    const copied = resampleTrilinear(ct, snapped).data;
    const interpolated = resampleTrilinear(ct, { ...snapped, spacingMm: [...target] }).data;
    let worst = 0;
    for (let v = 0; v < copied.length; v++) worst = Math.max(worst, Math.abs(copied[v]! - interpolated[v]!));
    expect(worst).toBeLessThan(1e-3);
  });
});
