import { describe, expect, it } from 'vitest';
import { kaplanMeier, numberAtRisk, reverseKmFollowUp } from '@/lib/core/survival/km';
import { logRankTest } from '@/lib/core/survival/logrank';
import { sortLevels } from '@/lib/core/survival/design';
import { expectAllRel, expectRel, loadFixture } from './helpers';

// Fixture: Rscript tests/reference/survival/km-logrank-wilcoxon.R  (survival 3.5-3)
const fx = loadFixture('km.json');

describe('kaplanMeier against survfit(Surv(time, event) ~ 1, conf.type = "log")', () => {
  for (const c of fx.km) {
    it(c.name, () => {
      const km = kaplanMeier(c.data.time, c.data.event);
      expect(km.time).toEqual(c.time);
      expect(km.nRisk).toEqual(c['n.risk']);
      expect(km.nEvent).toEqual(c['n.event']);
      expect(km.nCensor).toEqual(c['n.censor']);
      expectAllRel(km.surv, c.surv, 1e-12, 0, 'surv');
      // R's std.err is the SE of log S; where S hits 0 R reports NaN/Inf (null in the fixture)
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
      expectAllRel(
        km.upper95.map((v) => v ?? NaN),
        c.upper,
        1e-10,
        0,
        'upper',
      );
      // print.survfit: median, 0.95LCL, 0.95UCL
      expect(km.median).toBe(c.median);
      expect(km.medianLower95).toBe(c.lcl);
      expect(km.medianUpper95).toBe(c.ucl);
      // summary(fit, times = atTimes)$n.risk / $surv
      const rt = numberAtRisk(km, c.data.time, c.atTimes);
      expect(rt.map((r) => r.nRisk)).toEqual(c.atRisk);
      expectAllRel(
        rt.map((r) => r.surv),
        c.survAt,
        1e-12,
        0,
        'surv at times',
      );
      // summary(survfit(Surv(time, 1 - event) ~ 1))$table median / CI
      const fu = reverseKmFollowUp(c.data.time, c.data.event);
      expect([fu.median, fu.lower95, fu.upper95]).toEqual(c.followUp);
    });
  }
});

describe('logRankTest against survdiff(Surv(time, event) ~ group)', () => {
  for (const c of fx.logrank) {
    it(c.name, () => {
      const groups = sortLevels(c.data.group);
      expect(groups).toEqual(c.groups);
      const r = logRankTest(c.data.time, c.data.event, c.data.group, groups);
      expect(r.n).toEqual(c.n);
      expect(r.observed).toEqual(c.obs);
      expectAllRel(r.expected, c.exp, 1e-10, 0, 'expected');
      expectRel(r.chisq, c.chisq, 1e-9, 0, 'chisq');
      expect(r.df).toBe(c.df);
      expectRel(r.p, c.p, 1e-8, 0, 'p');
    });
  }
});
