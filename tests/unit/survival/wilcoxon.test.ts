import { describe, expect, it } from 'vitest';
import { wilcoxonSignedRank } from '@/lib/core/survival/wilcoxon';
import { expectRel, loadFixture } from './helpers';

// Fixture: Rscript tests/reference/survival/km-logrank-wilcoxon.R
// each case: w <- wilcox.test(x, y, paired = TRUE); V = w$statistic, p = w$p.value
const fx = loadFixture('wilcoxon.json');

describe('wilcoxonSignedRank against wilcox.test(x, y, paired = TRUE)', () => {
  for (const c of fx.cases) {
    it(`${c.name} (${c.method})`, () => {
      const r = wilcoxonSignedRank(c.x, c.y);
      expect(r.statistic).toBe(c.V);
      expect(r.method).toBe(c.method.includes('exact') ? 'exact' : 'normal');
      expectRel(r.p, c.p, 1e-9, 0, 'p');
    });
  }
  it('rejects unequal lengths and all-zero differences with INVALID_INPUT', () => {
    expect(() => wilcoxonSignedRank([1, 2], [1])).toThrow(/differ in length/);
    expect(() => wilcoxonSignedRank([1, 2], [1, 2])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
