/**
 * The outcomes analysis behind /outcomes: a Cox model on the chosen covariates, Kaplan–Meier
 * curves by group with the log-rank test, and — for local failure — cumulative incidence with
 * death as a competing event, Gray's test and a Fine–Gray model. Every number comes from
 * lib/core/survival; this file only selects rows, builds groups and reshapes the results into
 * plain JSON (no NaN or Infinity: such a value becomes null with an entry in `nullReasons`).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import {
  buildDesignMatrix,
  coxph,
  cumulativeIncidence,
  fineGray,
  kaplanMeier,
  logRankTest,
  numberAtRisk,
  reverseKmFollowUp,
  SurvivalError,
  type CovariateSpec,
  type CoxFit,
} from '@/lib/core/survival';
import { getOutcomeDataset, type OutcomeDataset } from './get-outcome-dataset';
import { EVENT_CHOICES, type CovariateInfo } from './outcome-covariates';
import { OutcomeAnalysisRequest, type OutcomeAnalysisRequestInput } from './run-outcome-analysis.types';
import { quantile } from '../../core/stats/quantile';

export interface AnalysisNotice {
  code: string;
  message: string;
}

export type Section<T> = { status: 'ok'; value: T } | { status: 'not-run'; reason: string } | { status: 'error'; code: string; message: string };

export interface CoefficientRow {
  /** Design-matrix column name as lib/core/survival names it. */
  name: string;
  covariate: string;
  label: string;
  /** "per voxel", "per cc", "III vs I", … */
  unit: string;
  coef: number | null;
  se: number | null;
  hr: number | null;
  lower95: number | null;
  upper95: number | null;
  z: number | null;
  p: number | null;
}

export interface TestRow {
  chisq: number | null;
  df: number;
  p: number | null;
}

export interface CoxSection {
  n: number;
  nevent: number;
  nDropped: number;
  ties: 'efron' | 'breslow';
  coefficients: CoefficientRow[];
  loglik: [number | null, number | null];
  likelihoodRatio: TestRow;
  wald: TestRow;
  score: TestRow;
  concordance: { c: number | null; se: number | null };
  zph: { term: string; label: string; chisq: number | null; df: number; p: number | null }[];
  zphGlobal: TestRow | null;
  iterations: number;
  converged: boolean;
  stopReason: string;
  warnings: AnalysisNotice[];
}

export interface KmPoint {
  time: number;
  surv: number;
  /** Subjects censored at this time (drawn as tick marks). */
  nCensor: number;
  lower: number | null;
  upper: number | null;
}

export interface KmGroup {
  group: string;
  n: number;
  events: number;
  median: number | null;
  medianLower95: number | null;
  medianUpper95: number | null;
  points: KmPoint[];
  /** Number at risk (and S(t)) at the chosen times. */
  atRisk: { time: number; nRisk: number; surv: number }[];
}

export interface KmSection {
  groups: KmGroup[];
  logRank: { chisq: number | null; df: number; p: number | null; observed: number[]; expected: (number | null)[] } | null;
  logRankNote: string | null;
}

export interface CumincSection {
  curves: { group: string; cause: 1 | 2; label: string; points: { time: number; est: number }[] }[];
  gray: { stat: number | null; df: number; p: number | null } | null;
  grayNote: string | null;
  fineGray: Section<{
    n: number;
    /** Local failures (cause 1) among the n rows the model used. */
    events: number;
    nDropped: number;
    coefficients: CoefficientRow[];
    loglik: number | null;
    loglikNull: number | null;
    iterations: number;
    converged: boolean;
    stopReason: string;
    warnings: AnalysisNotice[];
  }>;
}

export interface OutcomeAnalysis {
  request: OutcomeAnalysisRequest;
  eventLabel: string;
  timeUnit: 'days';
  covariates: CovariateInfo[];
  counts: {
    patientsWithOutcome: number;
    patientsWithoutOutcome: number;
    usable: number;
    excluded: { reason: string; count: number }[];
    events: number;
    competingDeaths: number | null;
    medianFollowUpDays: number | null;
  };
  grouping: { description: string; groups: { label: string; n: number }[]; missing: number } | null;
  cox: Section<CoxSection>;
  km: Section<KmSection>;
  cuminc: Section<CumincSection>;
  warnings: AnalysisNotice[];
  /** Values that were not finite and were replaced by null. */
  nullReasons: { path: string; reason: string }[];
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3);
}

function errorSection(e: unknown): { status: 'error'; code: string; message: string } {
  if (e instanceof SurvivalError || e instanceof AppError) return { status: 'error', code: e.code, message: e.message };
  throw e;
}

/** Replace non-finite numbers by null, recording where (docs/conventions.md, item 3). */
function sanitize<T>(value: T, reasons: { path: string; reason: string }[], path = ''): T {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    reasons.push({ path, reason: Number.isNaN(value) ? 'NOT_A_NUMBER' : value > 0 ? 'POSITIVE_INFINITY' : 'NEGATIVE_INFINITY' });
    return null as T;
  }
  if (Array.isArray(value)) return value.map((v, i) => sanitize(v, reasons, `${path}[${i}]`)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = sanitize(v, reasons, path ? `${path}.${k}` : k);
    return out as T;
  }
  return value;
}

interface Design {
  specs: CovariateSpec[];
  columns: Record<string, (number | string | null)[]>;
  /** design column name → coefficient-row metadata */
  describe(name: string): Pick<CoefficientRow, 'covariate' | 'label' | 'unit'>;
}

function design(rows: OutcomeDataset['rows'], chosen: CovariateInfo[]): Design {
  const columns: Record<string, (number | string | null)[]> = {};
  const specs: CovariateSpec[] = [];
  const meta: Record<string, Pick<CoefficientRow, 'covariate' | 'label' | 'unit'>> = {};
  for (const c of chosen) {
    columns[c.key] = rows.map((r) => r.values[c.key] ?? null);
    if (c.kind === 'numeric') {
      specs.push({ name: c.key, kind: 'numeric' });
      meta[c.key] = { covariate: c.key, label: c.label, unit: c.unit };
    } else {
      const present = new Set(columns[c.key].filter((v) => v !== null).map(String));
      const levels = (c.levels ?? []).filter((l) => present.has(l));
      specs.push({ name: c.key, kind: 'categorical', levels });
      for (const level of levels.slice(1)) meta[`${c.key}${level}`] = { covariate: c.key, label: `${c.label} = ${level}`, unit: `${level} vs ${levels[0]}` };
    }
  }
  return { specs, columns, describe: (name) => meta[name] ?? { covariate: name, label: name, unit: '' } };
}

function coefRows(
  coefs: { name: string; coef: number; se: number; hr: number; lower95: number; upper95: number; z: number; p: number }[],
  d: Design,
): CoefficientRow[] {
  return coefs.map((c) => ({ name: c.name, ...d.describe(c.name), coef: c.coef, se: c.se, hr: c.hr, lower95: c.lower95, upper95: c.upper95, z: c.z, p: c.p }));
}

function coxSection(fit: CoxFit, d: Design, labelOf: (key: string) => string): CoxSection {
  const zphWarnings: AnalysisNotice[] = [];
  const zph = (fit.zph?.terms ?? []).map((t) => ({ term: t.term, label: labelOf(t.term), chisq: t.chisq, df: t.df, p: t.p }));
  for (const t of zph)
    if (t.p !== null && t.p < 0.05)
      zphWarnings.push({
        code: 'PH_VIOLATION',
        message: `Proportional hazards may not hold for ${t.label} (cox.zph, KM transform: χ² = ${t.chisq!.toFixed(2)}, p = ${t.p.toPrecision(2)}): its hazard ratio varies with time, so read it as an average.`,
      });
  if (fit.zph && fit.zph.global.p < 0.05 && zph.length > 1)
    zphWarnings.push({ code: 'PH_VIOLATION_GLOBAL', message: `The global proportional-hazards test is significant (p = ${fit.zph.global.p.toPrecision(2)}).` });
  return {
    n: fit.n,
    nevent: fit.nevent,
    nDropped: fit.nDropped,
    ties: fit.ties,
    coefficients: coefRows(fit.coefficients, d),
    loglik: fit.loglik,
    likelihoodRatio: fit.logtest,
    wald: fit.waldtest,
    score: fit.sctest,
    concordance: { c: fit.concordance.concordance, se: fit.concordance.std },
    zph,
    zphGlobal: fit.zph ? { chisq: fit.zph.global.chisq, df: fit.zph.global.df, p: fit.zph.global.p } : null,
    iterations: fit.iterations,
    converged: fit.converged,
    stopReason: fit.stopReason,
    warnings: [...fit.warnings, ...zphWarnings],
  };
}

/**
 * Run the analysis on the caller's view of the outcome dataset.
 * @throws AppError UNAUTHORIZED / FORBIDDEN, INVALID_INPUT (bad request: unknown covariate,
 *   threshold missing, …). Model failures (no events, collinear covariates, …) do not throw:
 *   they come back as `{ status: 'error', code, message }` sections.
 */
export async function runOutcomeAnalysis(
  db: Db,
  { caller, request: input, dataset: given }: { caller: Caller; request: OutcomeAnalysisRequestInput; dataset?: OutcomeDataset },
): Promise<OutcomeAnalysis> {
  authorize(caller, 'outcomes:view');
  const parsed = OutcomeAnalysisRequest.safeParse(input);
  if (!parsed.success) throw new AppError('INVALID_INPUT', parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; '));
  const request = parsed.data;
  const dataset = given ?? (await getOutcomeDataset(db, { caller }));
  const info = new Map(dataset.covariates.map((c) => [c.key, c]));
  const labelOf = (key: string) => info.get(key)?.label ?? key;
  const chosen: CovariateInfo[] = [];
  for (const key of new Set(request.covariates)) {
    const c = info.get(key);
    if (!c) throw new AppError('INVALID_INPUT', `Unknown covariate "${key}"; available: ${dataset.covariates.map((x) => x.key).join(', ')}.`);
    if (c.unavailableReason) throw new AppError('INVALID_INPUT', `Covariate "${c.label}" cannot be used: ${c.unavailableReason}`);
    chosen.push(c);
  }
  const g = request.grouping;
  let groupCov: CovariateInfo | undefined;
  if (g.kind !== 'none') {
    if (!g.covariate) throw new AppError('INVALID_INPUT', `Grouping "${g.kind}" needs a covariate to group by.`);
    groupCov = info.get(g.covariate);
    if (!groupCov) throw new AppError('INVALID_INPUT', `Unknown grouping covariate "${g.covariate}".`);
    if (g.kind === 'categorical' && groupCov.kind !== 'categorical')
      throw new AppError('INVALID_INPUT', `"${groupCov.label}" is numeric: group it by median split, tertiles or a threshold.`);
    if (g.kind !== 'categorical' && groupCov.kind !== 'numeric')
      throw new AppError('INVALID_INPUT', `"${groupCov.label}" is categorical: group it by its categories.`);
    if (g.kind === 'threshold' && g.threshold === undefined) throw new AppError('INVALID_INPUT', 'Grouping by a threshold needs a threshold value.');
  }

  const lf = request.event === 'localFailure';
  const excludedCounts = new Map<string, number>();
  const withOutcome = dataset.rows.filter((r) => {
    const reason = lf ? r.lfExcludedReason : r.osExcludedReason;
    if (reason) excludedCounts.set(reason, (excludedCounts.get(reason) ?? 0) + 1);
    return !reason;
  });
  // One analysis set for the whole run (docs/survival.md): the patients with a usable outcome and
  // a value of every chosen covariate and of the grouping covariate. The Cox model, the curves,
  // the log-rank and Gray's tests and Fine–Gray all use exactly these rows; each patient left out
  // is counted once, under the values it lacks.
  const needed = [...chosen, ...(groupCov && !chosen.some((c) => c.key === groupCov!.key) ? [groupCov] : [])];
  const isMissing = (v: number | string | null | undefined) => v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v));
  let groupMissing = 0;
  const rows = withOutcome.filter((r) => {
    if (groupCov && isMissing(r.values[groupCov.key])) groupMissing++;
    const lacking = needed.filter((c) => isMissing(r.values[c.key]));
    if (!lacking.length) return true;
    const reason = `no value of ${lacking.map((c) => c.label).join(', ')}`;
    excludedCounts.set(reason, (excludedCounts.get(reason) ?? 0) + 1);
    return false;
  });
  const emptySet = withOutcome.length
    ? `No patient with a usable outcome has a value of every variable this analysis uses (${needed.map((c) => c.label).join(', ')}).`
    : 'No patients with a usable outcome: import an outcomes CSV first.';
  const time = rows.map((r) => (lf ? r.lfTimeDays! : r.osTimeDays!));
  const event = rows.map((r) => (lf ? r.lfEvent! : r.osEvent!));
  const status = rows.map((r) => r.status!);
  const warnings: AnalysisNotice[] = [];
  const events = event.reduce<number>((s, e) => s + e, 0);

  let medianFollowUpDays: number | null = null;
  if (rows.length) {
    try {
      medianFollowUpDays = reverseKmFollowUp(time, event).median;
    } catch {
      medianFollowUpDays = null;
    }
  }

  // --- Cox
  const d = design(rows, chosen);
  let cox: OutcomeAnalysis['cox'];
  if (!rows.length) cox = { status: 'not-run', reason: emptySet };
  else if (!chosen.length) cox = { status: 'not-run', reason: 'Choose at least one covariate to fit a Cox model.' };
  else {
    try {
      const m = buildDesignMatrix(d.columns, d.specs);
      const fit = coxph(
        { time, event, covariates: m.covariates, names: m.names },
        { ties: request.ties, terms: m.terms.map((t) => ({ name: t.name, columns: t.columns })) },
      );
      cox = { status: 'ok', value: coxSection(fit, d, labelOf) };
    } catch (e) {
      cox = errorSection(e);
    }
  }

  // --- groups
  let labels: (string | null)[] = rows.map(() => 'All patients');
  let groupOrder = ['All patients'];
  let grouping: OutcomeAnalysis['grouping'] = null;
  if (groupCov) {
    const v = rows.map((r) => r.values[groupCov!.key] ?? null);
    const name = groupCov.label;
    if (g.kind === 'categorical') {
      groupOrder = (groupCov.levels ?? []).filter((l) => v.some((x) => x !== null && String(x) === l));
      labels = v.map((x) => (x === null ? null : String(x)));
    } else {
      const xs = v.filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
      if (!xs.length && !withOutcome.some((r) => typeof r.values[groupCov!.key] === 'number'))
        throw new AppError('INVALID_INPUT', `No patient has a value of "${groupCov.label}".`);
      let cuts: number[];
      if (!xs.length) {
        // an empty analysis set (other variables missing): no groups, the sections say why
        cuts = [];
        groupOrder = [];
      } else if (g.kind === 'median') {
        cuts = [quantile(xs, 0.5)];
        groupOrder = [`${name} ≤ ${fmt(cuts[0])} (median)`, `${name} > ${fmt(cuts[0])}`];
      } else if (g.kind === 'tertiles') {
        cuts = [quantile(xs, 1 / 3), quantile(xs, 2 / 3)];
        groupOrder = [`${name} ≤ ${fmt(cuts[0])} (T1)`, `${name} ${fmt(cuts[0])}–${fmt(cuts[1])} (T2)`, `${name} > ${fmt(cuts[1])} (T3)`];
      } else {
        cuts = [g.threshold!];
        groupOrder = [`${name} < ${fmt(cuts[0])}`, `${name} ≥ ${fmt(cuts[0])}`];
      }
      labels = v.map((x) => {
        if (typeof x !== 'number') return null;
        if (g.kind === 'threshold') return x < cuts[0] ? groupOrder[0] : groupOrder[1];
        let k = 0;
        while (k < cuts.length && x > cuts[k]) k++;
        return groupOrder[k];
      });
    }
    const counts = groupOrder.map((label) => ({ label, n: labels.filter((l) => l === label).length }));
    for (const c of counts)
      if (c.n === 0) warnings.push({ code: 'EMPTY_GROUP', message: `Group "${c.label}" has no patients (ties at the cut point?); it is left out.` });
    groupOrder = groupOrder.filter((l) => counts.find((c) => c.label === l)!.n > 0);
    const kindText = { median: 'median split', tertiles: 'tertiles', threshold: `threshold ${g.threshold}`, categorical: 'categories', none: '' }[g.kind];
    grouping = {
      description: `${groupCov.label} (${groupCov.kind === 'numeric' && groupCov.source === 'metric' ? `in units of “${groupCov.unit.replace(/^per /, '')}”, ` : ''}${kindText})`,
      groups: counts,
      // patients with a usable outcome but no value to group by: outside the analysis set (counts.excluded)
      missing: groupMissing,
    };
  }
  const idx = (label: string) => labels.flatMap((l, i) => (l === label ? [i] : []));

  // --- Kaplan–Meier and log-rank
  let km: OutcomeAnalysis['km'];
  if (!rows.length) km = { status: 'not-run', reason: emptySet };
  else {
    try {
      const groups: KmGroup[] = groupOrder.map((label) => {
        const ii = idx(label);
        const t = ii.map((i) => time[i]);
        const e = ii.map((i) => event[i]);
        const c = kaplanMeier(t, e);
        const points: KmPoint[] = [{ time: 0, surv: 1, nCensor: 0, lower: 1, upper: 1 }];
        c.time.forEach((tt, k) => points.push({ time: tt, surv: c.surv[k], nCensor: c.nCensor[k], lower: c.lower95[k], upper: c.upper95[k] }));
        return {
          group: label,
          n: c.n,
          events: c.events,
          median: c.median,
          medianLower95: c.medianLower95,
          medianUpper95: c.medianUpper95,
          points,
          atRisk: numberAtRisk(c, t, request.riskTimesDays),
        };
      });
      let logRank: KmSection['logRank'] = null;
      let logRankNote: string | null = null;
      if (groupOrder.length < 2)
        logRankNote = grouping ? 'Fewer than two non-empty groups: no log-rank test.' : 'Choose a grouping to compare curves with the log-rank test.';
      else {
        const kept = labels.flatMap((l, i) => (l !== null && groupOrder.includes(l) ? [i] : []));
        const lr = logRankTest(
          kept.map((i) => time[i]),
          kept.map((i) => event[i]),
          kept.map((i) => labels[i]!),
          groupOrder,
        );
        logRank = { chisq: lr.chisq, df: lr.df, p: lr.p, observed: lr.observed, expected: lr.expected };
      }
      km = { status: 'ok', value: { groups, logRank, logRankNote } };
    } catch (e) {
      km = errorSection(e);
    }
  }

  // --- competing risks (local failure only)
  let cuminc: OutcomeAnalysis['cuminc'];
  if (!lf) cuminc = { status: 'not-run', reason: 'Competing risks apply to local failure (with death as the competing event); choose that event.' };
  else if (!rows.length) cuminc = { status: 'not-run', reason: emptySet };
  else {
    try {
      const kept = labels.flatMap((l, i) => (l !== null && groupOrder.includes(l) ? [i] : []));
      const ci = cumulativeIncidence(
        kept.map((i) => time[i]),
        kept.map((i) => status[i]),
        kept.map((i) => labels[i]!),
      );
      const curves: CumincSection['curves'] = [];
      for (const cause of [1, 2] as const)
        for (const label of groupOrder) {
          const c = ci.curves.find((x) => x.cause === cause && x.group === label);
          if (!c) continue;
          const points = [{ time: 0, est: 0 }, ...c.time.map((t, k) => ({ time: t, est: c.est[k] }))];
          if (c.maxTime > points[points.length - 1].time) points.push({ time: c.maxTime, est: points[points.length - 1].est });
          curves.push({ group: label, cause, label: `${cause === 1 ? 'Local failure' : 'Death without local failure'} · ${label}`, points });
        }
      const t1 = ci.tests?.find((t) => t.cause === 1) ?? null;
      const gray = t1 ? { stat: t1.stat, df: t1.df, p: t1.p } : null;
      const grayNote = gray ? null : groupOrder.length < 2 ? 'Choose a grouping to compare incidence with Gray’s test.' : 'No local failures: no Gray’s test.';
      let fg: CumincSection['fineGray'];
      if (!chosen.length) fg = { status: 'not-run', reason: 'Choose at least one covariate to fit a Fine–Gray model.' };
      else {
        try {
          const m = buildDesignMatrix(d.columns, d.specs);
          const fit = fineGray({ time, status, covariates: m.covariates, names: m.names, failCode: 1, censCode: 0 });
          // The rows fineGray keeps: no missing time, status or covariate (complete cases).
          let fgEvents = 0;
          for (let i = 0; i < time.length; i++) if (status[i] === 1 && !Number.isNaN(time[i]) && !m.covariates.some((c) => Number.isNaN(c[i]))) fgEvents++;
          fg = {
            status: 'ok',
            value: {
              n: fit.n,
              events: fgEvents,
              nDropped: fit.nDropped,
              coefficients: coefRows(fit.coefficients, d),
              loglik: fit.loglik,
              loglikNull: fit.loglikNull,
              iterations: fit.iterations,
              converged: fit.converged,
              stopReason: fit.stopReason,
              warnings: fit.warnings,
            },
          };
        } catch (e) {
          fg = errorSection(e);
        }
      }
      cuminc = { status: 'ok', value: { curves, gray, grayNote, fineGray: fg } };
    } catch (e) {
      cuminc = errorSection(e);
    }
  }

  const nullReasons: { path: string; reason: string }[] = [];
  const result: OutcomeAnalysis = {
    request,
    eventLabel: EVENT_CHOICES[request.event].label,
    timeUnit: 'days',
    covariates: dataset.covariates,
    counts: {
      patientsWithOutcome: dataset.rows.length,
      patientsWithoutOutcome: dataset.patientsWithoutOutcome,
      usable: rows.length,
      excluded: [...excludedCounts].map(([reason, count]) => ({ reason, count })),
      events,
      competingDeaths: lf ? status.filter((s) => s === 2).length : null,
      medianFollowUpDays,
    },
    grouping,
    cox,
    km,
    cuminc,
    warnings,
    nullReasons,
  };
  const clean = sanitize(result, nullReasons);
  clean.nullReasons = nullReasons;
  return clean;
}
