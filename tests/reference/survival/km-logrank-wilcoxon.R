# Writes tests/fixtures/survival/km.json (survfit, print.survfit medians, summary(times=),
# reverse-KM follow-up, survdiff) and tests/fixtures/survival/wilcoxon.json (wilcox.test paired).
# Run from the repository root:  Rscript tests/reference/survival/km-logrank-wilcoxon.R
suppressMessages(library(survival))
source("tests/reference/survival/json.R")

kmcase <- function(name, time, event, times) {
  f <- survfit(Surv(time, event) ~ 1, conf.type = "log")
  tab <- summary(f)$table
  s <- summary(f, times = times)
  rf <- survfit(Surv(time, 1 - event) ~ 1)
  list(name = name, call = "survfit(Surv(time, event) ~ 1, conf.type = 'log')",
       data = list(time = A(time), event = A(event)),
       time = A(f$time), n.risk = A(f$n.risk), n.event = A(f$n.event), n.censor = A(f$n.censor),
       surv = A(f$surv), std.err = A(f$std.err), lower = A(f$lower), upper = A(f$upper),
       median = unname(tab["median"]), lcl = unname(tab["0.95LCL"]), ucl = unname(tab["0.95UCL"]),
       atTimes = A(times), atRisk = A(s$n.risk), survAt = A(s$surv),
       followUp = A(unname(summary(rf)$table[c("median", "0.95LCL", "0.95UCL")])))
}
lungd <- survival::lung
km <- list()
km[[1]] <- kmcase("lung", lungd$time, lungd$status - 1, c(0, 180, 365, 730))
km[[2]] <- kmcase("lung sex=2", lungd$time[lungd$sex == 2], lungd$status[lungd$sex == 2] - 1, c(0, 100, 200, 500))
km[[3]] <- kmcase("aml", survival::aml$time, survival::aml$status, c(0, 10, 20, 40))
# last subject has an event (S reaches 0), tied event/censor times, exact 0.5 plateau
km[[4]] <- kmcase("edge", c(1, 2, 2, 3, 4, 4, 5, 6), c(1, 1, 0, 1, 0, 1, 1, 1), c(0, 2, 4.5, 6))
vet <- survival::veteran
ov <- survival::ovarian
lr <- function(name, time, event, group) {
  d <- survdiff(Surv(time, event) ~ group)
  list(name = name, call = "survdiff(Surv(time, event) ~ group)",
       data = list(time = A(time), event = A(event), group = A(as.character(group))),
       groups = A(sub("group=", "", names(d$n))), n = A(as.vector(d$n)),
       obs = A(d$obs), exp = A(d$exp), chisq = d$chisq, df = length(d$n) - 1,
       p = pchisq(d$chisq, length(d$n) - 1, lower.tail = FALSE))
}
logrank <- list(
  lr("lung by sex", lungd$time, lungd$status - 1, lungd$sex),
  lr("veteran by celltype", vet$time, vet$status, as.character(vet$celltype)),
  lr("ovarian by rx", ov$futime, ov$fustat, ov$rx)
)
writeJSON(list(km = km, logrank = logrank), "tests/fixtures/survival/km.json")

set.seed(7)
wc <- function(name, x, y) {
  w <- suppressWarnings(wilcox.test(x, y, paired = TRUE))
  list(name = name, call = "wilcox.test(x, y, paired = TRUE)", x = A(x), y = A(y),
       V = unname(w$statistic), p = w$p.value, method = w$method)
}
x1 <- round(rnorm(12, 30, 8), 3); y1 <- x1 + round(rnorm(12, 2, 3), 3)
x2 <- round(rnorm(40, 50, 10), 1); y2 <- x2 + round(rnorm(40, 1, 2), 0)
x3 <- round(rnorm(80, 20, 5), 4); y3 <- x3 * 1.08 + round(rnorm(80, 0, 1), 4)
x4 <- c(1, 2, 3, 4, 5, 6, 7, 8); y4 <- c(2, 2, 5, 1, 9, 8, 10, 12)
x5 <- round(rnorm(30, 40, 10), 2); y5 <- x5 + 5 + round(rnorm(30, 0, 0.5), 2)
wil <- list(wc("exact n=12", x1, y1), wc("ties n=40", x2, y2), wc("normal n=80", x3, y3),
            wc("zero difference", x4, y4), wc("exact tiny p n=30", x5, y5))
writeJSON(list(cases = wil), "tests/fixtures/survival/wilcoxon.json")
