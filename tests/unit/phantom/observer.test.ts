import { describe, expect, it } from 'vitest';
import type { Vec3 } from '@/lib/core/volume';
import { approxSignedDistanceMm, createRng, insideUnion, jitterAt, phantomGrid, physicianMask, sampleJitterField, type Ellipsoid } from '@/lib/core/phantom';

const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const sphere = (r: number, c: Vec3 = [0, 0, 0]): Ellipsoid => ({ centreMm: c, semiAxesMm: [r, r, r], rotation: I });
const noJitter = { amplitudeMm: 0, waves: [] };
const count = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);

describe('approxSignedDistanceMm', () => {
  it('is exact for a sphere, inside and outside', () => {
    expect(approxSignedDistanceMm([sphere(10)], 13, 0, 0)).toBeCloseTo(3, 12);
    expect(approxSignedDistanceMm([sphere(10)], 0, -4, 3)).toBeCloseTo(-5, 12);
    expect(approxSignedDistanceMm([sphere(10)], 0, 0, 0)).toBe(-10);
  });

  it('has the exact sign for a rotated ellipsoid, and is exact on its axes', () => {
    const c = Math.cos(0.7),
      s = Math.sin(0.7);
    const e: Ellipsoid = { centreMm: [1, 2, 3], semiAxesMm: [12, 6, 4], rotation: [c, -s, 0, s, c, 0, 0, 0, 1] };
    const r = createRng('sd');
    for (let n = 0; n < 2000; n++) {
      const p: Vec3 = [r.uniform(-15, 15), r.uniform(-15, 15), r.uniform(-10, 10)];
      expect(approxSignedDistanceMm([e], ...p) <= 0).toBe(insideUnion([e], ...p));
    }
    // 2 mm beyond the end of the long axis: distance 2.
    expect(approxSignedDistanceMm([e], 1 + 14 * c, 2 + 14 * s, 3)).toBeCloseTo(2, 10);
  });
});

describe('physicianMask', () => {
  const grid = phantomGrid([41, 41, 41], [1, 1, 1]);
  const truth = () => {
    const out = new Uint8Array(41 ** 3);
    for (let k = 0; k < 41; k++)
      for (let j = 0; j < 41; j++)
        for (let i = 0; i < 41; i++) {
          if (insideUnion([sphere(10)], i - 20, j - 20, k - 20)) out[i + 41 * (j + 41 * k)] = 1;
        }
    return out;
  };
  const base = { grid, perceived: [sphere(10)], centreMm: [0, 0, 0] as Vec3, boundingRadiusMm: 10, field: noJitter, sliceOffsetsMm: [] };

  it('with zero margin equals the ground truth voxel-centre mask exactly', () => {
    expect(physicianMask({ ...base, biasMm: 0 })).toEqual(truth());
  });

  // Margins avoid exact ties (integer points at exactly r mm), where rounding would decide.
  it('bias ±2 mm dilates/erodes a 10 mm sphere to the voxel-centre count of a 12/8 mm sphere', () => {
    const ballCount = (r: number) => {
      let c = 0;
      for (let k = -20; k <= 20; k++) for (let j = -20; j <= 20; j++) for (let i = -20; i <= 20; i++) if (i * i + j * j + k * k <= r * r) c++;
      return c;
    };
    expect(count(physicianMask({ ...base, biasMm: 2.05 }))).toBe(ballCount(12.05));
    expect(count(physicianMask({ ...base, biasMm: -1.95 }))).toBe(ballCount(8.05));
    expect(ballCount(12.05)).toBeGreaterThan(ballCount(11.95));
    expect(count(physicianMask({ ...base, biasMm: -2.95, minMarginMm: -0.95 }))).toBe(ballCount(9.05));
  });

  it('per-slice offsets act slice by slice', () => {
    const offsets = new Float64Array(41);
    offsets[20] = 3.05; // central slice: radius 13.05 in that slice only
    const m = physicianMask({ ...base, biasMm: 0, sliceOffsetsMm: offsets });
    const t = truth();
    let diffOutside = 0;
    let inSlice = 0;
    for (let n = 0; n < m.length; n++) {
      const k = Math.floor(n / (41 * 41));
      if (k !== 20 && m[n] !== t[n]) diffOutside++;
      if (k === 20) inSlice += m[n];
    }
    expect(diffOutside).toBe(0);
    let disc = 0;
    for (let j = -20; j <= 20; j++) for (let i = -20; i <= 20; i++) if (i * i + j * j <= 13.05 ** 2) disc++;
    expect(inSlice).toBe(disc);
  });

  it('a missed lobe is left out: perceiving only the main body removes the lobe extension', () => {
    const lobe = sphere(5, [10, 0, 0]);
    const m = physicianMask({ ...base, perceived: [sphere(10)], biasMm: 0 });
    expect(m[35 + 41 * (20 + 41 * 20)]).toBe(0); // x = 15 mm: only in the lobe
    expect(insideUnion([sphere(10), lobe], 14, 0, 0)).toBe(true);
  });
});

describe('jitter field', () => {
  it('has zero mean and SD equal to its amplitude over space (averaged over 200 fields)', () => {
    const r = createRng('field');
    let s = 0,
      s2 = 0,
      n = 0;
    for (let f = 0; f < 200; f++) {
      const field = sampleJitterField(r, 1.5);
      for (let p = 0; p < 50; p++) {
        const v = jitterAt(field, r.uniform(-100, 100), r.uniform(-100, 100), r.uniform(-100, 100));
        s += v;
        s2 += v * v;
        n++;
      }
    }
    expect(Math.abs(s / n)).toBeLessThan(0.1);
    expect(Math.sqrt(s2 / n)).toBeGreaterThan(1.35);
    expect(Math.sqrt(s2 / n)).toBeLessThan(1.65);
  });
});
