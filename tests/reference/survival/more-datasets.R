# Writes tests/fixtures/survival/more.json: further R datasets (pbc, colon, rotterdam, mgus2)
# and a floating-point near-tie case, in the same shapes as cox.json / km.json / competing.json.
# Run from the repository root:  Rscript tests/reference/survival/more-datasets.R
suppressMessages({ library(survival); library(cmprsk) })
source("tests/reference/survival/json.R")
source("tests/reference/survival/coxcase.R")

pb <- survival::pbc
pb$event <- as.integer(pb$status == 2)
pb$logbili <- log(pb$bili); pb$logprotime <- log(pb$protime)
co <- subset(survival::colon, etype == 2)
mm <- model.matrix(~ rx, co)
co$rxLev <- mm[, "rxLev"]; co$`rxLev+5FU` <- mm[, "rxLev+5FU"]
ro <- survival::rotterdam
rm <- model.matrix(~ size, ro)
ro$`size20-50` <- rm[, "size20-50"]; ro$`size>50` <- rm[, "size>50"]
# near-ties: times computed in floating point that R's aeqSurv merges (0.1 + 0.2 vs 0.3)
set.seed(99)
nt <- data.frame(x = rnorm(60), g = rbinom(60, 1, 0.5))
nt$time <- sample(c(0.1 + 0.2, 0.3, 0.7, 0.1 * 7, 1, 1.1, 2.2, 1.1 * 2, 3), 60, replace = TRUE)
nt$event <- rbinom(60, 1, 0.7)

cox <- list(
  coxcase("pbc efron", "coxph(Surv(time, status == 2) ~ age + edema + log(bili) + albumin + log(protime), pbc)",
          pb, "time", "event", c("age", "edema", "logbili", "albumin", "logprotime"), "efron"),
  coxcase("pbc breslow", "coxph(Surv(time, status == 2) ~ age + edema + log(bili) + albumin + log(protime), pbc, ties = 'breslow')",
          pb, "time", "event", c("age", "edema", "logbili", "albumin", "logprotime"), "breslow"),
  coxcase("colon deaths, rx + age + nodes + strata(sex)", "coxph(Surv(time, status) ~ rx + age + nodes + strata(sex), subset(colon, etype == 2))",
          co, "time", "status", c("rxLev", "rxLev+5FU", "age", "nodes"), "efron", strata = "sex"),
  coxcase("rotterdam", "coxph(Surv(dtime, death) ~ age + meno + size + grade + nodes + pgr + er + hormon + chemo, rotterdam)",
          ro, "dtime", "death", c("age", "meno", "size20-50", "size>50", "grade", "nodes", "pgr", "er", "hormon", "chemo"), "efron"),
  coxcase("rotterdam breslow", "coxph(Surv(dtime, death) ~ age + size + nodes + hormon, rotterdam, ties = 'breslow')",
          ro, "dtime", "death", c("age", "size20-50", "size>50", "nodes", "hormon"), "breslow"),
  coxcase("floating near-ties", "coxph(Surv(time, event) ~ x + g, nt)", nt, "time", "event", c("x", "g"), "efron")
)

kmcase <- function(name, time, event) {
  f <- survfit(Surv(time, event) ~ 1)
  tab <- summary(f)$table
  list(name = name, data = list(time = A(time), event = A(event)), time = A(f$time), n.risk = A(f$n.risk),
       n.event = A(f$n.event), surv = A(f$surv), std.err = A(f$std.err), lower = A(f$lower), upper = A(f$upper),
       median = unname(tab["median"]), lcl = unname(tab["0.95LCL"]), ucl = unname(tab["0.95UCL"]))
}
lr <- function(name, time, event, group) {
  d <- survdiff(Surv(time, event) ~ group)
  list(name = name, data = list(time = A(time), event = A(event), group = A(as.character(group))),
       groups = A(sub("group=", "", names(d$n))), obs = A(d$obs), exp = A(d$exp), chisq = d$chisq,
       df = length(d$n) - 1, p = pchisq(d$chisq, length(d$n) - 1, lower.tail = FALSE))
}
km <- list(kmcase("pbc", pb$time, pb$event), kmcase("rotterdam", ro$dtime, ro$death),
           kmcase("floating near-ties", nt$time, nt$event))
logrank <- list(lr("pbc by edema", pb$time, pb$event, pb$edema),
                lr("colon deaths by rx", co$time, co$status, co$rx),
                lr("rotterdam by grade", ro$dtime, ro$death, ro$grade))

mg <- survival::mgus2
mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
mg$event <- ifelse(mg$pstat == 0, 2 * mg$death, 1)
mg$male <- as.integer(mg$sex == "M")
ci <- cuminc(mg$etime, mg$event, mg$sex)
curves <- list()
for (nm in setdiff(names(ci), "Tests")) {
  cc <- ci[[nm]]; k <- length(cc$time); idx <- if (k > 2) seq(3, k - 1, by = 2) else integer(0)
  parts <- strsplit(nm, " ")[[1]]
  curves[[length(curves) + 1]] <- list(group = parts[1], cause = as.numeric(parts[2]), time = A(cc$time[idx]),
                                       est = A(cc$est[idx]), var = A(cc$var[idx]))
}
fg <- crr(mg$etime, mg$event, cbind(age = mg$age, male = mg$male))
competing <- list(name = "mgus2 PCM vs death",
  calls = c("cuminc(etime, event, sex)", "crr(etime, event, cbind(age, male))"),
  data = list(time = A(mg$etime), status = A(mg$event), age = A(mg$age), male = A(mg$male), group = A(as.character(mg$sex))),
  curves = curves,
  tests = list(cause = A(as.numeric(rownames(ci$Tests))), stat = A(unname(ci$Tests[, "stat"])), pv = A(unname(ci$Tests[, "pv"]))),
  crr = list(coef = A(unname(fg$coef)), se = A(unname(sqrt(diag(fg$var)))), converged = fg$converged, loglik = fg$loglik))
writeJSON(list(cox = cox, km = km, logrank = logrank, competing = competing), "tests/fixtures/survival/more.json")
