/** DVH and dose metrics (lib/core/dose/dose-metrics.ts) on samples whose answers are known by hand. */
import { describe, expect, it } from 'vitest';
import { computeDoseMetrics, DoseError } from '@/lib/core/dose';

describe('computeDoseMetrics', () => {
  // 100 voxels of 0.1 cc with doses 1, 2, …, 100 Gy (shuffled).
  const doses = Float32Array.from({ length: 100 }, (_, n) => ((n * 37) % 100) + 1);
  const m = computeDoseMetrics({ doses, voxelVolumeCc: 0.1, prescription: 80, binWidth: 1 });

  it('volume, Dmin, Dmean, Dmax', () => {
    expect(m.voxels).toBe(100);
    expect(m.volumeCc).toBeCloseTo(10, 9);
    expect(m.dmin).toBe(1);
    expect(m.dmax).toBe(100);
    expect(m.dmean).toBeCloseTo(50.5, 9);
  });

  it('Dx: the minimum dose of the hottest x % (no binning)', () => {
    // hottest 2 voxels are 100, 99 → D2 = 99; hottest 50 → 51; hottest 95 → 6; hottest 98 → 3.
    expect(m.d2).toBe(99);
    expect(m.d50).toBe(51);
    expect(m.d95).toBe(6);
    expect(m.d98).toBe(3);
  });

  it('V95 % and V100 % of the prescription (a voxel at the threshold counts)', () => {
    // ≥ 76 Gy: 76…100 = 25 voxels; ≥ 80 Gy: 21 voxels.
    expect(m.v95Percent).toBeCloseTo(25, 9);
    expect(m.v100Percent).toBeCloseTo(21, 9);
  });

  it('cumulative DVH from 100 % at 0 to 0 % above Dmax', () => {
    expect(m.dvh.dose[0]).toBe(0);
    expect(m.dvh.volumePercent[0]).toBe(100);
    expect(m.dvh.dose.at(-1)).toBe(101);
    expect(m.dvh.volumePercent.at(-1)).toBe(0);
    expect(m.dvh.volumeCc[80]).toBeCloseTo(2.1, 9); // ≥ 80 Gy
    for (let b = 1; b < m.dvh.volumeCc.length; b++) expect(m.dvh.volumeCc[b]!).toBeLessThanOrEqual(m.dvh.volumeCc[b - 1]!);
  });

  it('no prescription → V95/V100 null; empty structure → nulls; outside volume reported', () => {
    const a = computeDoseMetrics({ doses, voxelVolumeCc: 0.1 });
    expect(a.v95Percent).toBeNull();
    const e = computeDoseMetrics({ doses: new Float32Array(0), voxelVolumeCc: 0.1, prescription: 60, outside: 0 });
    expect(e).toMatchObject({ voxels: 0, volumeCc: 0, dmin: null, dmean: null, d95: null, v95Percent: null });
    const o = computeDoseMetrics({ doses: new Float32Array([0, 0, 5]), voxelVolumeCc: 0.5, outside: 2 });
    expect(o.outsideVolumeCc).toBe(1);
  });

  it('bad input names what to check', () => {
    expect(() => computeDoseMetrics({ doses, voxelVolumeCc: 0.1, prescription: 0 })).toThrow(DoseError);
    expect(() => computeDoseMetrics({ doses, voxelVolumeCc: 0.1, prescription: -1 })).toThrow(/--prescription-gy/);
    expect(() => computeDoseMetrics({ doses: new Float32Array([1, NaN]), voxelVolumeCc: 0.1 })).toThrow(/non-finite/);
  });
});

describe('Dx and the DVH without a full sort agree with the sorted definition', () => {
  it('random doses (some negative, many ties), several bin widths', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const binWidth of [0.01, 0.37, 5]) {
      const doses = Float32Array.from({ length: 20_001 }, (_, n) => (n % 5 === 0 ? 42 : (rnd() - 0.05) * 70));
      const m = computeDoseMetrics({ doses, voxelVolumeCc: 1, binWidth, prescription: 50 });
      const asc = Float32Array.from(doses).sort();
      const n = asc.length;
      const dx = (x: number) => asc[n - Math.max(1, Math.ceil((x / 100) * n - 1e-9))];
      expect([m.d98, m.d95, m.d50, m.d2]).toEqual([dx(98), dx(95), dx(50), dx(2)]);
      expect(m.dmin).toBe(asc[0]);
      expect(m.dmax).toBe(asc[n - 1]);
      expect(m.v95Percent).toBeCloseTo((100 * asc.filter((v) => v >= 47.5).length) / n, 9);
      m.dvh.dose.forEach((d, b) => expect(m.dvh.volumeCc[b]).toBe(asc.filter((v) => v >= d - 1e-9 * binWidth).length));
    }
  });
});

describe('Dx in a DVH bin holding hundreds of thousands of samples (sub-bin search)', () => {
  it('equals the sorted definition', () => {
    let seed = 5;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const doses = Float32Array.from({ length: 300_000 }, (_, n) => (n % 7 === 0 ? 10.004 : 10 + rnd() * 0.0099));
    const m = computeDoseMetrics({ doses, voxelVolumeCc: 1, binWidth: 0.01 });
    const asc = Float32Array.from(doses).sort();
    const n = asc.length;
    const dx = (x: number) => asc[n - Math.max(1, Math.ceil((x / 100) * n - 1e-9))];
    expect([m.d98, m.d95, m.d50, m.d2]).toEqual([dx(98), dx(95), dx(50), dx(2)]);
  });
});

describe('Dx among millions of near-zero doses (nested sub-bins)', () => {
  it('equals the sorted definition', () => {
    let seed = 9;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const doses = Float32Array.from({ length: 400_000 }, (_, n) => (n % 50 === 0 ? 30 + rnd() : 1e-6 * Math.exp(-8 * rnd())));
    const m = computeDoseMetrics({ doses, voxelVolumeCc: 1, binWidth: 0.01 });
    const asc = Float32Array.from(doses).sort();
    const n = asc.length;
    const dx = (x: number) => asc[n - Math.max(1, Math.ceil((x / 100) * n - 1e-9))];
    expect([m.d98, m.d95, m.d50, m.d2]).toEqual([dx(98), dx(95), dx(50), dx(2)]);
  });
});

describe('Dx in bin 0 holding exact zeros (a structure partly outside the dose grid)', () => {
  it('equals the sorted definition on each side of the zeros, with and without tiny negative doses', () => {
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // 60 % zeros, 15 % in (0, 0.01) (bin 0 too), the rest hot: D98, D95 and D50 fall among the
    // zeros or the small doses depending on the share of zeros.
    for (const zeroShare of [0.6, 0.97, 0.45, 0.3])
      for (const tinyNegative of [false, true]) {
        const doses = Float32Array.from({ length: 100_003 }, () => {
          const r = rnd();
          if (r < zeroShare) return 0;
          if (r < zeroShare + 0.15) return 0.0099 * rnd();
          return 40 + 25 * rnd();
        });
        // 5 % at −1e-13: in bin 0 (floor(d / w + 1e-9) = 0), below the zeros (D98 is one of them).
        if (tinyNegative) for (let n = 0; n < doses.length; n += 20) doses[n] = -1e-13;
        const m = computeDoseMetrics({ doses, voxelVolumeCc: 1, binWidth: 0.01 });
        const asc = Float32Array.from(doses).sort();
        const n = asc.length;
        const dx = (x: number) => asc[n - Math.max(1, Math.ceil((x / 100) * n - 1e-9))];
        expect([m.d98, m.d95, m.d50, m.d2], `zeros ${zeroShare}, negative ${tinyNegative}`).toEqual([dx(98), dx(95), dx(50), dx(2)]);
      }
  });
});
