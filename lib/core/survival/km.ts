/**
 * Kaplan–Meier estimate with Greenwood variance and log-transformed confidence intervals, as R's
 * survival::survfit(Surv(time, event) ~ 1, conf.type = "log"), plus the median with its CI as
 * print.survfit reports it, numbers at risk at chosen times, and reverse-KM follow-up.
 * Reference: Kaplan & Meier (1958); R survival survfitKM and survmean.
 */
import { Z_975 } from './distributions';
import { invalid } from './errors';
import { fixTiedTimes } from './timefix';

export interface KmCurve {
  /** Unique times (events and censorings), ascending. */
  time: number[];
  nRisk: number[];
  nEvent: number[];
  nCensor: number[];
  surv: number[];
  /** Greenwood SE of log S(t) (R's survfit$std.err); null where undefined (S = 0). */
  stdErrLog: (number | null)[];
  /** Greenwood SE of S(t) (as summary.survfit's std.err); null where undefined. */
  stdErr: (number | null)[];
  lower95: (number | null)[];
  upper95: (number | null)[];
  n: number;
  events: number;
  median: number | null;
  medianLower95: number | null;
  medianUpper95: number | null;
}

function validate(time: ArrayLike<number>, event: ArrayLike<number>): void {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  if (time.length !== event.length) throw invalid(`time has ${time.length} values but event has ${event.length}.`);
  if (time.length === 0) throw invalid('No subjects: time is empty.');
  for (let i = 0; i < time.length; i++) {
    if (!Number.isFinite(time[i]) || time[i]! < 0) throw invalid(`time at row ${i + 1} is ${time[i]}: times must be finite and ≥ 0.`);
    if (event[i] !== 0 && event[i] !== 1) throw invalid(`event at row ${i + 1} is ${event[i]}: events must be 0 or 1.`);
  }
}

/** R's survmean minmin: first time the curve is ≤ 0.5 (midpoint rule for an exact 0.5). */
function minmin(y: (number | null)[], x: number[]): number | null {
  // xs and ys are read at 0 only when non-empty and at k found in them, hence the `!`s.
  const tol = Math.sqrt(2.220446049250313e-16);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (v !== null && v < 0.5 + tol) {
      xs.push(x[i]!);
      ys.push(v);
    }
  }
  if (!xs.length) return null;
  if (Math.abs(ys[0]! - 0.5) < tol) {
    const k = ys.findIndex((v) => v < ys[0]!);
    if (k >= 0) return (xs[0]! + xs[k]!) / 2;
  }
  return xs[0]!;
}

/**
 * Kaplan–Meier curve.
 * @param time follow-up times (≥ 0), length n
 * @param event 1 = event, 0 = censored, length n
 * @throws SurvivalError INVALID_INPUT on bad coding or lengths
 */
export function kaplanMeier(rawTime: ArrayLike<number>, event: ArrayLike<number>): KmCurve {
  // order is a permutation of 0 … n − 1, hence the `!`s.
  validate(rawTime, event);
  const time = fixTiedTimes(rawTime);
  const n = time.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a]! - time[b]!);
  const c: KmCurve = {
    time: [],
    nRisk: [],
    nEvent: [],
    nCensor: [],
    surv: [],
    stdErrLog: [],
    stdErr: [],
    lower95: [],
    upper95: [],
    n,
    events: 0,
    median: null,
    medianLower95: null,
    medianUpper95: null,
  };
  let atRisk = n;
  let s = 1;
  let gw = 0;
  let i = 0;
  while (i < n) {
    const t = time[order[i]!]!;
    let d = 0;
    let j = i;
    while (j < n && time[order[j]!] === t) {
      d += event[order[j]!]!;
      j++;
    }
    const m = j - i;
    if (d > 0) {
      s *= (atRisk - d) / atRisk;
      gw = atRisk > d ? gw + d / (atRisk * (atRisk - d)) : Infinity;
    }
    const se = Number.isFinite(gw) && s > 0 ? Math.sqrt(gw) : null;
    c.time.push(t);
    c.nRisk.push(atRisk);
    c.nEvent.push(d);
    c.nCensor.push(m - d);
    c.surv.push(s);
    c.stdErrLog.push(se);
    c.stdErr.push(se === null ? null : se * s);
    c.lower95.push(se === null ? null : Math.exp(Math.log(s) - Z_975 * se));
    c.upper95.push(se === null ? null : Math.min(1, Math.exp(Math.log(s) + Z_975 * se)));
    c.events += d;
    atRisk -= m;
    i = j;
  }
  c.median = minmin(c.surv, c.time);
  c.medianLower95 = minmin(c.lower95, c.time);
  c.medianUpper95 = minmin(c.upper95, c.time);
  return c;
}

export interface RiskTableRow {
  time: number;
  nRisk: number;
  surv: number;
}

/**
 * Number at risk (time ≥ t) and S(t) at chosen times, as summary(survfit, times = …). Times after
 * the last follow-up give nRisk 0 and the last S (R drops them unless extend = TRUE).
 */
export function numberAtRisk(curve: KmCurve, time: ArrayLike<number>, times: number[]): RiskTableRow[] {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  return times.map((t) => {
    let nRisk = 0;
    for (let i = 0; i < time.length; i++) if (time[i]! >= t) nRisk++;
    let surv = 1;
    for (let i = 0; i < curve.time.length && curve.time[i]! <= t; i++) surv = curve.surv[i]!;
    return { time: t, nRisk, surv };
  });
}

/**
 * Median follow-up by the reverse Kaplan–Meier method (censoring treated as the event), with
 * its 95% CI: survfit(Surv(time, 1 - event) ~ 1).
 */
export function reverseKmFollowUp(
  time: ArrayLike<number>,
  event: ArrayLike<number>,
): { median: number | null; lower95: number | null; upper95: number | null } {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const rev = Array.from({ length: event.length }, (_, i) => 1 - event[i]!);
  const c = kaplanMeier(time, rev);
  return { median: c.median, lower95: c.medianLower95, upper95: c.medianUpper95 };
}
