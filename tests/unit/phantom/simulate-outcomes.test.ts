/**
 * Statistical checks of simulateOutcomes against the model it claims to simulate. With
 * exponential hazards the maximum-likelihood estimate of a cause-specific hazard is
 * events / total time at risk, with SE ≈ rate/√events (Cox & Oakes, Analysis of Survival Data,
 * §3.2); tolerances are 4 standard errors, so a correct simulator fails about 1 in 16,000 runs
 * (and never, for these fixed seeds), while a wrong rate, sign or censoring rule fails.
 */
import { describe, expect, it } from 'vitest';
import { simulateOutcomes, type SimulatedOutcome } from '@/lib/core/phantom';

function rate(outs: SimulatedOutcome[], event: (o: SimulatedOutcome) => boolean, time: (o: SimulatedOutcome) => number) {
  let d = 0;
  let t = 0;
  for (const o of outs) {
    if (event(o)) d++;
    t += time(o);
  }
  return { d, t, rate: d / t };
}

describe('simulateOutcomes', () => {
  const N = 2000;
  const lambda0 = 1 / 1000;
  const mu = 1 / 2000;
  const C = 1500;

  it('covariate 0: the exponential MLEs of the local-failure and death hazards match the truth', () => {
    const outs = simulateOutcomes({
      covariate: new Float64Array(N),
      logHazardRatioPerUnit: Math.log(1.01),
      baselineHazardPerDay: lambda0,
      deathHazardPerDay: mu,
      maxFollowUpDays: C,
      seed: 'mle-0',
    });
    // Local failure: at risk until the first of local failure, death, censoring.
    const lf = rate(
      outs,
      (o) => o.competingStatus === 1,
      (o) => o.competingTimeDays,
    );
    expect(lf.d).toBeGreaterThan(400);
    expect(Math.abs(lf.rate - lambda0)).toBeLessThan((4 * lambda0) / Math.sqrt(lf.d));
    // Death: observed until censoring whether or not local failure happened.
    const death = rate(
      outs,
      (o) => o.died,
      (o) => o.lastFollowUpDays,
    );
    expect(Math.abs(death.rate - mu)).toBeLessThan((4 * mu) / Math.sqrt(death.d));
    // Share with local failure first: λ/(λ+μ)·(1 − e^{−(λ+μ)C}) (binomial SE).
    const p = (lambda0 / (lambda0 + mu)) * (1 - Math.exp(-(lambda0 + mu) * C));
    expect(Math.abs(lf.d / N - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / N));
    // Censoring is administrative at C: nobody is followed longer, survivors exactly C.
    for (const o of outs) {
      expect(o.lastFollowUpDays).toBeLessThanOrEqual(C);
      if (!o.died) expect(o.lastFollowUpDays).toBe(C);
      if (o.localFailure) expect(o.localFailureDays!).toBeLessThanOrEqual(o.lastFollowUpDays);
      if (o.competingStatus === 2) expect(o.deathDays).toBe(o.competingTimeDays);
    }
  });

  it('binary covariate: the log rate ratio recovers log HR = log 2', () => {
    const x = Float64Array.from({ length: N }, (_, n) => n % 2);
    const outs = simulateOutcomes({
      covariate: x,
      logHazardRatioPerUnit: Math.log(2),
      baselineHazardPerDay: lambda0,
      deathHazardPerDay: mu,
      maxFollowUpDays: C,
      seed: 'binary',
    });
    const g0 = rate(
      outs.filter((_, n) => x[n] === 0),
      (o) => o.competingStatus === 1,
      (o) => o.competingTimeDays,
    );
    const g1 = rate(
      outs.filter((_, n) => x[n] === 1),
      (o) => o.competingStatus === 1,
      (o) => o.competingTimeDays,
    );
    const se = Math.sqrt(1 / g0.d + 1 / g1.d);
    expect(Math.abs(Math.log(g1.rate / g0.rate) - Math.log(2))).toBeLessThan(4 * se);
  });

  it('continuous covariate (FP voxels 0–200, HR 1.01/voxel): exponential-regression MLE recovers β', () => {
    const x = Float64Array.from({ length: N }, (_, n) => (n * 37) % 201);
    const beta = Math.log(1.01);
    const outs = simulateOutcomes({
      covariate: x,
      logHazardRatioPerUnit: beta,
      baselineHazardPerDay: 2e-4,
      deathHazardPerDay: 3e-4,
      maxFollowUpDays: 1826,
      seed: 'continuous',
    });
    // Newton–Raphson on log L(a, b) = Σ δ(a + b x) − Σ t e^{a + b x}.
    let a = Math.log(2e-4);
    let b = 0;
    let info = [0, 0, 0];
    for (let it = 0; it < 50; it++) {
      let ga = 0,
        gb = 0,
        haa = 0,
        hab = 0,
        hbb = 0;
      outs.forEach((o, n) => {
        const d = o.competingStatus === 1 ? 1 : 0;
        const m = o.competingTimeDays * Math.exp(a + b * x[n]);
        ga += d - m;
        gb += x[n] * (d - m);
        haa += m;
        hab += x[n] * m;
        hbb += x[n] * x[n] * m;
      });
      const det = haa * hbb - hab * hab;
      a += (hbb * ga - hab * gb) / det;
      b += (-hab * ga + haa * gb) / det;
      info = [haa, hab, hbb];
      if (Math.abs(ga) + Math.abs(gb) < 1e-9) break;
    }
    const seB = Math.sqrt(info[0] / (info[0] * info[2] - info[1] * info[1]));
    expect(Math.abs(b - beta)).toBeLessThan(4 * seB);
    expect(Math.abs(a - Math.log(2e-4))).toBeLessThan(4 * Math.sqrt(info[2] / (info[0] * info[2] - info[1] * info[1])));
    // The effect is detectable: β̂ is > 3 SE from 0 with these numbers.
    expect(b / seB).toBeGreaterThan(3);
  });

  it('is deterministic in the seed and per patient, and honours per-patient follow-up', () => {
    const base = { logHazardRatioPerUnit: 0, baselineHazardPerDay: 1e-3, deathHazardPerDay: 1e-3, seed: 's' };
    const a = simulateOutcomes({ ...base, covariate: [0, 0, 0], maxFollowUpDays: [100, 200, 300] });
    const b = simulateOutcomes({ ...base, covariate: [0, 0], maxFollowUpDays: [100, 200] });
    expect(b).toEqual(a.slice(0, 2));
    expect(simulateOutcomes({ ...base, seed: 't', covariate: [0, 0, 0], maxFollowUpDays: 300 })).not.toEqual(a);
    a.forEach((o, n) => expect(o.lastFollowUpDays).toBeLessThanOrEqual([100, 200, 300][n]));
  });

  it('rejects bad input with coded errors', () => {
    const base = { covariate: [0, 1], logHazardRatioPerUnit: 0, baselineHazardPerDay: 1e-3, deathHazardPerDay: 0, maxFollowUpDays: 10, seed: 1 };
    expect(() => simulateOutcomes({ ...base, covariate: [0, Number.NaN] })).toThrowError(/Covariate of patient 1 is NaN/);
    expect(() => simulateOutcomes({ ...base, baselineHazardPerDay: 0 })).toThrowError(/baselineHazardPerDay 0/);
    expect(() => simulateOutcomes({ ...base, maxFollowUpDays: [1] })).toThrowError(/1 values for 2 patients/);
  });
});
