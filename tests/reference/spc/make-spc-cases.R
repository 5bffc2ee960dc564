# Reference values for lib/core/spc (tests/unit/spc/*.test.ts). From the repository root:
#   Rscript tests/reference/spc/make-spc-cases.R
# writes tests/fixtures/spc/charts.json, tests/fixtures/spc/arl.json and tests/fixtures/spc/dice-series.csv.
#
# charts.json: chart values computed here in base R straight from the formulas in
# docs/monitoring.md ("Statistics"), independently of our TypeScript:
#   baseline: mean of the first nb points; MR-bar = mean |x_i - x_{i-1}| over them; sigma = MR-bar / 1.128
#   Shewhart: centre mu, limits mu -/+ L sigma; out of control outside them
#   EWMA:     z_0 = mu, z_i = lambda x_i + (1 - lambda) z_{i-1};
#             limits mu -/+ L sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2 i)))
#   CUSUM:    z_i = (x_i - mu) / sigma; C+_i = max(0, z_i - k + C+_{i-1}); C-_i = max(0, -z_i - k + C-_{i-1});
#             C+_0 = C-_0 = 0; signal when C+ > h (up) or C- > h (down); no reset.
# arl.json: average run lengths and critical values from R's spc package (Debian r-cran-spc):
#   xewma.arl(l, c, mu, sided = "two"), xcusum.arl(k, h, mu, sided = "two"),
#   xewma.crit(l, L0, sided = "two"), xcusum.crit(k, L0, sided = "two"),
#   and the Shewhart individuals ARL 1 / (pnorm(-L - mu) + pnorm(-L + mu)).
source("tests/reference/survival/json.R") # the project's minimal JSON writer (no jsonlite)
suppressPackageStartupMessages(library(spc))

baselineOf <- function(x) {
  mr <- mean(abs(diff(x)))
  list(mean = mean(x), sigma = mr / 1.128, n = length(x), movingRangeMean = mr)
}
shewhart <- function(x, b, L) {
  lcl <- b$mean - L * b$sigma; ucl <- b$mean + L * b$sigma
  list(L = L, lcl = lcl, ucl = ucl, outOfControl = A(x < lcl | x > ucl))
}
ewma <- function(x, b, lambda, L) {
  z <- numeric(length(x)); prev <- b$mean
  for (i in seq_along(x)) { prev <- lambda * x[i] + (1 - lambda) * prev; z[i] <- prev }
  i <- seq_along(x)
  half <- L * b$sigma * sqrt(lambda / (2 - lambda) * (1 - (1 - lambda)^(2 * i)))
  list(lambda = lambda, L = L, statistic = A(z), lcl = A(b$mean - half), ucl = A(b$mean + half),
       outOfControl = A(z < b$mean - half | z > b$mean + half))
}
cusum <- function(x, b, k, h) {
  z <- (x - b$mean) / b$sigma
  up <- lo <- numeric(length(x)); cp <- cm <- 0
  for (i in seq_along(x)) { cp <- max(0, z[i] - k + cp); cm <- max(0, -z[i] - k + cm); up[i] <- cp; lo[i] <- cm }
  dir <- ifelse(up > h, "up", ifelse(lo > h, "down", NA))
  list(k = k, h = h, z = A(z), upper = A(up), lower = A(lo), outOfControl = A(up > h | lo > h), direction = A(dir))
}

set.seed(20261206)
# 60 per-study ITV Dice values, in study-date order: stable around 0.82 for 40 studies, then a
# drop of about 1 sigma (a new scanner) for the last 20.
dice <- round(c(rnorm(40, 0.82, 0.035), rnorm(20, 0.785, 0.035)), 4)
dice <- pmin(dice, 0.99)
dates <- format(as.Date("2026-01-05") + cumsum(sample(1:6, 60, replace = TRUE)))
# 30 HD95 values (mm) with an upward shift after point 20.
hd95 <- round(c(rlnorm(20, log(4), 0.15), rlnorm(10, log(5.2), 0.15)), 3)

series <- list(
  list(name = "ITV Dice, 60 studies, drop after 40, baseline 20", x = dice, nb = 20),
  list(name = "ITV Dice, 60 studies, baseline 40", x = dice, nb = 40),
  list(name = "HD95 mm, 30 studies, rise after 20, baseline 15", x = hd95, nb = 15)
)
cases <- lapply(series, function(s) {
  b <- baselineOf(s$x[seq_len(s$nb)])
  list(name = s$name, values = A(s$x), baselineN = s$nb, baseline = b,
       shewhart = list(shewhart(s$x, b, 3), shewhart(s$x, b, 2.5)),
       ewma = list(ewma(s$x, b, 0.2, 3), ewma(s$x, b, 0.1, 2.7), ewma(s$x, b, 1, 3)),
       cusum = list(cusum(s$x, b, 0.5, 5), cusum(s$x, b, 0.25, 8), cusum(s$x, b, 1, 2.5)))
})
writeJSON(list(generatedBy = "tests/reference/spc/make-spc-cases.R", R = R.version.string, cases = cases), "tests/fixtures/spc/charts.json")

# The same Dice series as a CSV, rows shuffled (the CLI sorts by --order), with a second
# column of study numbers for sorting by number.
perm <- sample(60)
csv <- data.frame(study_date = dates[perm], study_no = (1:60)[perm], itv_dice = sprintf("%.4f", dice[perm]))
write.csv(csv, "tests/fixtures/spc/dice-series.csv", row.names = FALSE, quote = FALSE)

shifts <- c(0, 0.5, 1, 2)
ewmaGrid <- list()
for (l in c(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1)) for (cc in c(2.5, 2.86, 3)) for (mu in shifts) {
  ewmaGrid[[length(ewmaGrid) + 1]] <- list(lambda = l, L = cc, shift = mu, arl = xewma.arl(l, cc, mu, sided = "two"))
}
cusumGrid <- list()
for (k in c(0.25, 0.5, 1)) for (h in c(2.5, 4, 5, 8)) for (mu in shifts) {
  cusumGrid[[length(cusumGrid) + 1]] <- list(k = k, h = h, shift = mu, arl = xcusum.arl(k, h, mu, sided = "two"))
}
shewhartGrid <- list()
for (L in c(2.5, 3, 3.5)) for (mu in shifts) {
  shewhartGrid[[length(shewhartGrid) + 1]] <- list(L = L, shift = mu, arl = 1 / (pnorm(-L - mu) + pnorm(-L + mu)))
}
ewmaCrit <- list()
for (l in c(0.05, 0.1, 0.2, 0.5)) for (L0 in c(100, 370, 500)) {
  ewmaCrit[[length(ewmaCrit) + 1]] <- list(lambda = l, arl0 = L0, L = unname(xewma.crit(l, L0, sided = "two")))
}
cusumCrit <- list()
for (k in c(0.25, 0.5, 1)) for (L0 in c(100, 370, 500)) {
  cusumCrit[[length(cusumCrit) + 1]] <- list(k = k, arl0 = L0, h = unname(xcusum.crit(k, L0, sided = "two")))
}
# Small lambda and very long run lengths, where spc's default quadrature (r = 40 nodes for the
# EWMA, 30 for the CUSUM) is itself off (lambda = 0.01, L = 2.5: 1592.0 with r = 40, 1521.36 with
# r = 200): computed with r = 200 nodes.
fine <- list(
  list(chart = "ewma", lambda = 0.01, L = 2.5, shift = 0, r = 200, arl = xewma.arl(0.01, 2.5, 0, sided = "two", r = 200),
       arlDefaultR = xewma.arl(0.01, 2.5, 0, sided = "two")),
  list(chart = "ewma", lambda = 0.01, L = 2.5, shift = 0.5, r = 200, arl = xewma.arl(0.01, 2.5, 0.5, sided = "two", r = 200),
       arlDefaultR = xewma.arl(0.01, 2.5, 0.5, sided = "two")),
  list(chart = "ewma", lambda = 0.02, L = 2.7, shift = 0, r = 200, arl = xewma.arl(0.02, 2.7, 0, sided = "two", r = 200),
       arlDefaultR = xewma.arl(0.02, 2.7, 0, sided = "two")),
  list(chart = "cusum", k = 0.5, h = 12, shift = 0, r = 200, arl = xcusum.arl(0.5, 12, 0, sided = "two", r = 200),
       arlDefaultR = xcusum.arl(0.5, 12, 0, sided = "two"))
)
# Critical values for a long in-control ARL (wider limits need more nodes): xewma.crit with its
# default r = 40 does not converge for lambda = 0.05, ARL0 = 1e6 (it returns a c whose ARL is ~0.69e6).
fineCrit <- list(
  list(chart = "ewma", lambda = 0.05, arl0 = 1e6, r = 200, L = unname(suppressWarnings(xewma.crit(0.05, 1e6, sided = "two", r = 200))),
       LDefaultR = unname(suppressWarnings(xewma.crit(0.05, 1e6, sided = "two")))),
  list(chart = "cusum", k = 0.5, arl0 = 1e6, r = 200, h = unname(xcusum.crit(0.5, 1e6, sided = "two", r = 200))),
  list(chart = "cusum", k = 0.5, arl0 = 1e9, r = 200, h = unname(xcusum.crit(0.5, 1e9, sided = "two", r = 200))),
  list(chart = "cusum", k = 3, arl0 = 1e9, r = 200, h = unname(xcusum.crit(3, 1e9, sided = "two", r = 200)))
)
writeJSON(list(generatedBy = "tests/reference/spc/make-spc-cases.R", R = R.version.string, spc = as.character(packageVersion("spc")),
               ewma = ewmaGrid, cusum = cusumGrid, shewhart = shewhartGrid, ewmaCrit = ewmaCrit, cusumCrit = cusumCrit, fine = fine, fineCrit = fineCrit),
          "tests/fixtures/spc/arl.json")
