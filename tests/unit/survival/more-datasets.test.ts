import { describe, expect, it } from 'vitest';
import { coxph } from '@/lib/core/survival/cox';
import { kaplanMeier } from '@/lib/core/survival/km';
import { logRankTest } from '@/lib/core/survival/logrank';
import { sortLevels } from '@/lib/core/survival/design';
import { cumulativeIncidence } from '@/lib/core/survival/cuminc';
import { fineGray } from '@/lib/core/survival/fine-gray';
import { expectAllRel, expectRel, loadFixture } from './helpers';

// Fixture: Rscript tests/reference/survival/more-datasets.R (R 4.2.2, survival 3.5-3, cmprsk 2.2-11);
// each case carries its R call.
const fx = loadFixture('more.json');
const num = (v: (number | null)[]) => v.map((x) => (x === null ? NaN : x));

describe('more R datasets: coxph', () => {
  for (const c of fx.cox) {
    it(`${c.name}: ${c.call}`, () => {
      const fit = coxph(
        {
          time: num(c.data.time),
          event: num(c.data.event),
          covariates: c.covariates.map((v: string) => num(c.data[v])),
          names: c.covariates,
          strata: c.data.strata,
        },
        { ties: c.ties, terms: c.terms },
      );
      expect(fit.n).toBe(c.n);
      expect(fit.nevent).toBe(c.nevent);
      expect(fit.iterations).toBe(c.iter);
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
      expectAllRel(
        fit.coefficients.map((k) => k.p),
        c.p,
        1e-6,
        1e-300,
        'p',
      );
      expectAllRel(fit.loglik, c.loglik, 1e-9, 0, 'loglik');
      expectRel(fit.logtest.chisq, c.logtest[0], 1e-6, 0, 'LR');
      expectRel(fit.waldtest.chisq, c.waldtest[0], 1e-6, 0, 'Wald');
      expectRel(fit.sctest.chisq, c.sctest[0], 1e-6, 0, 'score');
      expect([fit.concordance.concordant, fit.concordance.discordant, fit.concordance.tiedX, fit.concordance.tiedY, fit.concordance.tiedXY]).toEqual([
        c.concordance.concordant,
        c.concordance.discordant,
        c.concordance['tied.x'],
        c.concordance['tied.y'],
        c.concordance['tied.xy'],
      ]);
      expectRel(fit.concordance.std, c.concordance.std, 1e-9, 0, 'C std');
      expectAllRel([...fit.zph!.terms.map((t) => t.chisq), fit.zph!.global.chisq], c.zph.chisq, 1e-6, 0, 'zph chisq');
    });
  }
});

describe('more R datasets: survfit and survdiff', () => {
  for (const c of fx.km) {
    it(`survfit(Surv(time, event) ~ 1): ${c.name}`, () => {
      const km = kaplanMeier(c.data.time, c.data.event);
      expectAllRel(km.time, c.time, 1e-15, 0, 'time');
      expect(km.nRisk).toEqual(c['n.risk']);
      expect(km.nEvent).toEqual(c['n.event']);
      expectAllRel(km.surv, c.surv, 1e-12, 0, 'surv');
      expectAllRel(
        km.stdErrLog.map((v) => v ?? NaN),
        c['std.err'],
        1e-10,
        0,
        'std.err',
      );
      expectAllRel(
        km.lower95.map((v) => v ?? NaN),
        c.lower,
        1e-10,
        0,
        'lower',
      );
      expect([km.median, km.medianLower95, km.medianUpper95]).toEqual([c.median, c.lcl, c.ucl]);
    });
  }
  for (const c of fx.logrank) {
    it(`survdiff(Surv(time, event) ~ group): ${c.name}`, () => {
      // R keeps a factor's own level order (colon's rx: Obs, Lev, Lev+5FU)
      const groups: string[] = c.groups;
      expect([...groups].sort()).toEqual(sortLevels(c.data.group).sort());
      const r = logRankTest(c.data.time, c.data.event, c.data.group, groups);
      expect(r.observed).toEqual(c.obs);
      expectAllRel(r.expected, c.exp, 1e-10, 0, 'expected');
      expectRel(r.chisq, c.chisq, 1e-9, 0, 'chisq');
      expectRel(r.p, c.p, 1e-8, 0, 'p');
    });
  }
});

describe('more R datasets: competing risks (mgus2)', () => {
  const c = fx.competing;
  it('cuminc(etime, event, sex) and Gray test', () => {
    const r = cumulativeIncidence(c.data.time, c.data.status, c.data.group);
    for (const rc of c.curves) {
      const mine = r.curves.find((k) => k.group === rc.group && k.cause === rc.cause)!;
      expect(mine.time).toEqual(rc.time);
      expectAllRel(mine.est, rc.est, 1e-10, 0, 'est');
      expectAllRel(mine.var, rc.var, 1e-8, 1e-15, 'var');
    }
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
  });
  it('crr(etime, event, cbind(age, male))', () => {
    const fit = fineGray({ time: c.data.time, status: c.data.status, covariates: [c.data.age, c.data.male], names: ['age', 'male'] });
    expect(fit.converged).toBe(c.crr.converged);
    expectAllRel(
      fit.coefficients.map((k) => k.coef),
      c.crr.coef,
      1e-6,
      0,
      'coef',
    );
    expectAllRel(
      fit.coefficients.map((k) => k.se),
      c.crr.se,
      1e-6,
      0,
      'se',
    );
    expectRel(fit.loglik, c.crr.loglik, 1e-9, 0, 'loglik');
  });
});
