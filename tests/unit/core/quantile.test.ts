import { describe, expect, it } from 'vitest';
import { median, quantile } from '../../../lib/core/stats/quantile';

describe('quantile (R type 7 / numpy linear)', () => {
  // R: quantile(c(1, 2, 4, 7, 11), c(0, .25, .5, .9, 1)) -> 1, 2, 4, 9.4, 11
  it('matches R on a small sample', () => {
    const x = [1, 2, 4, 7, 11];
    expect([0, 0.25, 0.5, 0.9, 1].map((p) => quantile(x, p))).toEqual([1, 2, 4, 9.4, 11].map((v) => expect.closeTo(v, 12)));
    expect(median([1, 2, 3, 4])).toBe(2.5);
  });
  it('refuses an empty sample and a probability outside [0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(/empty/);
    expect(() => quantile([1], 1.5)).toThrow(/\[0, 1\]/);
  });
});
