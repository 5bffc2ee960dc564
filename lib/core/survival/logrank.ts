/**
 * Log-rank test for two or more groups, as R's survival::survdiff(Surv(time, event) ~ group)
 * (rho = 0): observed and expected events per group, hypergeometric variance, and
 * χ² = (O−E)ᵀ V⁻¹ (O−E) on the groups with expected > 0, dropping the first.
 * Reference: Mantel (1966); R survival survdiff.fit.
 */
import { pchisqUpper } from './distributions';
import { invalid } from './errors';
import { solveGeneral } from './linalg';
import { fixTiedTimes } from './timefix';

export interface LogRankResult {
  groups: string[];
  n: number[];
  observed: number[];
  expected: number[];
  /** (O−E)²/V per group, as print.survdiff's last column. */
  chisq: number;
  df: number;
  p: number;
  var: number[][];
}

/**
 * @param rawTime times ≥ 0 (near-ties merged as aeqSurv), @param event 0/1, @param group label per
 *   subject, @param groups the group order (as R's factor levels; see sortLevels)
 * @throws SurvivalError INVALID_INPUT for bad coding, unknown labels, fewer than two groups
 */
export function logRankTest(rawTime: ArrayLike<number>, event: ArrayLike<number>, group: ArrayLike<string>, groups: string[]): LogRankResult {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const n = rawTime.length;
  if (event.length !== n || group.length !== n) throw invalid(`time, event and group differ in length (${n}, ${event.length}, ${group.length}).`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(rawTime[i]) || rawTime[i]! < 0) throw invalid(`time at row ${i + 1} is ${rawTime[i]}: times must be finite and ≥ 0.`);
    if (event[i] !== 0 && event[i] !== 1) throw invalid(`event at row ${i + 1} is ${event[i]}: events must be 0 or 1.`);
  }
  const time = fixTiedTimes(rawTime);
  const k = groups.length;
  if (k < 2) throw invalid(`The log-rank test needs at least two groups; found ${k}.`);
  const gi = new Int32Array(n);
  const index = new Map(groups.map((g, j) => [g, j]));
  for (let i = 0; i < n; i++) {
    const j = index.get(group[i]!);
    if (j === undefined) throw invalid(`Group value "${group[i]}" at row ${i + 1} is not among ${groups.join(', ')}.`);
    gi[i] = j;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a]! - time[b]!);
  const atRisk = new Float64Array(k);
  for (let i = 0; i < n; i++) atRisk[gi[i]!]!++;
  const nPer = [...atRisk];
  const obs = new Float64Array(k);
  const exp = new Float64Array(k);
  const v = new Float64Array(k * k);
  const dg = new Float64Array(k);
  const leaving = new Float64Array(k);
  let i = 0;
  while (i < n) {
    const t = time[order[i]!];
    dg.fill(0);
    leaving.fill(0);
    let d = 0;
    let j = i;
    while (j < n && time[order[j]!] === t) {
      const g = gi[order[j]!]!;
      leaving[g]!++;
      if (event[order[j]!] === 1) {
        dg[g]!++;
        d++;
      }
      j++;
    }
    let nr = 0;
    for (let g = 0; g < k; g++) nr += atRisk[g]!;
    if (d > 0) {
      for (let g = 0; g < k; g++) {
        obs[g]! += dg[g]!;
        exp[g]! += (d * atRisk[g]!) / nr;
      }
      if (nr > 1) {
        const f = (d * (nr - d)) / (nr * nr * (nr - 1));
        for (let a = 0; a < k; a++) {
          v[a * k + a]! += f * atRisk[a]! * (nr - atRisk[a]!);
          for (let b = 0; b < k; b++) if (b !== a) v[a * k + b]! -= f * atRisk[a]! * atRisk[b]!;
        }
      }
    }
    for (let g = 0; g < k; g++) atRisk[g]! -= leaving[g]!;
    i = j;
  }
  const used = [...Array(k).keys()].filter((g) => exp[g]! > 0);
  let chisq = 0;
  if (used.length >= 2) {
    const sub = used.slice(1);
    const m = sub.length;
    const vv = new Float64Array(m * m);
    const dif = new Float64Array(m);
    sub.forEach((a, r) => {
      dif[r] = obs[a]! - exp[a]!;
      sub.forEach((b, c) => (vv[r * m + c] = v[a * k + b]!));
    });
    const s = solveGeneral(vv, m, dif);
    if (!s) throw invalid('The log-rank variance matrix is singular: check that the groups have events.');
    for (let r = 0; r < m; r++) chisq += s[r]! * dif[r]!;
  }
  const df = used.length - 1;
  return {
    groups,
    n: nPer,
    observed: [...obs],
    expected: [...exp],
    chisq,
    df,
    p: pchisqUpper(chisq, df),
    var: Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => v[a * k + b]!)),
  };
}
