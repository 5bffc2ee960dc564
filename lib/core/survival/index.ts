/**
 * Survival analysis core (pure TypeScript, no I/O), matched to R's survival 3.5 and cmprsk 2.2
 * to 1e-6 relative; see tests/unit/survival and the R scripts in tests/reference/survival.
 */
export { coxph, coxphFromData, type CoxFit, type CoxOptions, type CoxCoefficient, type CoxTies, type ChisqTest } from './cox';
export { prepareCoxData, type CoxInput, type CoxData } from './cox-data';
export { concordanceFromData, type Concordance } from './concordance';
export { coxZphFromData, type CoxZph, type ZphRow, type ZphTerm } from './cox-zph';
export { buildDesignMatrix, sortLevels, type CovariateSpec, type DesignMatrix } from './design';
export { kaplanMeier, numberAtRisk, reverseKmFollowUp, type KmCurve, type RiskTableRow } from './km';
export { logRankTest, type LogRankResult } from './logrank';
export { cumulativeIncidence, cumincAt, type CumincCurve, type CumincResult, type GrayTest } from './cuminc';
export { fineGray, type FineGrayFit, type FineGrayInput, type FineGrayCoefficient } from './fine-gray';
export { causeSpecificCox, type CauseSpecificInput } from './cause-specific';
export { wilcoxonSignedRank, type SignedRankResult } from './wilcoxon';
export { fixTiedTimes } from './timefix';
export { pnorm, pchisqUpper, twoSidedNormalP } from './distributions';
export { SurvivalError, type SurvivalErrorCode, type SurvivalWarning, type SurvivalWarningCode } from './errors';
