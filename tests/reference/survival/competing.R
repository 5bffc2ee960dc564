# Writes tests/fixtures/survival/competing.json: cmprsk::cuminc (estimates, variances, Gray's
# test), cmprsk::crr (Fine–Gray) and cause-specific coxph on simulated competing-risks data.
# Run from the repository root:  Rscript tests/reference/survival/competing.R
suppressMessages({ library(survival); library(cmprsk) })
source("tests/reference/survival/json.R")

simulate <- function(seed, n, ngroup, digits) {
  set.seed(seed)
  x1 <- rnorm(n); x2 <- rbinom(n, 1, 0.5)
  group <- sample(LETTERS[1:ngroup], n, replace = TRUE)
  geff <- c(A = 0, B = 0.5, C = -0.4)[group]
  t1 <- rexp(n, 0.10 * exp(0.6 * x1 + geff))
  t2 <- rexp(n, 0.07 * exp(-0.4 * x2))
  cens <- runif(n, 2, 25)
  time <- round(pmin(t1, t2, cens), digits)
  time[time == 0] <- 10^-digits
  status <- ifelse(cens <= pmin(t1, t2), 0, ifelse(t1 <= t2, 1, 2))
  data.frame(time, status, x1, x2, group)
}

ccase <- function(name, d) {
  ci <- cuminc(d$time, d$status, d$group)
  curves <- list()
  for (nm in setdiff(names(ci), "Tests")) {
    cc <- ci[[nm]]
    k <- length(cc$time)
    idx <- if (k > 2) seq(3, k - 1, by = 2) else integer(0)
    parts <- strsplit(nm, " ")[[1]]
    curves[[length(curves) + 1]] <- list(group = parts[1], cause = as.numeric(parts[2]),
      time = A(cc$time[idx]), est = A(cc$est[idx]), var = A(cc$var[idx]), maxTime = cc$time[k])
  }
  fg <- crr(d$time, d$status, cbind(x1 = d$x1, x2 = d$x2), failcode = 1, cencode = 0)
  fgs <- summary(fg)
  cs <- coxph(Surv(time, status == 1) ~ x1 + x2, data = d)
  list(name = name,
       calls = c("cuminc(time, status, group)", "crr(time, status, cbind(x1, x2), failcode = 1, cencode = 0)",
                 "coxph(Surv(time, status == 1) ~ x1 + x2)"),
       data = list(time = A(d$time), status = A(d$status), x1 = A(d$x1), x2 = A(d$x2), group = A(d$group)),
       curves = curves,
       tests = list(cause = A(as.numeric(rownames(ci$Tests))), stat = A(unname(ci$Tests[, "stat"])),
                    pv = A(unname(ci$Tests[, "pv"])), df = A(unname(ci$Tests[, "df"]))),
       crr = list(coef = A(unname(fg$coef)), se = A(unname(sqrt(diag(fg$var)))),
                  p = A(unname(2 * pnorm(-abs(fg$coef / sqrt(diag(fg$var)))))), loglik = fg$loglik, loglikNull = fg$loglik.null,
                  converged = fg$converged, var = A(as.vector(fg$var))),
       causeSpecificCox = list(coef = A(unname(coef(cs))), se = A(unname(sqrt(diag(cs$var)))),
                               loglik = A(cs$loglik)))
}
cases <- list(ccase("3 groups, ties (1 decimal)", simulate(11, 240, 3, 1)),
              ccase("2 groups, heavy ties (integer times)", simulate(12, 150, 2, 0)))
writeJSON(list(cases = cases), "tests/fixtures/survival/competing.json")

# Edge case for crr's censoring weights: subjects with time 0 (censored and failing).
set.seed(5)
z <- simulate(21, 120, 2, 0)
z$time[1:6] <- 0
z$status[1:6] <- c(0, 0, 1, 2, 1, 0)
fz <- crr(z$time, z$status, cbind(x1 = z$x1, x2 = z$x2))
writeJSON(list(call = "crr(time, status, cbind(x1, x2)) with six time-0 subjects",
               data = list(time = A(z$time), status = A(z$status), x1 = A(z$x1), x2 = A(z$x2)),
               coef = A(unname(fz$coef)), se = A(unname(sqrt(diag(fz$var)))), loglik = fz$loglik),
          "tests/fixtures/survival/crr-time-zero.json")
