# R reference for tests/integration/outcomes/outcomes.test.ts ("matches R").
# Input: outcome-cohort.csv (write-outcome-cohort-csv.ts). Output: outcome-cohort.r.json.
# Run from the repository root:
#   npx tsx tests/integration/outcomes/write-outcome-cohort-csv.ts
#   Rscript tests/integration/outcomes/r-reference.R
# R survival (coxph, cox.zph, survfit, survdiff) and cmprsk (cuminc, crr), Debian packages
# r-cran-survival and r-cran-cmprsk.
suppressPackageStartupMessages({ library(survival); library(cmprsk) })
dir <- "tests/integration/outcomes"
d <- read.csv(file.path(dir, "outcome-cohort.csv"), stringsAsFactors = FALSE)
d$stage <- factor(d$stage, levels = c("I", "II", "III"))
num <- function(x) paste0("[", paste(sprintf("%.17g", x), collapse = ","), "]")
out <- list()

fit <- coxph(Surv(time, event) ~ fp + frac10 + age + stage, data = d, ties = "efron")
s <- summary(fit)
out$cox_coef <- num(coef(fit))
out$cox_se <- num(sqrt(diag(vcov(fit))))
out$cox_p <- num(s$coefficients[, "Pr(>|z|)"])
out$cox_lower95 <- num(s$conf.int[, "lower .95"])
out$cox_upper95 <- num(s$conf.int[, "upper .95"])
out$cox_logtest <- num(s$logtest)
out$cox_waldtest <- num(c(fit$wald.test, 5, pchisq(fit$wald.test, 5, lower.tail = FALSE)))  # summary() rounds it
out$cox_sctest <- num(s$sctest)
out$cox_concordance <- num(s$concordance)
out$cox_n <- num(c(fit$n, fit$nevent))
z <- cox.zph(fit, transform = "km")
out$zph_p <- num(z$table[, "p"])
out$zph_chisq <- num(z$table[, "chisq"])

# median split of FP voxels among patients with a value (x <= median: low)
m <- d[!is.na(d$fp), ]
m$grp <- ifelse(m$fp <= median(m$fp), "low", "high")
sf <- survfit(Surv(time, event) ~ grp, data = m, conf.type = "log")
for (g in c("low", "high")) {
  ss <- sf[paste0("grp=", g)]
  out[[paste0("km_", g, "_time")]] <- num(ss$time)
  out[[paste0("km_", g, "_surv")]] <- num(ss$surv)
  out[[paste0("km_", g, "_lower")]] <- num(ifelse(is.na(ss$lower), -1, ss$lower))
  out[[paste0("km_", g, "_upper")]] <- num(ifelse(is.na(ss$upper), -1, ss$upper))
  at <- summary(ss, times = c(0, 365, 730), extend = TRUE)
  out[[paste0("km_", g, "_nrisk")]] <- num(at$n.risk)
}
sd <- survdiff(Surv(time, event) ~ grp, data = m)
out$logrank <- num(c(sd$chisq, pchisq(sd$chisq, 1, lower.tail = FALSE)))

ci <- cuminc(m$time, m$status, m$grp)
out$gray <- num(ci$Tests["1", ])
for (g in c("low", "high")) {
  cc <- ci[[paste(g, "1")]]
  out[[paste0("cif_", g, "_time")]] <- num(cc$time)
  out[[paste0("cif_", g, "_est")]] <- num(cc$est)
}

cc <- d[complete.cases(d[, c("fp", "frac10", "age", "stage")]), ]
X <- model.matrix(~ fp + frac10 + age + stage, data = cc)[, -1]
fg <- crr(cc$time, cc$status, X, failcode = 1, cencode = 0)
out$fg_coef <- num(fg$coef)
out$fg_se <- num(sqrt(diag(fg$var)))

# tertiles of age (quantile type 7, right-closed as cut()), and a threshold on FP voxels (< 100 vs >= 100)
d$tert <- cut(d$age, c(-Inf, quantile(d$age, c(1/3, 2/3)), Inf))
out$tertile_n <- num(as.vector(table(d$tert)))
sd3 <- survdiff(Surv(time, event) ~ tert, data = d)
out$tertile_logrank <- num(c(sd3$chisq, pchisq(sd3$chisq, 2, lower.tail = FALSE)))
m$thr <- ifelse(m$fp < 100, "a", "b")
sdt <- survdiff(Surv(time, event) ~ thr, data = m)
out$threshold_n <- num(as.vector(table(m$thr)))
out$threshold_logrank <- num(c(sdt$chisq, pchisq(sdt$chisq, 1, lower.tail = FALSE)))

lines <- paste0('  "', names(out), '": ', unlist(out))
writeLines(c("{", paste(lines, collapse = ",\n"), "}"), file.path(dir, "outcome-cohort.r.json"))
