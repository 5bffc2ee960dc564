/**
 * `iseg-qa survival cox|km|cif --csv F …` (docs/cli.md). Reads a CSV with named
 * columns, fits with lib/core/survival (checked against R's survival and cmprsk), and prints a
 * table, or one JSON object with --json. Bad input: one line on stderr, exit 2.
 */
import { parseArgs } from 'node:util';
import { AppError } from '../../lib/server/errors';
import { readSurvivalCsv } from '../../lib/server/csv/read-survival-csv';
import type { CoxCoefficient, CoxFit } from '../../lib/core/survival/cox';
import type { CovariateSpec } from '../../lib/core/survival/design';
import { SurvivalError } from '../../lib/core/survival/errors';
import { formatHazardRatio, rescaledUnitLabel } from '../../lib/core/survival/format-hazard-ratio';
import { fail, printJson } from '../output';

const USAGE = `Usage:
  iseg-qa survival cox --csv F --time T --event E --covariates a,b,c [--categorical b] [--reference b=LEVEL]
                       [--strata S] [--ties efron|breslow] [--unit a=voxel] [--per a=10] [--json]
  iseg-qa survival km  --csv F --time T --event E [--group G] [--times 0,365,730] [--json]
  iseg-qa survival cif --csv F --time T --status S [--group G] [--times 365,730] [--covariates a,b] [--json]
Event: 1 = event, 0 = censored. Status: 0 = censored, 1 = event of interest, 2 = competing event.
Cells that are empty or NA are missing: those rows are left out and counted.
--unit COL=TEXT labels a covariate's unit (shown as "HR per TEXT"); --per COL=K reports the HR per
K units (the column is divided by K), e.g. --unit fpFraction="percentage point" --per fpFraction=10.`;

const list = (s: string | undefined) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : [];

function need(v: string | undefined, flag: string): string {
  if (!v) fail(`survival: ${flag} is required.\n${USAGE}`);
  return v;
}

const fmt = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? 'NA'
    : Math.abs(x) !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6)
      ? x.toExponential(2)
      : Number(x.toPrecision(digits)).toString();

function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const w = cells[0].map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  return cells.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join('  ')).join('\n');
}

type HrRow = { name: string; coef: number; hr: number; lower95: number; upper95: number; se: number; z?: number; p: number; unit?: string | null };

/**
 * The coefficient table with HR and CI printed by formatHazardRatio (enough digits that the
 * bounds differ from each other and from 1), and a note per covariate whose HR needed many
 * digits giving it per 10^k units (numeric covariates only: `numeric` names them when some are
 * categorical).
 */
function hrTable(rows: HrRow[], ratio: 'HR' | 'sHR', withZ: boolean, numeric?: ReadonlySet<string>): string {
  const notes: string[] = [];
  const body = rows.map((c) => {
    const f = formatHazardRatio({ hr: c.hr, lower: c.lower95, upper: c.upper95 });
    const label = c.unit ? `${c.name} (${c.unit})` : c.name;
    if (f.rescaled && (!numeric || numeric.has(c.name))) notes.push(`${c.name}: ${ratio} ${rescaledUnitLabel(f.rescaled.per, c.unit)} = ${f.rescaled.text}`);
    return withZ
      ? [label, fmt(c.coef), f.hr, f.lower, f.upper, fmt(c.se), fmt(c.z, 3), fmt(c.p, 3)]
      : [label, fmt(c.coef), f.hr, f.lower, f.upper, fmt(c.se), fmt(c.p, 3)];
  });
  const header = withZ ? ['', 'coef', ratio, 'lower .95', 'upper .95', 'se(coef)', 'z', 'p'] : ['', 'coef', ratio, 'lower .95', 'upper .95', 'se', 'p'];
  return [table([header, ...body]), ...notes].join('\n');
}

function coxText(
  fit: Omit<CoxFit, 'coefficients'> & { coefficients: (CoxCoefficient & { unit?: string | null })[]; dropped?: AnalysisSet['dropped'] },
  numeric?: ReadonlySet<string>,
  { showN = true } = {},
): string {
  const out: string[] = [];
  const dropped = fit.nDropped
    ? `, ${fit.nDropped} rows dropped (${fit.dropped?.length ? fit.dropped.map((d) => `${d.reason}: ${d.count}`).join('; ') : 'missing values'})`
    : '';
  out.push(`Cox proportional hazards (${fit.ties} ties): ${showN ? `n = ${fit.n}, ` : ''}events = ${fit.nevent}${showN ? dropped : ''}`);
  out.push(hrTable(fit.coefficients, 'HR', true, numeric));
  out.push('');
  out.push(`Concordance = ${fmt(fit.concordance.concordance, 3)} (se = ${fmt(fit.concordance.std, 3)})`);
  out.push(`Likelihood ratio test = ${fmt(fit.logtest.chisq)} on ${fit.logtest.df} df, p = ${fmt(fit.logtest.p, 3)}`);
  out.push(`Wald test             = ${fmt(fit.waldtest.chisq)} on ${fit.waldtest.df} df, p = ${fmt(fit.waldtest.p, 3)}`);
  out.push(`Score (logrank) test  = ${fmt(fit.sctest.chisq)} on ${fit.sctest.df} df, p = ${fmt(fit.sctest.p, 3)}`);
  out.push(`Converged: ${fit.converged} (${fit.stopReason}, ${fit.iterations} iterations)`);
  if (fit.zph) {
    out.push('', 'Proportional hazards test (cox.zph, KM transform):');
    out.push(table([['', 'chisq', 'df', 'p'], ...[...fit.zph.terms, fit.zph.global].map((r) => [r.term, fmt(r.chisq), r.df, fmt(r.p, 3)])]));
  }
  for (const w of fit.warnings) out.push(`warning [${w.code}]: ${w.message}`);
  return out.join('\n');
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof AppError || e instanceof SurvivalError) fail(`survival: ${e.message}`);
    throw e;
  }
}

async function cox(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      csv: { type: 'string' },
      time: { type: 'string' },
      event: { type: 'string' },
      covariates: { type: 'string' },
      categorical: { type: 'string' },
      reference: { type: 'string', multiple: true },
      strata: { type: 'string' },
      ties: { type: 'string', default: 'efron' },
      json: { type: 'boolean', default: false },
      unit: { type: 'string', multiple: true },
      per: { type: 'string', multiple: true },
    },
  });
  const pairs = (flag: string, items: string[] | undefined) => {
    const m = new Map<string, string>();
    for (const r of items ?? []) {
      const [k, ...v] = r.split('=');
      if (!v.length || !covs.includes(k)) fail(`survival cox: --${flag} must be COLUMN=VALUE for a column in --covariates; got "${r}".`);
      m.set(k, v.join('='));
    }
    return m;
  };
  const ties = values.ties;
  if (ties !== 'efron' && ties !== 'breslow') fail(`survival cox: --ties must be efron or breslow, not "${ties}".`);
  const covs = list(need(values.covariates, '--covariates'));
  const categorical = list(values.categorical);
  for (const c of categorical) if (!covs.includes(c)) fail(`survival cox: --categorical ${c} is not in --covariates.`);
  const refs = new Map<string, string>();
  for (const r of values.reference ?? []) {
    const [k, ...v] = r.split('=');
    if (!v.length || !categorical.includes(k)) fail(`survival cox: --reference must be COLUMN=LEVEL for a --categorical column; got "${r}".`);
    refs.set(k, v.join('='));
  }
  // each subcommand loads only the modules it needs (start-up time is part of the benchmark)
  const [{ coxph }, { buildDesignMatrix }] = await Promise.all([import('../../lib/core/survival/cox'), import('../../lib/core/survival/design')]);
  const units = pairs('unit', values.unit);
  const per = new Map([...pairs('per', values.per)].map(([k, v]) => [k, Number(v)]));
  for (const [k, v] of per) {
    if (!(v > 0) || !Number.isFinite(v)) fail(`survival cox: --per ${k}=${values.per} must be a positive number.`);
    if (categorical.includes(k)) fail(`survival cox: --per does not apply to the categorical column ${k}.`);
  }
  const unitLabel = (name: string) => {
    const u = units.get(name);
    const k = per.get(name);
    if (!u && !k) return undefined;
    return `per ${k ?? 1} ${u ?? 'unit'}${(k ?? 1) !== 1 && u && !u.endsWith('s') ? 's' : ''}`;
  };
  const fit = wrap(() => {
    const csv = readSurvivalCsv({
      path: need(values.csv, '--csv'),
      time: need(values.time, '--time'),
      event: need(values.event, '--event'),
      numeric: covs.filter((c) => !categorical.includes(c)),
      categorical,
      labels: values.strata ? [values.strata] : [],
    });
    const specs: CovariateSpec[] = covs.map((c) =>
      categorical.includes(c) ? { name: c, kind: 'categorical', reference: refs.get(c) } : { name: c, kind: 'numeric' },
    );
    for (const [k, v] of per) csv.numeric[k] = csv.numeric[k].map((x) => x / v);
    const dm = buildDesignMatrix({ ...csv.numeric, ...csv.text }, specs);
    const f = coxph(
      { time: csv.time, event: csv.event!, covariates: dm.covariates, names: dm.names, strata: values.strata ? csv.text[values.strata] : undefined },
      { ties, terms: dm.terms },
    );
    // coxph leaves out the same rows (complete cases); this names why
    const set = analysisSet(csv.rowCount, [
      [values.time!, csv.time],
      [values.event!, csv.event!],
      ...covs.map((c) => [c, categorical.includes(c) ? csv.text[c] : csv.numeric[c]] as [string, ArrayLike<number | string | null>]),
      ...(values.strata ? [[values.strata, csv.text[values.strata]] as [string, (string | null)[]]] : []),
    ]);
    return { ...f, dropped: set.keep.length === f.n ? set.dropped : [] };
  });
  const withUnits = { ...fit, coefficients: fit.coefficients.map((c) => ({ ...c, unit: unitLabel(c.name) ?? null })) };
  if (values.json) printJson({ command: 'survival cox', ...withUnits });
  else console.log(coxText(withUnits, new Set(covs.filter((c) => !categorical.includes(c)))));
  return 0;
}

/**
 * The analysis set of a run: the rows with a value in every column the run uses (time, event or
 * status, group, covariates), decided once, so every estimate and test of the run (curves,
 * Gray's test, Fine–Gray, cause-specific Cox) is on the same rows and n is reported once. Each
 * dropped row is counted once, under the columns it lacks ("missing group", "missing x1, group").
 */
interface AnalysisSet {
  keep: number[];
  nDropped: number;
  dropped: { reason: string; count: number }[];
}

function analysisSet(n: number, cols: [string, ArrayLike<number | string | null>][]): AnalysisSet {
  const keep: number[] = [];
  const reasons = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const missing = cols.filter(([, c]) => c[i] === null || (typeof c[i] === 'number' && Number.isNaN(c[i]))).map(([name]) => name);
    if (!missing.length) keep.push(i);
    else {
      const reason = `missing ${missing.join(', ')}`;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  return { keep, nDropped: n - keep.length, dropped: [...reasons].map(([reason, count]) => ({ reason, count })) };
}

const droppedText = (set: Pick<AnalysisSet, 'nDropped' | 'dropped'>) =>
  set.nDropped ? `, ${set.nDropped} rows dropped (${set.dropped.map((d) => `${d.reason}: ${d.count}`).join('; ')})` : '';

async function km(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      csv: { type: 'string' },
      time: { type: 'string' },
      event: { type: 'string' },
      group: { type: 'string' },
      times: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const times = list(values.times).map(Number);
  if (times.some((t) => !Number.isFinite(t))) fail(`survival km: --times must be numbers separated by commas, got "${values.times}".`);
  const [{ kaplanMeier, numberAtRisk, reverseKmFollowUp }, { logRankTest }, { sortLevels }] = await Promise.all([
    import('../../lib/core/survival/km'),
    import('../../lib/core/survival/logrank'),
    import('../../lib/core/survival/design'),
  ]);
  const result = wrap(() => {
    const csv = readSurvivalCsv({
      path: need(values.csv, '--csv'),
      time: need(values.time, '--time'),
      event: need(values.event, '--event'),
      labels: values.group ? [values.group] : [],
    });
    const g = values.group ? csv.text[values.group] : null;
    const set = analysisSet(csv.rowCount, [
      [values.time!, csv.time],
      [values.event!, csv.event!],
      ...(g ? [[values.group!, g] as [string, (string | null)[]]] : []),
    ]);
    const keep = set.keep;
    const time = keep.map((i) => csv.time[i]);
    const event = keep.map((i) => csv.event![i]);
    const labels = g ? keep.map((i) => g[i]!) : keep.map(() => 'all');
    const groups = sortLevels(labels);
    const curves = groups.map((grp) => {
      const idx = labels.flatMap((l, i) => (l === grp ? [i] : []));
      const t = idx.map((i) => time[i]);
      const curve = kaplanMeier(
        t,
        idx.map((i) => event[i]),
      );
      return { group: grp, ...curve, atRisk: times.length ? numberAtRisk(curve, t, times) : undefined };
    });
    return {
      command: 'survival km',
      n: keep.length,
      nDropped: set.nDropped,
      dropped: set.dropped,
      followUp: reverseKmFollowUp(time, event),
      curves,
      logrank: g && groups.length > 1 ? logRankTest(time, event, labels, groups) : null,
    };
  });
  if (values.json) {
    printJson(result);
    return 0;
  }
  const out: string[] = [`Kaplan–Meier: n = ${result.n}${droppedText(result)}`];
  out.push(
    table([
      ['group', 'n', 'events', 'median', '0.95LCL', '0.95UCL'],
      ...result.curves.map((c) => [c.group, c.n, c.events, fmt(c.median), fmt(c.medianLower95), fmt(c.medianUpper95)]),
    ]),
  );
  out.push(`Median follow-up (reverse KM): ${fmt(result.followUp.median)} [${fmt(result.followUp.lower95)}, ${fmt(result.followUp.upper95)}]`);
  for (const c of result.curves)
    if (c.atRisk)
      out.push('', `Number at risk (${c.group}):`, table([['time', 'n.risk', 'survival'], ...c.atRisk.map((r) => [fmt(r.time), r.nRisk, fmt(r.surv)])]));
  if (result.logrank) {
    const lr = result.logrank;
    out.push(
      '',
      'Log-rank test:',
      table([['group', 'N', 'Observed', 'Expected'], ...lr.groups.map((g, i) => [g, lr.n[i], lr.observed[i], fmt(lr.expected[i])])]),
    );
    out.push(`Chisq = ${fmt(lr.chisq)} on ${lr.df} df, p = ${fmt(lr.p, 3)}`);
  }
  console.log(out.join('\n'));
  return 0;
}

async function cif(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      csv: { type: 'string' },
      time: { type: 'string' },
      status: { type: 'string' },
      group: { type: 'string' },
      covariates: { type: 'string' },
      times: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const covs = list(values.covariates);
  const times = list(values.times).map(Number);
  if (times.some((t) => !Number.isFinite(t))) fail(`survival cif: --times must be numbers separated by commas, got "${values.times}".`);
  const [{ cumulativeIncidence, cumincAt }, { fineGray }, { causeSpecificCox }] = await Promise.all([
    import('../../lib/core/survival/cuminc'),
    import('../../lib/core/survival/fine-gray'),
    import('../../lib/core/survival/cause-specific'),
  ]);
  const result = wrap(() => {
    const csv = readSurvivalCsv({
      path: need(values.csv, '--csv'),
      time: need(values.time, '--time'),
      status: need(values.status, '--status'),
      numeric: covs,
      labels: values.group ? [values.group] : [],
    });
    const g = values.group ? csv.text[values.group] : null;
    // one analysis set for the curves, Gray's test, Fine–Gray and the cause-specific Cox model
    const set = analysisSet(csv.rowCount, [
      [values.time!, csv.time],
      [values.status!, csv.status!],
      ...(g ? [[values.group!, g] as [string, (string | null)[]]] : []),
      ...covs.map((c) => [c, csv.numeric[c]] as [string, Float64Array]),
    ]);
    const keep = set.keep;
    const time = keep.map((i) => csv.time[i]);
    const status = keep.map((i) => csv.status![i]);
    const ci = cumulativeIncidence(time, status, g ? keep.map((i) => g[i]!) : undefined);
    // as cmprsk::timepoints: estimate and variance at chosen times (NA past a curve's follow-up)
    const curves = ci.curves.map((c) => ({
      ...c,
      at: times.length ? cumincAt(c, times).map((r) => (r.time > c.maxTime ? { time: r.time, est: null, var: null } : r)) : undefined,
    }));
    let fineGrayFit = null;
    let causeSpecific = null;
    if (covs.length) {
      const cv = covs.map((c) => keep.map((i) => csv.numeric[c][i]));
      fineGrayFit = fineGray({ time, status, covariates: cv, names: covs });
      causeSpecific = causeSpecificCox({ time, status, covariates: cv, names: covs }, 1, { zph: false });
    }
    return {
      command: 'survival cif',
      n: keep.length,
      nDropped: set.nDropped,
      dropped: set.dropped,
      ...ci,
      curves,
      grayTest: ci.tests,
      fineGray: fineGrayFit,
      causeSpecificCox: causeSpecific,
    };
  });
  const { tests: _t, ...json } = result;
  if (values.json) {
    printJson(json);
    return 0;
  }
  const out: string[] = [
    `Competing risks: n = ${result.n}${droppedText(result)} (one analysis set for every estimate below)`,
    '',
    'Cumulative incidence (Aalen–Johansen):',
  ];
  for (const c of result.curves) {
    const last = c.est.length ? c.est[c.est.length - 1] : 0;
    out.push(
      `group ${c.group}, cause ${c.cause}: ${c.time.length} event times, incidence at ${fmt(c.maxTime)} = ${fmt(last)} (SE ${fmt(Math.sqrt(c.var.length ? c.var[c.var.length - 1] : 0))})`,
    );
  }
  if (times.length)
    out.push(
      '',
      'Cumulative incidence at chosen times (est, SE):',
      table([
        ['group cause', ...times.map((t) => fmt(t))],
        ...result.curves.map((c) => [`${c.group} ${c.cause}`, ...c.at!.map((r) => (r.est === null ? 'NA' : `${fmt(r.est)} (${fmt(Math.sqrt(r.var!))})`))]),
      ]),
    );
  if (result.grayTest)
    out.push('', "Gray's test:", table([['cause', 'stat', 'df', 'p'], ...result.grayTest.map((t) => [t.cause, fmt(t.stat), t.df, fmt(t.p, 3)])]));
  if (result.fineGray) {
    const f = result.fineGray;
    out.push('', `Fine–Gray (cause 1), converged: ${f.converged}`, hrTable(f.coefficients, 'sHR', false));
    for (const w of f.warnings) out.push(`warning [${w.code}]: ${w.message}`);
  }
  if (result.causeSpecificCox) out.push('', 'Cause-specific Cox (cause 1; cause 2 censored):', coxText(result.causeSpecificCox, undefined, { showN: false }));
  console.log(out.join('\n'));
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub) fail('survival: give a subcommand, cox, km or cif (iseg-qa survival --help lists the options).');
  if (sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const parse = async (f: (a: string[]) => Promise<number>) => {
    try {
      return await f(rest);
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail(`survival ${sub}: ${(e as Error).message}`);
      throw e;
    }
  };
  if (sub === 'cox') return parse(cox);
  if (sub === 'km') return parse(km);
  if (sub === 'cif') return parse(cif);
  fail(`survival: unknown subcommand "${sub}"; use cox, km or cif.`);
}
