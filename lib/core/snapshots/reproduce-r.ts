/**
 * The R script of a snapshot's zip (`reproduce.R`, docs/outcomes-snapshots.md): it reads
 * dataset.csv from its own folder, keeps the analysis set (analysis_set = 1), rebuilds every
 * covariate in the unit the explorer fitted it in (the CSV holds natural units; the explorer's
 * value = the column × its scale, e.g. Dice × 10 = "per 0.1 Dice"), and refits each model the
 * snapshot holds with R's `survival` (coxph with the same ties method, survfit with log CIs,
 * survdiff) and `cmprsk` (cuminc for Gray's test, crr for Fine–Gray). It prints the fits and
 * writes their numbers as JSON (default `reproduced.json`, or the first argument), in the same
 * order as the snapshot's results.json. Base R only besides those two packages (no jsonlite).
 * Pure: builds text.
 */

export interface ReproduceCovariate {
  /** dataset.csv column. */
  column: string;
  label: string;
  /** The explorer's unit ("per 0.1 Dice", "III vs I"). */
  unit: string;
  kind: 'numeric' | 'categorical';
  /** The explorer's value = column × scale (numeric). */
  scale: number;
  /** Categorical: the levels, reference first (those present in the analysis set). */
  levels?: string[];
}

export interface ReproduceSpec {
  snapshotId: string;
  contentHash: string;
  title: string;
  codeVersion: string;
  eventLabel: string;
  /** dataset.csv columns of the time, the 0/1 event and (local failure) the 0/1/2 competing-risks status. */
  timeColumn: string;
  eventColumn: string;
  statusColumn: string | null;
  ties: 'efron' | 'breslow';
  covariates: ReproduceCovariate[];
  /** km_group values 1…k are these groups, in order. */
  groups: string[];
  /** dataset.csv columns read as text (everything else is numeric). */
  textColumns: string[];
  fitCox: boolean;
  fitFineGray: boolean;
  /** Gray's test and the log-rank test need two groups or more. */
  compareGroups: boolean;
}

/** An R string literal; non-ASCII characters as \u escapes so the script is plain ASCII in any locale. */
export function rString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp > 0x7e) out += cp > 0xffff ? `\\U{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** A comment line's text, ASCII only (non-ASCII shown as <U+XXXX>). */
function comment(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
}

function rNumber(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`reproduce.R: ${x} is not a finite number.`);
  return String(x);
}

const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export function reproduceRScript(spec: ReproduceSpec): string {
  for (const c of [spec.timeColumn, spec.eventColumn, spec.statusColumn ?? 'x', ...spec.covariates.map((c) => c.column)])
    if (!COLUMN_NAME.test(c)) throw new Error(`reproduce.R: column name "${c}" is not a plain R name (letters, digits, _).`);
  const L: string[] = [];
  const line = (s = '') => L.push(s);
  line(`# reproduce.R: refits every model of iSeg QA analysis snapshot ${spec.snapshotId}`);
  line(`# "${comment(spec.title)}"`);
  line(`# content sha256 ${spec.contentHash}; computed by ${comment(spec.codeVersion)}`);
  line('#');
  line('# Run it in the unzipped folder (next to dataset.csv):   Rscript reproduce.R [out.json]');
  line('# Needs R with the survival and cmprsk packages (Debian/Ubuntu: r-base-core, r-cran-survival,');
  line('# r-cran-cmprsk). Prints each fit and writes its numbers as JSON (default reproduced.json),');
  line('# in the order of results.json; compare them with it (every coefficient, SE, HR, CI and p).');
  line(`# Event: ${comment(spec.eventLabel)}; times in days (dataset column ${spec.timeColumn}).`);
  line();
  line('suppressPackageStartupMessages({ library(survival); library(cmprsk) })');
  line('args <- commandArgs(trailingOnly = TRUE)');
  line('out_file <- if (length(args) >= 1) args[[1]] else "reproduced.json"');
  line();
  const text = spec.textColumns.map((c) => `${rString(c)} = "character"`).join(', ');
  line(`d <- read.csv("dataset.csv", na.strings = "", check.names = FALSE, encoding = "UTF-8", colClasses = c(${text}))`);
  line('d <- d[!is.na(d$analysis_set) & d$analysis_set == 1, , drop = FALSE]');
  line(`time <- as.numeric(d[[${rString(spec.timeColumn)}]])`);
  line(`event <- as.numeric(d[[${rString(spec.eventColumn)}]])`);
  if (spec.statusColumn) line(`status <- as.numeric(d[[${rString(spec.statusColumn)}]])`);
  line('group <- as.integer(d$km_group)');
  line(`groups <- c(${spec.groups.map(rString).join(', ')})`);
  line('cat(sprintf("Analysis set: %d patients, %d events\\n", nrow(d), sum(event)))');
  line();
  line('# The covariates as the explorer fitted them (its value = the CSV column x its scale).');
  line('X <- data.frame(row.names = seq_len(nrow(d)))');
  for (const c of spec.covariates) {
    line(`# ${comment(c.label)} (${comment(c.unit)})`);
    if (c.kind === 'numeric') line(`X[[${rString(c.column)}]] <- as.numeric(d[[${rString(c.column)}]])${c.scale === 1 ? '' : ` * ${rNumber(c.scale)}`}`);
    else line(`X[[${rString(c.column)}]] <- factor(d[[${rString(c.column)}]], levels = c(${(c.levels ?? []).map(rString).join(', ')}))`);
  }
  line();
  line('# A minimal JSON writer (numbers as arrays, %.17g; NA, NaN and Inf as null).');
  line('json <- function(x) {');
  line('  if (is.null(x)) return("null")');
  line('  if (is.list(x)) {');
  line('    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")');
  line('    parts <- vapply(x, json, "")');
  line('    if (is.null(names(x))) return(paste0("[", paste(parts, collapse = ","), "]"))');
  line('    return(paste0("{", paste(sprintf("\\"%s\\":%s", names(x), parts), collapse = ","), "}"))');
  line('  }');
  line('  if (is.character(x)) return(paste0("[", paste0("\\"", gsub("([\\"\\\\\\\\])", "\\\\\\\\\\\\1", x), "\\"", collapse = ","), "]"))');
  line('  x <- as.numeric(x)');
  line('  paste0("[", paste(ifelse(is.finite(x), sprintf("%.17g", x), "null"), collapse = ","), "]")');
  line('}');
  line('res <- list()');
  line();
  if (spec.fitCox) {
    line(`# Cox proportional hazards (${spec.ties} ties)`);
    line('cd <- data.frame(.time = time, .event = event, X, check.names = FALSE)');
    line(`fit <- coxph(Surv(.time, .event) ~ ., data = cd, ties = ${rString(spec.ties)})`);
    line('s <- summary(fit)');
    line('print(s)');
    line('cf <- s$coefficients');
    line('df <- sum(!is.na(coef(fit)))');
    line('res$cox <- list(');
    line('  n = fit$n, nevent = fit$nevent, names = rownames(cf),');
    line('  coef = unname(cf[, "coef"]), se = unname(cf[, "se(coef)"]), hr = unname(cf[, "exp(coef)"]),');
    line('  lower95 = unname(s$conf.int[, "lower .95"]), upper95 = unname(s$conf.int[, "upper .95"]),');
    line('  z = unname(cf[, "z"]), p = unname(cf[, "Pr(>|z|)"]), loglik = fit$loglik,');
    line('  likelihoodRatio = unname(s$logtest), wald = c(fit$wald.test, df, pchisq(fit$wald.test, df, lower.tail = FALSE)),');
    line('  score = unname(s$sctest), concordance = unname(fit$concordance[c("concordance", "std")])');
    line(')');
    line();
  }
  line('# Kaplan-Meier per group (log-transformed 95% CIs, as the explorer)');
  line('res$km <- lapply(seq_along(groups), function(g) {');
  line('  sel <- !is.na(group) & group == g');
  line('  sf <- survfit(Surv(time[sel], event[sel]) ~ 1, conf.type = "log")');
  line('  cat(sprintf("KM group %d (%s): n = %d, events = %d\\n", g, groups[[g]], sf$n, sum(sf$n.event)))');
  line('  list(n = sf$n, events = sum(sf$n.event), time = sf$time, surv = sf$surv, lower = sf$lower, upper = sf$upper,');
  line('       nrisk = sf$n.risk, median = unname(summary(sf)$table["median"]))');
  line('})');
  if (spec.compareGroups) {
    line('sd <- survdiff(Surv(time, event) ~ factor(group))');
    line('print(sd)');
    line('res$logRank <- list(chisq = sd$chisq, df = length(sd$n) - 1, p = pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE))');
  }
  line();
  if (spec.statusColumn && spec.compareGroups) {
    line("# Gray's test for local failure (cause 1), death without local failure competing (cause 2)");
    line('if (any(status == 1)) {');
    line('  ci <- cuminc(time, status, group, cencode = 0)');
    line('  res$gray <- list(stat = ci$Tests["1", "stat"], p = ci$Tests["1", "pv"], df = ci$Tests["1", "df"])');
    line('  print(ci$Tests)');
    line('}');
    line();
  }
  if (spec.statusColumn && spec.fitFineGray) {
    line('# Fine-Gray subdistribution hazards (cmprsk::crr), failcode 1, cencode 0');
    line('M <- model.matrix(~ ., data = X)[, -1, drop = FALSE]');
    line('fg <- crr(time, status, M, failcode = 1, cencode = 0)');
    line('print(summary(fg))');
    line('fse <- sqrt(diag(fg$var))');
    line('fz <- fg$coef / fse');
    line('res$fineGray <- list(');
    line('  n = fg$n, names = colnames(M), coef = unname(fg$coef), se = unname(fse), hr = unname(exp(fg$coef)),');
    line('  lower95 = unname(exp(fg$coef - qnorm(0.975) * fse)), upper95 = unname(exp(fg$coef + qnorm(0.975) * fse)),');
    line('  z = unname(fz), p = unname(2 * pnorm(-abs(fz))), loglik = fg$loglik, loglikNull = fg$loglik.null');
    line(')');
    line();
  }
  line('writeLines(json(res), out_file)');
  line('cat(sprintf("Wrote %s\\n", out_file))');
  return L.join('\n') + '\n';
}
