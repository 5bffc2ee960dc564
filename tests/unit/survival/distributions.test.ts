import { describe, it } from 'vitest';
import { pchisqUpper, pnorm, twoSidedNormalP } from '@/lib/core/survival/distributions';
import { expectRel } from './helpers';

// Values from R 4.2.2: sprintf('%.17g', pchisq(x, df, lower.tail = FALSE)) and pnorm(z)
describe('tail probabilities against R', () => {
  it('pchisq(x, df, lower.tail = FALSE)', () => {
    expectRel(pchisqUpper(200, 3), 4.2185411071920418e-43, 1e-10, 0, 'pchisq(200, 3)');
    expectRel(pchisqUpper(0.5, 1), 0.47950012218695348, 1e-12, 0, 'pchisq(0.5, 1)');
    expectRel(pchisqUpper(30.5, 3), 1.0831686754579122e-6, 1e-12, 0, 'pchisq(30.5, 3)');
    expectRel(pchisqUpper(1e-8, 2), 0.99999999500000003, 1e-14, 0, 'pchisq(1e-8, 2)');
  });
  it('pnorm(z)', () => {
    expectRel(pnorm(-10), 7.6198530241605269e-24, 1e-10, 0, 'pnorm(-10)');
    expectRel(pnorm(-0.3), 0.38208857781104733, 1e-13, 0, 'pnorm(-0.3)');
    expectRel(pnorm(1.5), 0.93319279873114191, 1e-14, 0, 'pnorm(1.5)');
    expectRel(twoSidedNormalP(-38), 0, 0, 1e-300, '2 * pnorm(-38)');
  });
});
