/**
 * Cause-specific Cox model: the Cox fitter with the cause of interest as the event and every
 * other cause treated as censoring, as coxph(Surv(time, status == cause) ~ …).
 * Reference: Prentice et al. (1978) Biometrics 34:541; Putter, Fiocco & Geskus (2007).
 */
import { coxph, type CoxFit, type CoxOptions } from './cox';
import { invalid } from './errors';

export interface CauseSpecificInput {
  time: ArrayLike<number>;
  /** 0 = censored, otherwise the cause code. NaN = missing. */
  status: ArrayLike<number>;
  covariates: ArrayLike<number>[];
  names: string[];
  strata?: ArrayLike<string | number | null | undefined>;
}

/** @throws SurvivalError as coxph; INVALID_INPUT when the cause never occurs. */
export function causeSpecificCox(input: CauseSpecificInput, cause: number, options: CoxOptions = {}): CoxFit {
  const event = Array.from(input.status, (s) => (Number.isNaN(s) ? NaN : s === cause ? 1 : 0));
  if (!event.some((e) => e === 1)) throw invalid(`Cause ${cause} never occurs in the status column: nothing to model.`);
  return coxph({ time: input.time, event, covariates: input.covariates, names: input.names, strata: input.strata }, options);
}
