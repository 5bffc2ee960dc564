import { describe, expect, it } from 'vitest';
import { breathingFraction, createRng, displacementMm } from '@/lib/core/phantom';

describe('createRng', () => {
  it('is deterministic per seed, and forks are independent streams', () => {
    const a = createRng('x');
    const b = createRng('x');
    const sa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => createRng('y').next())).not.toEqual(sa);
    expect(createRng('x').fork('a').next()).not.toBe(createRng('x').fork('b').next());
    expect(createRng('x').fork('a').next()).toBe(createRng('x/a').next());
  });

  it('uniform and normal draws have the right moments (100,000 draws, 5 SE)', () => {
    const r = createRng(42);
    const n = 100_000;
    let su = 0,
      su2 = 0,
      sn = 0,
      sn2 = 0,
      sn4 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      su += u;
      su2 += u * u;
      const z = r.normal();
      sn += z;
      sn2 += z * z;
      sn4 += z ** 4;
    }
    expect(Math.abs(su / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(su2 / n - 1 / 3)).toBeLessThan(5 * Math.sqrt((1 / 5 - 1 / 9) / n));
    expect(Math.abs(sn / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(sn2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(sn4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
  });

  it('exponential draws have mean 1/rate', () => {
    const r = createRng('exp');
    let s = 0;
    for (let i = 0; i < 50_000; i++) s += r.exponential(0.25);
    expect(Math.abs(s / 50_000 - 4)).toBeLessThan(5 * (4 / Math.sqrt(50_000)));
  });
});

describe('breathing curve (Lujan cos²ⁿ)', () => {
  it('is 1 at end-inhale (0%), 0 at end-exhale (50%), symmetric, cos² at n = 1', () => {
    expect(breathingFraction(0)).toBe(1);
    expect(breathingFraction(50)).toBeCloseTo(0, 12);
    expect(breathingFraction(20)).toBeCloseTo(Math.cos(0.2 * Math.PI) ** 2, 12); // 0.6545
    expect(breathingFraction(20)).toBeCloseTo(0.654508, 6);
    expect(breathingFraction(10, 2)).toBeCloseTo(breathingFraction(90, 2), 12);
    expect(breathingFraction(30, 3)).toBeCloseTo(Math.cos(0.3 * Math.PI) ** 6, 12);
    expect(displacementMm([1, -2, -10], 0)).toEqual([1, -2, -10]);
  });
});
