import { describe, expect, it } from 'vitest';
import { cumulativeIncidence } from '@/lib/core/survival/cuminc';
import { fineGray } from '@/lib/core/survival/fine-gray';
import { causeSpecificCox } from '@/lib/core/survival/cause-specific';
import { expectAllRel, expectRel, loadFixture } from './helpers';

// Fixture: Rscript tests/reference/survival/competing.R  (cmprsk 2.2-11, survival 3.5-3)
const fx = loadFixture('competing.json');

describe('competing risks against cmprsk', () => {
  for (const c of fx.cases) {
    it(`cuminc(time, status, group): ${c.name}`, () => {
      const r = cumulativeIncidence(c.data.time, c.data.status, c.data.group);
      expect(r.curves.length).toBe(c.curves.length);
      for (const rc of c.curves) {
        const mine = r.curves.find((k) => k.group === rc.group && k.cause === rc.cause)!;
        expect(mine, `${rc.group} ${rc.cause}`).toBeDefined();
        expect(mine.time).toEqual(rc.time);
        expectAllRel(mine.est, rc.est, 1e-10, 0, `est ${rc.group} ${rc.cause}`);
        expectAllRel(mine.var, rc.var, 1e-8, 1e-15, `var ${rc.group} ${rc.cause}`);
        expect(mine.maxTime).toBe(rc.maxTime);
      }
      // cuminc(...)$Tests: stat, pv (R computes 1 - pchisq, so compare p with an absolute floor)
      expect(r.tests!.map((t) => t.cause)).toEqual(c.tests.cause);
      expectAllRel(
        r.tests!.map((t) => t.stat),
        c.tests.stat,
        1e-8,
        0,
        'Gray stat',
      );
      expectAllRel(
        r.tests!.map((t) => t.p),
        c.tests.pv,
        1e-7,
        1e-15,
        'Gray p',
      );
      expect(r.tests!.map((t) => t.df)).toEqual(c.tests.df);
    });
    it(`crr(time, status, cbind(x1, x2)): ${c.name}`, () => {
      const fit = fineGray({ time: c.data.time, status: c.data.status, covariates: [c.data.x1, c.data.x2], names: ['x1', 'x2'] });
      expect(fit.converged).toBe(c.crr.converged);
      expectAllRel(
        fit.coefficients.map((k) => k.coef),
        c.crr.coef,
        1e-6,
        0,
        'crr coef',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.se),
        c.crr.se,
        1e-6,
        0,
        'crr se',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.p),
        c.crr.p,
        1e-6,
        0,
        'crr p',
      );
      expectAllRel(fit.var.flat(), c.crr.var, 1e-6, 1e-14, 'crr var');
      expectRel(fit.loglik, c.crr.loglik, 1e-9, 0, 'crr loglik');
      expectRel(fit.loglikNull, c.crr.loglikNull, 1e-12, 0, 'crr loglik.null');
    });
    it(`cause-specific coxph(Surv(time, status == 1) ~ x1 + x2): ${c.name}`, () => {
      const fit = causeSpecificCox({ time: c.data.time, status: c.data.status, covariates: [c.data.x1, c.data.x2], names: ['x1', 'x2'] }, 1);
      expectAllRel(
        fit.coefficients.map((k) => k.coef),
        c.causeSpecificCox.coef,
        1e-6,
        0,
        'cs coef',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.se),
        c.causeSpecificCox.se,
        1e-6,
        0,
        'cs se',
      );
      expectAllRel(fit.loglik, c.causeSpecificCox.loglik, 1e-9, 0, 'cs loglik');
    });
  }
});

describe('crr with subjects at time 0', () => {
  // Fixture: end of tests/reference/survival/competing.R — crr(time, status, cbind(x1, x2)) where
  // six subjects have time 0 (crr then uses the censoring KM at 0 itself, not G(0−) = 1)
  const c = loadFixture('crr-time-zero.json');
  it(c.call, () => {
    const fit = fineGray({ time: c.data.time, status: c.data.status, covariates: [c.data.x1, c.data.x2], names: ['x1', 'x2'] });
    expectAllRel(
      fit.coefficients.map((k) => k.coef),
      c.coef,
      1e-6,
      0,
      'coef',
    );
    expectAllRel(
      fit.coefficients.map((k) => k.se),
      c.se,
      1e-6,
      0,
      'se',
    );
    expectRel(fit.loglik, c.loglik, 1e-9, 0, 'loglik');
  });
});
