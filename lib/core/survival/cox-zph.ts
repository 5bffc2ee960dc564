/**
 * Test of proportional hazards as R's survival::cox.zph(fit, transform = "km") (survival ≥ 3.0):
 * a score test, at the fitted β, for adding x·g(t) to the model, where g(t) = 1 − KM(t−) of the
 * pooled data, centred at its mean over events. Per term and global.
 * Reference: survival zph1.c; Grambsch & Therneau (1994) Biometrika 81:515.
 */
import type { CoxData } from './cox-data';
import { pchisqUpper } from './distributions';
import type { SurvivalWarning } from './errors';
import { solveGeneral } from './linalg';

export interface ZphTerm {
  name: string;
  /** Column indices (into the covariate list) belonging to this term. */
  columns: number[];
}

export interface ZphRow {
  term: string;
  chisq: number;
  df: number;
  p: number;
}

export interface CoxZph {
  transform: 'km';
  terms: ZphRow[];
  global: ZphRow;
  warnings?: SurvivalWarning[];
}

/** 1 − KM(t−) of the pooled (unstratified) data for each subject, as cox.zph's km transform. */
function kmTransform(d: CoxData): Float64Array {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const { n, time, status } = d;
  const order = new Uint32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && time[i]! < time[i - 1]!) sorted = false;
  }
  if (!sorted) order.sort((a, b) => time[a]! - time[b]!);
  const out = new Float64Array(n);
  let surv = 1;
  let atRisk = n;
  let i = 0;
  while (i < n) {
    let j = i;
    let deaths = 0;
    while (j < n && time[order[j]!] === time[order[i]!]) {
      deaths += status[order[j]!]!;
      j++;
    }
    for (let q = i; q < j; q++) out[order[q]!] = 1 - surv; // S(t−)
    if (deaths > 0) surv *= (atRisk - deaths) / atRisk;
    atRisk -= j - i;
    i = j;
  }
  return out;
}

/**
 * @param d prepared data; @param lp fitted linear predictor per sorted subject
 * @param efron tie method of the fit; @param terms columns tested together (default one per column)
 * Singular test matrices give chisq 0 with a SINGULAR_TEST_MATRIX warning, never NaN.
 */
export function coxZphFromData(d: CoxData, lp: Float64Array, efron: boolean, terms?: ZphTerm[]): CoxZph {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const { n, p, time, status, stratum } = d;
  const tt = kmTransform(d);
  let gsum = 0;
  for (let i = 0; i < n; i++) if (status[i]) gsum += tt[i]!;
  const gmean = gsum / d.nEvent;
  const x = new Float64Array(n * p);
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) mean[k]! += d.x[i * p + k]!;
  for (let k = 0; k < p; k++) mean[k]! /= n;
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) x[i * p + k] = d.x[i * p + k]! - mean[k]!;
  const p2 = 2 * p;
  const u = new Float64Array(p2);
  const imat = new Float64Array(p2 * p2);
  const a = new Float64Array(p);
  const a2 = new Float64Array(p);
  const cmat = new Float64Array(p * p);
  const cmat2 = new Float64Array(p * p);
  let denom = 0;
  let offset = -Infinity;
  let cstrat = -1;
  let ip = n - 1;
  while (ip >= 0) {
    if (stratum[ip] !== cstrat) {
      cstrat = stratum[ip]!;
      denom = 0;
      a.fill(0);
      cmat.fill(0);
      offset = -Infinity;
    }
    const dtime = time[ip];
    const timewt = tt[ip]! - gmean;
    let ndead = 0;
    let denom2 = 0;
    a2.fill(0);
    cmat2.fill(0);
    for (; ip >= 0 && time[ip] === dtime && stratum[ip] === cstrat; ip--) {
      const e = lp[ip]!;
      // rescale only when exp() could overflow: sums hold exp(eta − offset) ≤ e^500 each
      if (e > offset + 500 || offset === -Infinity) {
        if (offset !== -Infinity) {
          const f = Math.exp(offset - e);
          denom *= f;
          denom2 *= f;
          for (let k = 0; k < p; k++) {
            a[k]! *= f;
            a2[k]! *= f;
          }
          for (let k = 0; k < p * p; k++) {
            cmat[k]! *= f;
            cmat2[k]! *= f;
          }
        }
        offset = e;
      }
      const risk = Math.exp(e - offset);
      const row = ip * p;
      if (status[ip] === 0) {
        denom += risk;
        for (let k = 0; k < p; k++) {
          a[k]! += risk * x[row + k]!;
          for (let j = 0; j <= k; j++) cmat[k * p + j]! += risk * x[row + k]! * x[row + j]!;
        }
      } else {
        ndead++;
        denom2 += risk;
        for (let k = 0; k < p; k++) {
          u[k]! += x[row + k]!;
          u[k + p]! += timewt * x[row + k]!;
          a2[k]! += risk * x[row + k]!;
          for (let j = 0; j <= k; j++) cmat2[k * p + j]! += risk * x[row + k]! * x[row + j]!;
        }
      }
    }
    if (ndead === 0) continue;
    // zph1.c adds the d tied deaths in d steps (denom + (r/d)·denom2, r = 1..d for Efron; all at
    // once for Breslow). The sums over r are collected so each death time costs O(d + p²).
    let s1 = 0; // Σ w/den
    let st = 0; // Σ w·t/den
    let q0 = 0; // Σ w/den²
    let q1 = 0; // Σ w·t/den²
    let q2 = 0; // Σ w·t²/den²
    if (!efron) {
      const den = denom + denom2;
      s1 = ndead / den;
      st = ndead / den;
      q0 = ndead / (den * den);
      q1 = q0;
      q2 = q0;
    } else {
      for (let r = 1; r <= ndead; r++) {
        const t = r / ndead;
        const inv = 1 / (denom + t * denom2);
        s1 += inv;
        st += t * inv;
        q0 += inv * inv;
        q1 += t * inv * inv;
        q2 += t * t * inv * inv;
      }
    }
    for (let k = 0; k < p; k++) {
      const mk = a[k]! * s1 + a2[k]! * st;
      u[k]! -= mk;
      u[k + p]! -= timewt * mk;
      for (let j = 0; j <= k; j++) {
        const temp = cmat[k * p + j]! * s1 + cmat2[k * p + j]! * st - (a[k]! * a[j]! * q0 + (a[k]! * a2[j]! + a2[k]! * a[j]!) * q1 + a2[k]! * a2[j]! * q2);
        imat[j * p2 + k]! += temp;
        imat[j * p2 + k + p]! += temp * timewt;
        imat[(j + p) * p2 + k + p]! += temp * timewt * timewt;
      }
    }
    denom += denom2;
    for (let k = 0; k < p; k++) a[k]! += a2[k]!;
    for (let k = 0; k < p * p; k++) cmat[k]! += cmat2[k]!;
  }
  // symmetrise as zph1.c
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) {
      imat[i * p2 + j] = imat[j * p2 + i]!;
      imat[i * p2 + j + p] = imat[j * p2 + i + p]!;
      imat[(i + p) * p2 + j + p] = imat[(j + p) * p2 + i + p]!;
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) imat[(i + p) * p2 + j] = imat[j * p2 + i + p]!;

  const warnings: SurvivalWarning[] = [];
  const scoreTest = (cols: number[]): number => {
    const kk = [...Array(p).keys(), ...cols.map((c) => c + p)];
    const m = kk.length;
    const sub = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) sub[i * m + j] = imat[kk[i]! * p2 + kk[j]!]!;
    const uu = new Float64Array(m);
    cols.forEach((c, j) => (uu[p + j] = u[c + p]!));
    const s = solveGeneral(sub, m, uu);
    if (!s) {
      warnings.push({
        code: 'SINGULAR_TEST_MATRIX',
        message: `cox.zph: the information matrix for ${cols.length} column(s) is singular; the PH test for them is reported as 0.`,
      });
      return 0;
    }
    let q = 0;
    for (let i = 0; i < m; i++) q += s[i]! * uu[i]!;
    return q;
  };
  const termList = terms ?? d.names.map((name, k) => ({ name, columns: [k] }));
  const rows = termList.map((t) => {
    const chisq = scoreTest(t.columns);
    return { term: t.name, chisq, df: t.columns.length, p: pchisqUpper(chisq, t.columns.length) };
  });
  const g = scoreTest([...Array(p).keys()]);
  return {
    transform: 'km',
    terms: rows,
    global: { term: 'GLOBAL', chisq: g, df: p, p: pchisqUpper(g, p) },
    warnings: warnings.length ? warnings : undefined,
  };
}
