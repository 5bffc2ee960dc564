/**
 * Paired Wilcoxon signed-rank test, as R's wilcox.test(x, y, paired = TRUE): exact p for
 * n < 50 non-zero differences without ties or zeros, otherwise the normal approximation with
 * tie and continuity corrections; zero differences dropped. The implementation lives with the
 * survival core (lib/core/survival/wilcoxon.ts), where it was first needed; this is its home
 * for descriptive statistics (the cohort page's machine vs physician ITV volumes).
 * Tested against R: tests/unit/stats/wilcoxon-signed-rank.test.ts.
 */
export { wilcoxonSignedRank, type SignedRankResult } from '../survival/wilcoxon';
