import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wilcoxonSignedRank } from '@/lib/core/stats/wilcoxon-signed-rank';

// Fixture: Rscript tests/reference/stats/wilcoxon-signed-rank.R (from the repository root);
// each case is w <- wilcox.test(x, y, paired = TRUE) with V = w$statistic, p = w$p.value.
const fx = JSON.parse(readFileSync(new URL('./wilcoxon-signed-rank.fixture.json', import.meta.url), 'utf8')) as {
  cases: { name: string; x: number[]; y: number[]; V: number; p: number; method: string; exact: boolean }[];
};

describe('wilcoxonSignedRank against R wilcox.test(x, y, paired = TRUE)', () => {
  it('has the R cases', () => expect(fx.cases.length).toBeGreaterThanOrEqual(7));
  for (const c of fx.cases) {
    it(`${c.name}: ${c.method}`, () => {
      const r = wilcoxonSignedRank(c.x, c.y);
      expect(r.statistic).toBe(c.V);
      expect(r.method).toBe(c.exact ? 'exact' : 'normal');
      expect(Math.abs(r.p - c.p) / c.p).toBeLessThan(1e-9);
    });
  }
  it('counts dropped zero differences and names bad input', () => {
    const c = fx.cases.find((x) => x.name.startsWith('zero'))!;
    expect(wilcoxonSignedRank(c.x, c.y)).toMatchObject({ nZeros: 3, n: 4 });
    expect(() => wilcoxonSignedRank([1, Number.NaN], [1, 2])).toThrow(/Pair 2 has a missing or non-finite value/);
  });
});
