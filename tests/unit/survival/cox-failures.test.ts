import { describe, expect, it } from 'vitest';
import { coxph } from '@/lib/core/survival/cox';
import { buildDesignMatrix } from '@/lib/core/survival/design';
import { expectAllRel, expectRel, loadFixture } from './helpers';

const time = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/** No NaN anywhere; coef, SE, z, p and the tests finite (a CI bound of a diverging HR may be ∞). */
function allFinite(fit: ReturnType<typeof coxph>): boolean {
  if (fit.coefficients.some((c) => [c.hr, c.lower95, c.upper95].some(Number.isNaN))) return false;
  const nums = [...fit.coefficients.flatMap((c) => [c.coef, c.se, c.z, c.p]), ...fit.loglik, fit.logtest.chisq, fit.waldtest.chisq, fit.sctest.chisq];
  return nums.every(Number.isFinite);
}

describe('coxph failure modes', () => {
  it('complete separation: warns MONOTONE_LIKELIHOOD naming the covariate, never NaN', () => {
    // R: coxph(Surv(time, event) ~ g + z, d2) warns "Loglik converged before variable 1;
    // coefficient may be infinite" (coef g = 21.9, 19 iterations)
    const fit = coxph({
      time,
      event: [1, 1, 1, 1, 1, 1, 1, 0, 1, 0],
      covariates: [
        [1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
        [1, 0, 1, 0, 0, 1, 0, 1, 1, 0],
      ],
      names: ['g', 'z'],
    });
    const w = fit.warnings.find((x) => x.code === 'MONOTONE_LIKELIHOOD');
    expect(w?.message).toContain('"g"');
    expect(w?.message).not.toContain('"z"');
    expect(fit.coefficients[0].coef).toBeGreaterThan(10);
    expect(allFinite(fit)).toBe(true);
  });

  it('a covariate that perfectly orders event times: not converged in 20 iterations, reported', () => {
    // R: coxph(Surv(time, event) ~ x + z, d) warns "Ran out of iterations and did not converge"
    const fit = coxph({
      time,
      event: [1, 1, 1, 1, 1, 0, 1, 0, 1, 0],
      covariates: [
        [10, 9, 8, 7, 6, 5, 4, 3, 2, 1],
        [1, 0, 1, 0, 0, 1, 0, 1, 1, 0],
      ],
      names: ['x', 'z'],
    });
    expect(fit.converged).toBe(false);
    expect(fit.stopReason).toBe('max-iterations');
    expect(fit.iterations).toBe(20);
    expect(fit.warnings.map((x) => x.code)).toEqual(expect.arrayContaining(['NOT_CONVERGED', 'MONOTONE_LIKELIHOOD']));
    expect(fit.warnings.find((x) => x.code === 'MONOTONE_LIKELIHOOD')!.message).toContain('"x"');
    expect(allFinite(fit)).toBe(true);
  });

  it('constant covariate throws CONSTANT_COVARIATE naming it', () => {
    expect(() =>
      coxph({ time, event: [1, 0, 1, 1, 0, 1, 1, 0, 1, 1], covariates: [[1, 2, 3, 4, 5, 6, 7, 8, 9, 1], Array(10).fill(3)], names: ['age', 'site'] }),
    ).toThrow(expect.objectContaining({ code: 'CONSTANT_COVARIATE', message: expect.stringContaining('"site"') }));
  });

  it('perfect collinearity throws COLLINEAR_COVARIATES naming the dependent column', () => {
    const a = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    const b = [2, 7, 1, 8, 2, 8, 1, 8, 2, 8];
    const c = a.map((v, i) => 2 * v - b[i] + 1);
    expect(() => coxph({ time, event: [1, 0, 1, 1, 0, 1, 1, 0, 1, 1], covariates: [a, b, c], names: ['a', 'b', 'c'] })).toThrow(
      expect.objectContaining({ code: 'COLLINEAR_COVARIATES', message: expect.stringMatching(/"c" is a linear combination of "a", "b"/) }),
    );
  });

  it('no events throws NO_EVENTS; bad event coding throws INVALID_INPUT with the row', () => {
    expect(() => coxph({ time, event: Array(10).fill(0), covariates: [time], names: ['x'] })).toThrow(expect.objectContaining({ code: 'NO_EVENTS' }));
    expect(() => coxph({ time, event: [1, 0, 2, 1, 0, 1, 1, 0, 1, 1], covariates: [time], names: ['x'] })).toThrow(/row 3/);
  });

  it('missing values are dropped with a count; few events per covariate warns', () => {
    // Fixture lung case: R drops the 1 row with missing ph.ecog ("1 observation deleted due to missingness")
    const c = loadFixture('cox.json').cases[0];
    const num = (v: (number | null)[]) => v.map((x) => (x === null ? NaN : x));
    const fit = coxph({ time: num(c.data.time), event: num(c.data.event), covariates: c.covariates.map((v: string) => num(c.data[v])), names: c.covariates });
    expect(fit.nDropped).toBe(1);
    expect(fit.warnings.find((w) => w.code === 'MISSING_VALUES_DROPPED')?.message).toMatch(/^1 of 228 rows/);
    expect(fit.warnings.some((w) => w.code === 'FEW_EVENTS_PER_COVARIATE')).toBe(false);
    const ov = loadFixture('cox.json').cases[3]; // ovarian: 12 events, 3 covariates
    const f2 = coxph({ time: ov.data.time, event: ov.data.event, covariates: ov.covariates.map((v: string) => ov.data[v]), names: ov.covariates });
    expect(f2.warnings.find((w) => w.code === 'FEW_EVENTS_PER_COVARIATE')?.message).toContain('12 events for 3');
  });
});

describe('categorical covariates (dummy coding) against R', () => {
  // R: coxph(Surv(time, status) ~ trt + factor(celltype, levels = c('squamous','smallcell','adeno','large')) + karno, veteran)
  const c = loadFixture('cox.json').categorical;
  it('veteran celltype with reference "squamous" matches coef, se, tests and per-term cox.zph', () => {
    const dm = buildDesignMatrix(c.data, [
      { name: 'trt', kind: 'numeric' },
      { name: 'celltype', kind: 'categorical', reference: 'squamous', levels: ['squamous', 'smallcell', 'adeno', 'large'] },
      { name: 'karno', kind: 'numeric' },
    ]);
    expect(dm.names).toEqual(['trt', 'celltypesmallcell', 'celltypeadeno', 'celltypelarge', 'karno']);
    const fit = coxph({ time: c.data.time, event: c.data.event, covariates: dm.covariates, names: dm.names }, { terms: dm.terms });
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
    expectAllRel(fit.loglik, c.loglik, 1e-9, 0, 'loglik');
    expectRel(fit.logtest.chisq, c.logtest[0], 1e-6, 0, 'LR');
    expectRel(fit.waldtest.chisq, c.waldtest[0], 1e-6, 0, 'Wald');
    expectRel(fit.sctest.chisq, c.sctest[0], 1e-6, 0, 'score');
    // cox.zph(vf)$table: trt, celltype (3 df), karno, GLOBAL
    const z = [...fit.zph!.terms, fit.zph!.global];
    expect(z.map((r) => r.df)).toEqual(c.zph.df);
    expectAllRel(
      z.map((r) => r.chisq),
      c.zph.chisq,
      1e-6,
      0,
      'zph chisq',
    );
    expectAllRel(
      z.map((r) => r.p),
      c.zph.p,
      1e-6,
      0,
      'zph p',
    );
  });
  it('default reference is the first sorted level; unknown reference is an INVALID_INPUT error', () => {
    const dm = buildDesignMatrix({ stage: ['II', 'I', 'III', 'I', null] }, [{ name: 'stage', kind: 'categorical' }]);
    expect(dm.names).toEqual(['stageII', 'stageIII']);
    expect([...dm.covariates[1]]).toEqual([0, 0, 1, 0, NaN]);
    expect(() => buildDesignMatrix({ stage: ['I'] }, [{ name: 'stage', kind: 'categorical', reference: 'IV' }])).toThrow(/Reference level "IV"/);
  });
});
