# coxcase(): one coxph fit with summary, concordance and cox.zph, as a JSON-ready list.
# Needs json.R sourced first.
tst <- function(x, df) c(x, df, pchisq(x, df, lower.tail = FALSE))
coxcase <- function(name, call, data, time, event, covs, ties, strata = NULL) {
  f <- eval(parse(text = call))
  s <- summary(f)
  zph <- cox.zph(f, transform = "km")
  warn <- NULL
  list(
    name = name, call = call, ties = ties,
    data = c(list(time = A(data[[time]]), event = A(data[[event]])),
             setNames(lapply(covs, function(v) A(data[[v]])), covs),
             if (!is.null(strata)) list(strata = A(as.character(data[[strata]]))) else NULL),
    covariates = A(covs),
    # model terms (cox.zph tests a factor's columns together), 0-based column indices
    terms = lapply(names(f$assign), function(nm) list(name = nm, columns = A(f$assign[[nm]] - 1))),
    coefNames = A(names(coef(f))),
    coef = A(unname(coef(f))), se = A(unname(sqrt(diag(f$var)))),
    hr = A(unname(exp(coef(f)))),
    lower95 = A(unname(s$conf.int[, 3])), upper95 = A(unname(s$conf.int[, 4])),
    z = A(unname(s$coefficients[, 4])), p = A(unname(s$coefficients[, 5])),
    var = A(as.vector(f$var)),
    loglik = A(f$loglik), iter = f$iter, n = f$n, nevent = f$nevent,
    means = A(unname(f$means)),
    # summary.coxph rounds the statistics; recompute them unrounded as summary.coxph does
    logtest = A(tst(2 * diff(f$loglik), length(coef(f)))), waldtest = A(tst(f$wald.test, length(coef(f)))),
    sctest = A(tst(f$score, length(coef(f)))),
    concordance = as.list(f$concordance),
    zph = list(chisq = A(unname(zph$table[, 1])), df = A(unname(zph$table[, 2])),
               p = A(unname(zph$table[, 3])), names = A(rownames(zph$table)))
  )
}

