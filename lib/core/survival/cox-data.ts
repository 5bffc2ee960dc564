/**
 * Preparation shared by the Cox fitter, concordance and cox.zph: complete-case filtering,
 * validation, and one sort by (stratum, time) into row-major typed arrays.
 */
import { invalid, SurvivalError, type SurvivalWarning } from './errors';
import { fixTiedTimes } from './timefix';

export interface CoxInput {
  /** Follow-up time per subject (any unit, ≥ 0); length n. */
  time: ArrayLike<number>;
  /** 1 = event, 0 = censored; length n. */
  event: ArrayLike<number>;
  /** p covariate columns, each of length n (NaN = missing). */
  covariates: ArrayLike<number>[];
  /** Column names, length p (as R names them, e.g. `stageIII`). */
  names: string[];
  /** Optional stratum label per subject (null/undefined/NaN = missing). */
  strata?: ArrayLike<string | number | null | undefined>;
}

export interface CoxData {
  n: number;
  p: number;
  names: string[];
  /** Sorted by stratum, then time ascending. */
  time: Float64Array;
  status: Uint8Array;
  stratum: Int32Array;
  /** Row-major n×p, original (uncentred) covariate values, same order. */
  x: Float64Array;
  /** Original row index (into the input) of each sorted subject. */
  rowIndex: Int32Array;
  nDropped: number;
  nEvent: number;
  warnings: SurvivalWarning[];
}

function isMissing(v: unknown): boolean {
  // v !== v is the NaN test without a typeof dispatch (this runs once per cell)
  return v == null || v !== v || v === '';
}

/**
 * Validate, drop incomplete rows (counted in nDropped with a MISSING_VALUES_DROPPED warning),
 * merge floating-point near-ties (fixTiedTimes) and sort by (stratum, time).
 * @throws SurvivalError INVALID_INPUT (lengths, negative/non-finite time, event not 0/1), NO_EVENTS
 */
export function prepareCoxData(input: CoxInput): CoxData {
  // Rows i < n and covariates k < p index arrays of those lengths (checked above), hence the `!`s.
  const { event, covariates, names, strata } = input;
  const time = fixTiedTimes(input.time);
  const nIn = time.length;
  const p = covariates.length;
  if (names.length !== p) throw invalid(`Got ${p} covariate columns but ${names.length} names.`);
  if (event.length !== nIn) throw invalid(`time has ${nIn} values but event has ${event.length}.`);
  covariates.forEach((c, k) => {
    if (c.length !== nIn) throw invalid(`Covariate "${names[k]}" has ${c.length} values but time has ${nIn}.`);
  });
  if (strata && strata.length !== nIn) throw invalid(`strata has ${strata.length} values but time has ${nIn}.`);

  const keep: number[] = [];
  for (let i = 0; i < nIn; i++) {
    let ok = !isMissing(time[i]) && !isMissing(event[i]);
    for (let k = 0; ok && k < p; k++) if (isMissing(covariates[k]![i])) ok = false;
    if (ok && strata && isMissing(strata[i])) ok = false;
    if (!ok) continue;
    const t = time[i]!;
    if (!Number.isFinite(t) || t < 0) throw invalid(`time at row ${i + 1} is ${t}: times must be finite and ≥ 0.`);
    const e = event[i];
    if (e !== 0 && e !== 1) throw invalid(`event at row ${i + 1} is ${e}: events must be coded 0 (censored) or 1 (event).`);
    for (let k = 0; k < p; k++) {
      if (!Number.isFinite(covariates[k]![i])) throw invalid(`Covariate "${names[k]}" at row ${i + 1} is ${covariates[k]![i]}: values must be finite.`);
    }
    keep.push(i);
  }
  const warnings: SurvivalWarning[] = [];
  const nDropped = nIn - keep.length;
  if (nDropped > 0)
    warnings.push({
      code: 'MISSING_VALUES_DROPPED',
      message: `${nDropped} of ${nIn} rows had a missing time, event, covariate or stratum and were left out (complete-case analysis).`,
    });
  const n = keep.length;
  if (n === 0) throw invalid('No complete rows: every row has a missing time, event, covariate or stratum.');

  const stratCode = new Int32Array(n);
  if (strata) {
    const levels = new Map<string, number>();
    const labels = keep.map((i) => String(strata[i]));
    [...new Set(labels)].sort().forEach((l, j) => levels.set(l, j));
    labels.forEach((l, j) => (stratCode[j] = levels.get(l)!));
  }
  const tk = new Float64Array(n);
  for (let j = 0; j < n; j++) tk[j] = time[keep[j]!]!;
  const order = new Uint32Array(n);
  for (let j = 0; j < n; j++) order[j] = j;
  order.sort((a, b) => stratCode[a]! - stratCode[b]! || tk[a]! - tk[b]! || a - b);

  const out: CoxData = {
    n,
    p,
    names: [...names],
    time: new Float64Array(n),
    status: new Uint8Array(n),
    stratum: new Int32Array(n),
    x: new Float64Array(n * p),
    rowIndex: new Int32Array(n),
    nDropped,
    nEvent: 0,
    warnings,
  };
  // row-major copy in input order (sequential column reads), then a row permutation
  const xr = new Float64Array(n * p);
  for (let k = 0; k < p; k++) {
    const col = covariates[k]!;
    for (let j = 0; j < n; j++) xr[j * p + k] = col[keep[j]!]!;
  }
  for (let s = 0; s < n; s++) {
    const j = order[s]!;
    const i = keep[j]!;
    out.time[s] = time[i]!;
    out.status[s] = event[i]!;
    out.nEvent += event[i]!;
    out.stratum[s] = stratCode[j]!;
    out.rowIndex[s] = i;
    const src = j * p;
    const dst = s * p;
    for (let k = 0; k < p; k++) out.x[dst + k] = xr[src + k]!;
  }
  if (out.nEvent === 0)
    throw new SurvivalError(
      'NO_EVENTS',
      'There are no events (every subject is censored): a Cox model cannot be fitted. Check the event column coding (1 = event).',
    );
  return out;
}
