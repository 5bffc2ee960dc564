/**
 * Coded errors and warnings for the survival core. Every failure mode that R would report as
 * NA, NaN or a console warning is turned into one of these, with a plain-language cause.
 */
export type SurvivalErrorCode = 'INVALID_INPUT' | 'CONSTANT_COVARIATE' | 'COLLINEAR_COVARIATES' | 'NO_EVENTS' | 'SINGULAR_INFORMATION';

export class SurvivalError extends Error {
  readonly code: SurvivalErrorCode;
  constructor(code: SurvivalErrorCode, message: string) {
    super(message);
    this.name = 'SurvivalError';
    this.code = code;
  }
}

export type SurvivalWarningCode = 'MISSING_VALUES_DROPPED' | 'FEW_EVENTS_PER_COVARIATE' | 'MONOTONE_LIKELIHOOD' | 'NOT_CONVERGED' | 'SINGULAR_TEST_MATRIX';

export interface SurvivalWarning {
  code: SurvivalWarningCode;
  message: string;
}

export function invalid(message: string): SurvivalError {
  return new SurvivalError('INVALID_INPUT', message);
}
