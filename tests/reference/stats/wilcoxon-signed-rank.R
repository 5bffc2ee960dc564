# Fixture for tests/unit/stats/wilcoxon-signed-rank.test.ts:
#   Rscript tests/reference/stats/wilcoxon-signed-rank.R   (from the repository root; writes
#   tests/unit/stats/wilcoxon-signed-rank.fixture.json)
# Each case: w <- wilcox.test(x, y, paired = TRUE) (two-sided, correct = TRUE, R's default);
# V = w$statistic, p = w$p.value, method = w$method. Cases shaped like the cohort page's use:
# machine vs physician ITV volumes (cc), small and large n, with and without ties and zeros.
source("tests/reference/survival/json.R") # the project's minimal JSON writer (no jsonlite)
set.seed(20261128)
cases <- list()
add <- function(name, x, y) {
  w <- suppressWarnings(wilcox.test(x, y, paired = TRUE))
  cases[[length(cases) + 1]] <<- list(name = name, x = A(x), y = A(y), V = unname(w$statistic), p = w$p.value, method = w$method,
                                      exact = !grepl("continuity|normal", w$method) && length(x) < 50)
}
phys <- round(rlnorm(12, log(20), 0.6), 3)
add("n=12 volumes, no ties (exact)", round(phys * rnorm(12, 1.05, 0.08), 3), phys)
phys <- round(rlnorm(49, log(25), 0.7), 2)
add("n=49 rounded to 0.01 cc (ties: normal)", round(phys * rnorm(49, 0.97, 0.1), 2), phys)
phys <- round(rlnorm(60, log(25), 0.7), 2)
add("n=60 (normal approximation)", round(phys * rnorm(60, 1.02, 0.1), 2), phys)
add("ties in |d| (normal, tie correction)", c(10, 12, 15, 9, 20, 7, 11, 13), c(8, 10, 17, 7, 18, 9, 10, 12))
add("zero differences dropped (normal)", c(10, 12, 15, 9, 20, 7.5, 11), c(10, 11, 15, 8, 17, 9, 11))
add("n=5 all positive (exact)", c(5.1, 6.3, 7.2, 8.4, 9.9), c(5, 6, 7, 8, 9))
phys <- round(rlnorm(400, log(25), 0.7), 1)
add("n=400 rounded to 0.1 cc (ties)", round(phys + rnorm(400, 0.3, 2), 1), phys)
writeJSON(list(generatedBy = "tests/reference/stats/wilcoxon-signed-rank.R", R = R.version.string, cases = cases), "tests/unit/stats/wilcoxon-signed-rank.fixture.json")
