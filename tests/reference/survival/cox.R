# Writes tests/fixtures/survival/cox.json: coxph, summary.coxph, concordance and cox.zph
# results from R's survival package, with the data used for each case.
# Run from the repository root:  Rscript tests/reference/survival/cox.R
suppressMessages(library(survival))
source("tests/reference/survival/json.R")

source("tests/reference/survival/coxcase.R")

lungcc <- survival::lung
lungcc$event <- lungcc$status - 1
cases <- list()
cases[[1]] <- coxcase("lung efron", "coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lungcc, ties = 'efron')",
  lungcc, "time", "event", c("age", "sex", "ph.ecog"), "efron")
cases[[2]] <- coxcase("lung breslow", "coxph(Surv(time, event) ~ age + sex + ph.ecog, data = lungcc, ties = 'breslow')",
  lungcc, "time", "event", c("age", "sex", "ph.ecog"), "breslow")
cases[[3]] <- coxcase("lung strata(sex)", "coxph(Surv(time, event) ~ age + ph.ecog + strata(sex), data = lungcc)",
  lungcc, "time", "event", c("age", "ph.ecog"), "efron", strata = "sex")
ov <- survival::ovarian
cases[[4]] <- coxcase("ovarian efron", "coxph(Surv(futime, fustat) ~ age + resid.ds + rx, data = ov)",
  ov, "futime", "fustat", c("age", "resid.ds", "rx"), "efron")
# Heavily tied and censored: integer times 1..8, about 70% censored.
set.seed(20261128)
n <- 150
tied <- data.frame(x1 = rnorm(n), x2 = rbinom(n, 1, 0.4), x3 = round(runif(n, 0, 5)))
tt <- rexp(n, 0.2 * exp(0.5 * tied$x1 - 0.7 * tied$x2 + 0.2 * tied$x3))
cc <- runif(n, 0, 6)
tied$time <- pmin(ceiling(pmin(tt, cc)), 8)
tied$event <- as.integer(tt <= cc)
cases[[5]] <- coxcase("tied efron", "coxph(Surv(time, event) ~ x1 + x2 + x3, data = tied, ties = 'efron')",
  tied, "time", "event", c("x1", "x2", "x3"), "efron")
cases[[6]] <- coxcase("tied breslow", "coxph(Surv(time, event) ~ x1 + x2 + x3, data = tied, ties = 'breslow')",
  tied, "time", "event", c("x1", "x2", "x3"), "breslow")
# Categorical covariate: veteran celltype (reference squamous), single covariate fit too.
vet <- survival::veteran
vet$celltype <- as.character(vet$celltype)
vf <- coxph(Surv(time, status) ~ trt + factor(celltype, levels = c("squamous", "smallcell", "adeno", "large")) + karno, data = vet)
vcase <- coxcase("veteran numeric part", "coxph(Surv(time, status) ~ karno, data = vet)",
  vet, "time", "status", c("karno"), "efron")
cases[[7]] <- vcase
vs <- summary(vf)
cat_case <- list(
  name = "veteran celltype", call = "coxph(Surv(time, status) ~ trt + factor(celltype, levels = c('squamous','smallcell','adeno','large')) + karno, data = vet)",
  data = list(time = A(vet$time), event = A(vet$status), trt = A(vet$trt), celltype = A(vet$celltype), karno = A(vet$karno)),
  coef = A(unname(coef(vf))), se = A(unname(sqrt(diag(vf$var)))), loglik = A(vf$loglik),
  logtest = A(tst(2 * diff(vf$loglik), 5)), waldtest = A(tst(vf$wald.test, 5)), sctest = A(tst(vf$score, 5)),
  zph = list(chisq = A(unname(cox.zph(vf)$table[, 1])), df = A(unname(cox.zph(vf)$table[, 2])), p = A(unname(cox.zph(vf)$table[, 3]))))
writeJSON(list(cases = cases, categorical = cat_case), "tests/fixtures/survival/cox.json")
