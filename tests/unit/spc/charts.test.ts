import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cusumChart, estimateBaseline, ewmaChart, shewhartChart, SpcError, type SpcBaseline } from '@/lib/core/spc';

// Fixture: Rscript tests/reference/spc/make-spc-cases.R (from the repository root). The chart
// values there are computed in base R straight from the formulas in docs/monitoring.md.
interface Case {
  name: string;
  values: number[];
  baselineN: number;
  baseline: SpcBaseline;
  shewhart: { L: number; lcl: number; ucl: number; outOfControl: boolean[] }[];
  ewma: { lambda: number; L: number; statistic: number[]; lcl: number[]; ucl: number[]; outOfControl: boolean[] }[];
  cusum: { k: number; h: number; z: number[]; upper: number[]; lower: number[]; outOfControl: boolean[]; direction: ('up' | 'down' | null)[] }[];
}
const fx = JSON.parse(readFileSync(new URL('../../fixtures/spc/charts.json', import.meta.url), 'utf8')) as { cases: Case[] };

const TOL = 1e-9;
function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(expected)));
}

describe('control charts against the R recipe (base R from the formulas)', () => {
  it('has the R cases', () => expect(fx.cases.length).toBe(3));
  for (const c of fx.cases) {
    describe(c.name, () => {
      const b = estimateBaseline(c.values.slice(0, c.baselineN));
      it('baseline: mean, moving-range σ, n, MR̄', () => {
        close(b.mean, c.baseline.mean);
        close(b.sigma, c.baseline.sigma);
        close(b.movingRangeMean, c.baseline.movingRangeMean);
        expect(b.n).toBe(c.baseline.n);
      });
      for (const s of c.shewhart) {
        it(`Shewhart L = ${s.L}`, () => {
          const pts = shewhartChart(c.values, b, { L: s.L });
          expect(pts).toHaveLength(c.values.length);
          pts.forEach((p, i) => {
            expect(p.index).toBe(i);
            expect(p.value).toBe(c.values[i]);
            close(p.centre, c.baseline.mean);
            close(p.lcl, s.lcl);
            close(p.ucl, s.ucl);
            expect(p.outOfControl).toBe(s.outOfControl[i]);
          });
        });
      }
      for (const e of c.ewma) {
        it(`EWMA λ = ${e.lambda}, L = ${e.L}`, () => {
          const pts = ewmaChart(c.values, b, { lambda: e.lambda, L: e.L });
          pts.forEach((p, i) => {
            close(p.statistic, e.statistic[i]!);
            close(p.lcl, e.lcl[i]!);
            close(p.ucl, e.ucl[i]!);
            expect(p.outOfControl).toBe(e.outOfControl[i]);
          });
        });
      }
      for (const k of c.cusum) {
        it(`CUSUM k = ${k.k}, h = ${k.h}`, () => {
          const pts = cusumChart(c.values, b, { k: k.k, h: k.h });
          pts.forEach((p, i) => {
            close(p.z, k.z[i]!);
            close(p.upper, k.upper[i]!);
            close(p.lower, k.lower[i]!);
            expect(p.h).toBe(k.h);
            expect(p.outOfControl).toBe(k.outOfControl[i]);
            expect(p.direction).toBe(k.direction[i]);
          });
        });
      }
    });
  }
  it('the Dice series with a 20-study baseline signals the drop on every chart, and not before it', () => {
    const c = fx.cases[0]!;
    const b = estimateBaseline(c.values.slice(0, c.baselineN));
    const firstSignal = (flags: boolean[]): number => flags.indexOf(true);
    const ewma = firstSignal(ewmaChart(c.values, b).map((p) => p.outOfControl));
    const cusum = cusumChart(c.values, b);
    expect(ewma).toBeGreaterThanOrEqual(40);
    expect(firstSignal(cusum.map((p) => p.outOfControl))).toBeGreaterThanOrEqual(40);
    expect(cusum.find((p) => p.outOfControl)?.direction).toBe('down');
  });
});

describe('hand calculations', () => {
  it('baseline of 1, 3, 2, 5: mean 2.75, MR̄ = (2 + 1 + 3)/3 = 2, σ = 2/1.128', () => {
    const b = estimateBaseline([1, 3, 2, 5]);
    expect(b.n).toBe(4);
    expect(b.mean).toBeCloseTo(2.75, 14);
    expect(b.movingRangeMean).toBeCloseTo(2, 14);
    expect(b.sigma).toBeCloseTo(2 / 1.128, 14);
  });

  const b: SpcBaseline = { mean: 10, sigma: 2, n: 20, movingRangeMean: 2.256 };

  it('Shewhart, μ = 10, σ = 2, L = 3: limits 4 and 16; a point on a limit is in control', () => {
    const pts = shewhartChart([10, 17, 3.9, 16], b);
    expect(pts.map((p) => [p.lcl, p.ucl])).toEqual([
      [4, 16],
      [4, 16],
      [4, 16],
      [4, 16],
    ]);
    expect(pts.map((p) => p.outOfControl)).toEqual([false, true, true, false]);
  });

  it('EWMA, λ = 0.5, L = 3: z = 12, 15, 10.5; half-widths 6·sqrt(1/3·(1 − 0.25^i))', () => {
    const pts = ewmaChart([14, 18, 6], b, { lambda: 0.5, L: 3 });
    expect(pts.map((p) => p.statistic)).toEqual([12, 15, 10.5]);
    // i = 1: 6·sqrt(0.25) = 3; i = 2: 6·sqrt(0.3125); i = 3: 6·sqrt(0.328125)
    expect(pts[0]!.ucl).toBeCloseTo(13, 14);
    expect(pts[0]!.lcl).toBeCloseTo(7, 14);
    expect(pts[1]!.ucl).toBeCloseTo(10 + 6 * Math.sqrt(0.3125), 14);
    expect(pts[2]!.lcl).toBeCloseTo(10 - 6 * Math.sqrt(0.328125), 14);
    expect(pts.map((p) => p.outOfControl)).toEqual([false, true, false]);
    expect(pts.every((p) => p.centre === 10)).toBe(true);
  });

  it('EWMA defaults are λ = 0.2, L = 3', () => {
    const [p] = ewmaChart([20], b);
    expect(p!.statistic).toBeCloseTo(12, 14); // 0.2·20 + 0.8·10
    expect(p!.ucl).toBeCloseTo(10 + 6 * Math.sqrt((0.2 / 1.8) * (1 - 0.64)), 14);
  });

  it('CUSUM, k = 0.5, h = 2: C+ = 1.5, 2, 3, 0, 0; C− = 0, 0, 0, 2.5, 4; a sum equal to h does not signal', () => {
    const pts = cusumChart([14, 12, 13, 4, 6], b, { k: 0.5, h: 2 });
    expect(pts.map((p) => p.z)).toEqual([2, 1, 1.5, -3, -2]);
    expect(pts.map((p) => p.upper)).toEqual([1.5, 2, 3, 0, 0]);
    expect(pts.map((p) => p.lower)).toEqual([0, 0, 0, 2.5, 4]);
    expect(pts.map((p) => p.direction)).toEqual([null, null, 'up', 'down', 'down']);
    expect(pts.map((p) => p.outOfControl)).toEqual([false, false, true, true, true]);
  });

  it('CUSUM defaults are k = 0.5, h = 5, and there is no reset after a signal', () => {
    const pts = cusumChart([22, 22, 10], b);
    expect(pts.map((p) => p.upper)).toEqual([5.5, 11, 10.5]);
    expect(pts.every((p) => p.h === 5)).toBe(true);
    expect(pts.map((p) => p.outOfControl)).toEqual([true, true, true]);
  });
});

describe('bad input', () => {
  it('names too few baseline points, σ = 0 and non-finite values', () => {
    expect(() => estimateBaseline([0.8])).toThrow(SpcError);
    expect(() => estimateBaseline([0.8])).toThrow(/at least 2 points.*got 1/);
    expect(() => estimateBaseline([0.8, 0.8, 0.8])).toThrow(/σ is 0/);
    expect(() => estimateBaseline([0.8, Number.NaN, 0.7])).toThrow(/value 2 is NaN/);
    const b = estimateBaseline([1, 2, 1.5]);
    expect(() => shewhartChart([1, Number.POSITIVE_INFINITY], b)).toThrow(/value 2 is Infinity/);
  });
  it('names parameters out of range', () => {
    const b = estimateBaseline([1, 2, 1.5]);
    expect(() => ewmaChart([1], b, { lambda: 0 })).toThrow(/λ .* must be in \(0, 1\], got 0/);
    expect(() => ewmaChart([1], b, { lambda: 1.5 })).toThrow(/λ/);
    expect(() => shewhartChart([1], b, { L: -1 })).toThrow(/L .* positive number, got -1/);
    expect(() => cusumChart([1], b, { k: -0.1 })).toThrow(/k .* ≥ 0, got -0.1/);
    expect(() => cusumChart([1], b, { h: 0 })).toThrow(/h .* positive number, got 0/);
    expect(() => cusumChart([1], { ...b, sigma: 0 })).toThrow(/baseline σ must be a positive/);
  });
});
