/**
 * Outcomes for a synthetic cohort from a proportional-hazards model with known truth:
 *   local failure:  T_LF ~ Exponential(λ₀ · exp(β·x)),  x the supplied covariate
 *   death:          T_D  ~ Exponential(μ)  (independent of x and of local failure)
 *   censoring:      administrative, at each patient's maximum follow-up C.
 * Local failure is observed when T_LF ≤ min(T_D, C); death when T_D ≤ C (also after a local
 * failure). For competing-risks analysis, `competingStatus` is 1 (local failure first),
 * 2 (death without local failure) or 0 (censored), at `competingTimeDays`.
 * With exponential hazards, a Cox fit of (competingTimeDays, status = 1) on x recovers β and the
 * cause-specific baseline hazard is λ₀ (Bender, Augustin & Blettner, Stat Med 24:1713, 2005).
 */
import { PhantomError } from './errors';
import { createRng } from './prng';

export interface SimulateOutcomesInput {
  /** One covariate value per patient (e.g. false-positive voxels). */
  covariate: ArrayLike<number>;
  /** β: log hazard ratio per unit of the covariate (log(1.01) per voxel ≈ 0.00995). */
  logHazardRatioPerUnit: number;
  /** λ₀ (per day) of local failure at covariate 0. */
  baselineHazardPerDay: number;
  /** μ (per day) of death from any cause. */
  deathHazardPerDay: number;
  /** Administrative censoring time (days): one value for all, or one per patient. */
  maxFollowUpDays: number | ArrayLike<number>;
  seed: string | number;
}

export interface SimulatedOutcome {
  localFailure: boolean;
  /** Days to local failure, or null when none was observed. */
  localFailureDays: number | null;
  died: boolean;
  /** Days to death, or null when alive at last follow-up. */
  deathDays: number | null;
  /** Days to death or censoring, whichever is first. */
  lastFollowUpDays: number;
  /** 0 censored, 1 local failure, 2 death without prior local failure. */
  competingStatus: 0 | 1 | 2;
  /** Time of the first of local failure, death, censoring (days). */
  competingTimeDays: number;
}

/**
 * Simulate outcomes (see the module comment). Deterministic in `seed`; patient n uses its own
 * stream, so outcomes of patient n do not depend on the cohort size.
 * @throws PhantomError INVALID_INPUT for non-finite covariates, non-positive or non-finite
 *   hazards or follow-up, or a follow-up array of the wrong length.
 */
export function simulateOutcomes(input: SimulateOutcomesInput): SimulatedOutcome[] {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const { covariate, logHazardRatioPerUnit: beta, baselineHazardPerDay: lambda0, deathHazardPerDay: mu } = input;
  if (!Number.isFinite(beta)) throw new PhantomError('INVALID_INPUT', `logHazardRatioPerUnit ${beta} is not a finite number.`);
  if (!(lambda0 > 0 && Number.isFinite(lambda0))) throw new PhantomError('INVALID_INPUT', `baselineHazardPerDay ${lambda0} must be a positive number.`);
  if (!(mu >= 0 && Number.isFinite(mu))) throw new PhantomError('INVALID_INPUT', `deathHazardPerDay ${mu} must be ≥ 0.`);
  const fu = input.maxFollowUpDays;
  if (typeof fu !== 'number' && fu.length !== covariate.length) {
    throw new PhantomError('INVALID_INPUT', `maxFollowUpDays has ${fu.length} values for ${covariate.length} patients.`);
  }
  const out: SimulatedOutcome[] = [];
  for (let n = 0; n < covariate.length; n++) {
    const x = covariate[n]!;
    if (!Number.isFinite(x)) throw new PhantomError('INVALID_INPUT', `Covariate of patient ${n} is ${x}; every value must be finite.`);
    const c = typeof fu === 'number' ? fu : fu[n];
    if (c === undefined || !(c > 0 && Number.isFinite(c))) throw new PhantomError('INVALID_INPUT', `maxFollowUpDays for patient ${n} is ${c}; it must be > 0.`);
    const rng = createRng(`${input.seed}/outcome/${n}`);
    const tLf = rng.exponential(lambda0 * Math.exp(beta * x));
    const tDeath = mu > 0 ? rng.exponential(mu) : Infinity;
    const last = Math.min(tDeath, c);
    const lf = tLf <= last;
    const died = tDeath <= c;
    const first = Math.min(tLf, tDeath, c);
    out.push({
      localFailure: lf,
      localFailureDays: lf ? tLf : null,
      died,
      deathDays: died ? tDeath : null,
      lastFollowUpDays: last,
      competingStatus: lf ? 1 : tDeath <= c ? 2 : 0,
      competingTimeDays: first,
    });
  }
  return out;
}
