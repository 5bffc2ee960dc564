/**
 * Competing risks: Aalen–Johansen cumulative incidence per cause and group with Gray's variance,
 * and Gray's K-sample test, as R's cmprsk::cuminc (Fortran cinc and crstm, rho = 0, no strata).
 * Status coding: 0 = censored, any other value = a cause (1 = event of interest, 2 = competing).
 * Reference: Gray (1988) Ann. Stat. 16:1141; Kalbfleisch & Prentice (2002) §8.2.
 */
import { pchisqUpper } from './distributions';
import { invalid } from './errors';
import { solveGeneral } from './linalg';
import { sortLevels } from './design';

export interface CumincCurve {
  group: string;
  cause: number;
  /** Times at which this cause's incidence jumps (ascending). */
  time: number[];
  /** Cumulative incidence after the jump at each time. */
  est: number[];
  /** Gray's variance estimate at each time. */
  var: number[];
  /** Largest follow-up time in the group (the curve is flat up to it). */
  maxTime: number;
}

export interface GrayTest {
  cause: number;
  stat: number;
  p: number;
  df: number;
}

export interface CumincResult {
  groups: string[];
  causes: number[];
  curves: CumincCurve[];
  /** Gray's test per cause (only with ≥ 2 groups). */
  tests: GrayTest[] | null;
}

/** cmprsk's cinc for one group and cause; y sorted ascending. */
function cinc(y: number[], ic: number[], icc: number[]): { time: number[]; est: number[]; var: number[] } {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const n = y.length;
  const out = { time: [] as number[], est: [] as number[], var: [] as number[] };
  let fk = 1;
  let v1 = 0;
  let v2 = 0;
  let v3 = 0;
  let f = 0;
  let rs = n;
  let ll = 0;
  while (ll < n) {
    let l = ll;
    while (l + 1 < n && y[l + 1] === y[ll]) l++;
    let nd1 = 0;
    let nd2 = 0;
    for (let i = ll; i <= l; i++) {
      nd1 += icc[i]!;
      nd2 += ic[i]! - icc[i]!;
    }
    const nd = nd1 + nd2;
    if (nd > 0) {
      const fkn = (fk * (rs - nd)) / rs;
      if (nd1 > 0) f = f + (fk * nd1) / rs;
      if (nd2 > 0 && fkn > 0) {
        const t5 = nd2 > 1 ? 1 - (nd2 - 1) / (rs - 1) : 1;
        const t6 = (fk * fk * t5 * nd2) / (rs * rs);
        const t3 = 1 / fkn;
        const t4 = f / fkn;
        v1 += t4 * t4 * t6;
        v2 += t3 * t4 * t6;
        v3 += t3 * t3 * t6;
      }
      if (nd1 > 0) {
        const t5 = nd1 > 1 ? 1 - (nd1 - 1) / (rs - 1) : 1;
        const t6 = (fk * fk * t5 * nd1) / (rs * rs);
        const t3 = fkn > 0 ? 1 / fkn : 0;
        const t4 = 1 + t3 * f;
        v1 += t4 * t4 * t6;
        v2 += t3 * t4 * t6;
        v3 += t3 * t3 * t6;
        out.time.push(y[l]!);
        out.est.push(f);
        out.var.push(v1 + f * f * v3 - 2 * f * v2);
      }
      fk = fkn;
    }
    rs = n - l - 1;
    ll = l + 1;
  }
  return out;
}

/** cmprsk's crst (one stratum): score s (ng−1) and variance v ((ng−1)², row-major). */
function grayScore(y: number[], m: number[], ig: number[], ng: number, rho: number): { s: Float64Array; v: Float64Array } {
  // Groups ig[i] < ng and causes m[i] ≤ 2 index tables of those sizes; rows are bounded by n, hence the `!`s.
  const n = y.length;
  const ng1 = ng - 1;
  const rs = new Float64Array(ng);
  for (let i = 0; i < n; i++) rs[ig[i]!]!++;
  const s = new Float64Array(ng1);
  const v = new Float64Array(ng1 * ng1);
  const f1m = new Float64Array(ng);
  const f1 = new Float64Array(ng);
  const skmm = new Float64Array(ng).fill(1);
  const skm = new Float64Array(ng).fill(1);
  const v3 = new Float64Array(ng);
  const v2 = new Float64Array(ng1 * ng);
  const c = new Float64Array(ng * ng);
  const a = new Float64Array(ng * ng);
  const d = [new Float64Array(ng), new Float64Array(ng), new Float64Array(ng)];
  let fm = 0;
  let f = 0;
  let ll = 0;
  for (;;) {
    let lu = ll;
    while (lu + 1 < n && !(y[lu + 1]! > y[ll]!)) lu++;
    for (const dk of d) dk.fill(0);
    for (let i = ll; i <= lu; i++) d[m[i]!]![ig[i]!]!++;
    let nd1 = 0;
    let nd2 = 0;
    for (let i = 0; i < ng; i++) {
      nd1 += d[1]![i]!;
      nd2 += d[2]![i]!;
    }
    if (nd1 !== 0 || nd2 !== 0) {
      let tr = 0;
      let tq = 0;
      for (let i = 0; i < ng; i++) {
        if (rs[i]! <= 0) continue;
        const td = d[1]![i]! + d[2]![i]!;
        skm[i] = (skmm[i]! * (rs[i]! - td)) / rs[i]!;
        f1[i] = f1m[i]! + (skmm[i]! * d[1]![i]!) / rs[i]!;
        tr += rs[i]! / skmm[i]!;
        tq += (rs[i]! * (1 - f1m[i]!)) / skmm[i]!;
      }
      f = fm + nd1 / tr;
      const fb = Math.pow(1 - fm, rho);
      for (let i = 0; i < ng; i++) {
        for (let j = i; j < ng; j++) a[i * ng + j] = 0;
        if (rs[i]! <= 0) continue;
        const t1 = rs[i]! / skmm[i]!;
        a[i * ng + i] = fb * t1 * (1 - t1 / tr);
        c[i * ng + i]! += (a[i * ng + i]! * nd1) / (tr * (1 - fm));
        for (let j = i + 1; j < ng; j++) {
          if (rs[j]! <= 0) continue;
          a[i * ng + j] = (-fb * t1 * rs[j]!) / (skmm[j]! * tr);
          c[i * ng + j]! += (a[i * ng + j]! * nd1) / (tr * (1 - fm));
        }
      }
      for (let i = 1; i < ng; i++)
        for (let j = 0; j < i; j++) {
          a[i * ng + j] = a[j * ng + i]!;
          c[i * ng + j] = c[j * ng + i]!;
        }
      for (let i = 0; i < ng1; i++) {
        if (rs[i]! <= 0) continue;
        s[i]! += fb * (d[1]![i]! - (nd1 * rs[i]! * (1 - f1m[i]!)) / (skmm[i]! * tq));
      }
      if (nd1 > 0) {
        for (let k = 0; k < ng; k++) {
          if (rs[k]! <= 0) continue;
          const t4 = skm[k]! > 0 ? 1 - (1 - f) / skm[k]! : 1;
          const t5 = nd1 > 1 ? 1 - (nd1 - 1) / (tr * skmm[k]! - 1) : 1;
          const t3 = (t5 * skmm[k]! * nd1) / (tr * rs[k]!);
          v3[k]! += t4 * t4 * t3;
          for (let i = 0; i < ng1; i++) {
            const t1 = a[i * ng + k]! - t4 * c[i * ng + k]!;
            v2[i * ng + k]! += t1 * t4 * t3;
            for (let j = 0; j <= i; j++) {
              const t2 = a[j * ng + k]! - t4 * c[j * ng + k]!;
              v[i * ng1 + j]! += t1 * t2 * t3;
            }
          }
        }
      }
      if (nd2 > 0) {
        for (let k = 0; k < ng; k++) {
          if (skm[k]! <= 0 || d[2]![k]! <= 0) continue;
          const t4 = (1 - f) / skm[k]!;
          const t5 = d[2]![k]! > 1 ? 1 - (d[2]![k]! - 1) / (rs[k]! - 1) : 1;
          const t3 = (t5 * (skmm[k]! * skmm[k]!) * d[2]![k]!) / (rs[k]! * rs[k]!);
          v3[k]! += t4 * t4 * t3;
          for (let i = 0; i < ng1; i++) {
            const t1 = t4 * c[i * ng + k]!;
            v2[i * ng + k]! -= t1 * t4 * t3;
            for (let j = 0; j <= i; j++) {
              const t2 = t4 * c[j * ng + k]!;
              v[i * ng1 + j]! += t1 * t2 * t3;
            }
          }
        }
      }
    }
    if (lu >= n - 1) break;
    for (let i = ll; i <= lu; i++) rs[ig[i]!]!--;
    fm = f;
    for (let i = 0; i < ng; i++) {
      f1m[i] = f1[i]!;
      skmm[i] = skm[i]!;
    }
    ll = lu + 1;
  }
  for (let i = 0; i < ng1; i++)
    for (let j = 0; j <= i; j++) {
      for (let k = 0; k < ng; k++) {
        v[i * ng1 + j]! += c[i * ng + k]! * c[j * ng + k]! * v3[k]!;
        v[i * ng1 + j]! += c[i * ng + k]! * v2[j * ng + k]!;
        v[i * ng1 + j]! += c[j * ng + k]! * v2[i * ng + k]!;
      }
      v[j * ng1 + i] = v[i * ng1 + j]!;
    }
  return { s, v };
}

/**
 * Cumulative incidence per cause (and per group), with Gray's test when there are ≥ 2 groups.
 * @param time follow-up times ≥ 0, length n
 * @param status 0 = censored, otherwise the cause code (integers, e.g. 1 and 2)
 * @param group optional group label per subject
 * @throws SurvivalError INVALID_INPUT for bad lengths, negative/NaN times, non-integer status
 */
export function cumulativeIncidence(time: ArrayLike<number>, status: ArrayLike<number>, group?: ArrayLike<string>): CumincResult {
  const n = time.length;
  if (status.length !== n) throw invalid(`time has ${n} values but status has ${status.length}.`);
  if (group && group.length !== n) throw invalid(`time has ${n} values but group has ${group.length}.`);
  if (n === 0) throw invalid('No subjects: time is empty.');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(time[i]) || time[i]! < 0) throw invalid(`time at row ${i + 1} is ${time[i]}: times must be finite and ≥ 0.`);
    if (!Number.isInteger(status[i]) || status[i]! < 0)
      throw invalid(`status at row ${i + 1} is ${status[i]}: use 0 for censored and a positive integer cause code.`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a]! - time[b]! || a - b);
  // order is a permutation of 0 … n − 1 and time, status have n entries (checked above).
  const y = order.map((i) => time[i]!);
  const st = order.map((i) => status[i]!);
  const gl = order.map((i) => (group ? String(group[i]) : '1'));
  const groups = sortLevels(gl);
  const gi = gl.map((g) => groups.indexOf(g));
  const causes = [...new Set(st.filter((s) => s !== 0))].sort((a, b) => a - b);
  if (!causes.length) throw invalid('No events of any cause: every status is 0 (censored).');
  const curves: CumincCurve[] = [];
  const ng = groups.length;
  const tests: GrayTest[] | null = ng > 1 ? [] : null;
  for (const cause of causes) {
    for (let g = 0; g < ng; g++) {
      const yy: number[] = [];
      const ic: number[] = [];
      const icc: number[] = [];
      for (let i = 0; i < n; i++) {
        if (gi[i] !== g) continue;
        yy.push(y[i]!);
        ic.push(st[i] !== 0 ? 1 : 0);
        icc.push(st[i] === cause ? 1 : 0);
      }
      curves.push({ group: groups[g]!, cause, ...cinc(yy, ic, icc), maxTime: yy[yy.length - 1]! });
    }
    if (tests) {
      const m = st.map((s) => (s === 0 ? 0 : s === cause ? 1 : 2));
      const { s, v } = grayScore(y, m, gi, ng, 0);
      const sol = solveGeneral(v, ng - 1, s);
      let stat = -1;
      if (sol) {
        stat = 0;
        for (let i = 0; i < ng - 1; i++) stat += sol[i]! * s[i]!;
      }
      tests.push({ cause, stat, df: ng - 1, p: stat >= 0 ? pchisqUpper(stat, ng - 1) : 1 });
    }
  }
  return { groups, causes, curves, tests };
}

/** Cumulative incidence of a curve at chosen times (step function, right-continuous). */
export function cumincAt(curve: CumincCurve, times: number[]): { time: number; est: number; var: number }[] {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  return times.map((t) => {
    let est = 0;
    let v = 0;
    for (let i = 0; i < curve.time.length && curve.time[i]! <= t; i++) {
      est = curve.est[i]!;
      v = curve.var[i]!;
    }
    return { time: t, est, var: v };
  });
}
