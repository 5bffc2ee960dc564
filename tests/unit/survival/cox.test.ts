import { describe, expect, it } from 'vitest';
import { coxph } from '@/lib/core/survival/cox';
import { expectAllRel, expectRel, loadFixture } from './helpers';

// Fixture: Rscript tests/reference/survival/cox.R  (R 4.2.2, survival 3.5-3)
const fx = loadFixture('cox.json');

type Case = any;

function fitCase(c: Case) {
  const covs: string[] = Array.isArray(c.covariates) ? c.covariates : [c.covariates];
  const num = (v: (number | null)[]) => v.map((x) => (x === null ? NaN : x));
  return coxph(
    {
      time: num(c.data.time),
      event: num(c.data.event),
      covariates: covs.map((v) => num(c.data[v])),
      names: covs,
      strata: c.data.strata,
    },
    { ties: c.ties },
  );
}

describe('coxph against R survival::coxph', () => {
  for (const c of fx.cases as Case[]) {
    it(`${c.name}: ${c.call}`, () => {
      const fit = fitCase(c);
      expect(fit.n).toBe(c.n);
      expect(fit.nevent).toBe(c.nevent);
      expect(fit.converged).toBe(true);
      expect(fit.iterations).toBe(c.iter);
      expectAllRel(
        fit.coefficients.map((k) => k.coef),
        c.coef,
        1e-6,
        1e-12,
        'coef',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.se),
        c.se,
        1e-6,
        1e-12,
        'se',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.hr),
        c.hr,
        1e-6,
        1e-12,
        'hr',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.lower95),
        c.lower95,
        1e-6,
        1e-12,
        'lower95',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.upper95),
        c.upper95,
        1e-6,
        1e-12,
        'upper95',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.z),
        c.z,
        1e-6,
        1e-12,
        'z',
      );
      expectAllRel(
        fit.coefficients.map((k) => k.p),
        c.p,
        1e-6,
        1e-300,
        'p',
      );
      expectAllRel(fit.var.flat(), c.var, 1e-6, 1e-14, 'var');
      expectAllRel(fit.loglik, c.loglik, 1e-9, 0, 'loglik');
      // summary.coxph: logtest/waldtest/sctest = (test, df, pvalue)
      for (const [mine, r] of [
        [fit.logtest, c.logtest],
        [fit.waldtest, c.waldtest],
        [fit.sctest, c.sctest],
      ]) {
        expectRel(mine.chisq, r[0], 1e-6, 0, 'chisq');
        expect(mine.df).toBe(r[1]);
        expectRel(mine.p, r[2], 1e-6, 0, 'test p');
      }
      // concordance(fit) as stored in fit$concordance
      expect(fit.concordance.concordant).toBe(c.concordance.concordant);
      expect(fit.concordance.discordant).toBe(c.concordance.discordant);
      expect(fit.concordance.tiedX).toBe(c.concordance['tied.x']);
      expect(fit.concordance.tiedY).toBe(c.concordance['tied.y']);
      expect(fit.concordance.tiedXY).toBe(c.concordance['tied.xy']);
      expectRel(fit.concordance.concordance, c.concordance.concordance, 1e-12, 0, 'C');
      expectRel(fit.concordance.std, c.concordance.std, 1e-9, 0, 'C std');
      // cox.zph(fit, transform = "km")$table
      const zchisq = [...fit.zph!.terms.map((t) => t.chisq), fit.zph!.global.chisq];
      const zp = [...fit.zph!.terms.map((t) => t.p), fit.zph!.global.p];
      expectAllRel(zchisq, c.zph.chisq, 1e-6, 1e-12, 'zph chisq');
      expectAllRel(zp, c.zph.p, 1e-6, 1e-12, 'zph p');
    });
  }
});
