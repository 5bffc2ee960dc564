/**
 * Fine–Gray proportional subdistribution-hazards regression, as R's cmprsk::crr with fixed
 * covariates (cov1) and one censoring group: censoring weights from the Kaplan–Meier estimate
 * of the censoring distribution at t−, Newton–Raphson with backtracking exactly as crr
 * (gtol = 1e-6, maxiter = 10), and the sandwich variance of crrvv.
 * Reference: Fine & Gray (1999) JASA 94:496; cmprsk crr.f (Robert Gray).
 */
import { twoSidedNormalP, Z_975 } from './distributions';
import { invalid, SurvivalError, type SurvivalWarning } from './errors';
import { invertGeneral, solveGeneral } from './linalg';

export interface FineGrayInput {
  time: ArrayLike<number>;
  /** 0 = censored, failCode = event of interest, anything else = competing event. */
  status: ArrayLike<number>;
  covariates: ArrayLike<number>[];
  names: string[];
  failCode?: number;
  censCode?: number;
}

export interface FineGrayCoefficient {
  name: string;
  coef: number;
  se: number;
  /** Subdistribution hazard ratio exp(coef). */
  hr: number;
  lower95: number;
  upper95: number;
  z: number;
  p: number;
}

export interface FineGrayFit {
  n: number;
  nDropped: number;
  coefficients: FineGrayCoefficient[];
  var: number[][];
  /** Log pseudo-likelihood at the fit and at β = 0. */
  loglik: number;
  loglikNull: number;
  iterations: number;
  converged: boolean;
  stopReason: 'converged' | 'max-iterations' | 'step-halving-failed';
  warnings: SurvivalWarning[];
}

interface Prepared {
  n: number;
  p: number;
  t: Float64Array;
  ici: Uint8Array; // 0 censored, 1 cause of interest, 2 other
  x: Float64Array; // row-major n×p
  wt: Float64Array; // G(t_i−)
}

/** crrf / crrfsv: minus log pseudo-likelihood, its gradient and Hessian at b. */
function objective(d: Prepared, b: Float64Array, withDerivs: boolean): { lik: number; s: Float64Array; v: Float64Array } {
  const { n, p, t, ici, x, wt } = d;
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += x[i * p + k] * b[k];
    eta[i] = s;
  }
  let lik = 0;
  const s = new Float64Array(p);
  const v = new Float64Array(p * p);
  const s1 = new Float64Array(p);
  const s2 = new Float64Array(p * p);
  let iuc = n - 1;
  for (;;) {
    // next failure time, scanning down
    let i = iuc;
    while (i >= 0 && ici[i] !== 1) i--;
    if (i < 0) break;
    const cft = t[i];
    let twf = 0;
    let first = i;
    for (let q = i; q >= 0 && !(t[q] < cft); q--) {
      first = q;
      if (ici[q] === 1) {
        twf++;
        lik -= eta[q];
        if (withDerivs) for (let k = 0; k < p; k++) s[k] -= x[q * p + k];
      }
    }
    iuc = first;
    let s0 = 0;
    s1.fill(0);
    if (withDerivs) s2.fill(0);
    for (let q = 0; q < n; q++) {
      let w: number;
      if (t[q] < cft) {
        if (ici[q] <= 1) continue;
        w = (Math.exp(eta[q]) * wt[iuc]) / wt[q];
      } else w = Math.exp(eta[q]);
      s0 += w;
      if (withDerivs)
        for (let k = 0; k < p; k++) {
          const wx = w * x[q * p + k];
          s1[k] += wx;
          for (let j = k; j < p; j++) s2[k * p + j] += wx * x[q * p + j];
        }
    }
    lik += twf * Math.log(s0);
    if (withDerivs) {
      for (let k = 0; k < p; k++) {
        s[k] += (twf * s1[k]) / s0;
        for (let j = k; j < p; j++) {
          const val = twf * (s2[k * p + j] / s0 - (s1[k] / s0) * (s1[j] / s0));
          v[k * p + j] += val;
          if (j !== k) v[j * p + k] += val;
        }
      }
    }
    iuc--;
    if (iuc < 0) break;
  }
  return { lik, s, v };
}

/** crrvv: the middle of the sandwich (v2) and the information (v). */
function sandwich(d: Prepared, b: Float64Array): { v: Float64Array; v2: Float64Array } {
  const { n, p, t, ici, x, wt } = d;
  const ew = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += x[i * p + k] * b[k];
    ew[i] = Math.exp(s);
  }
  let icrsk = n;
  const v = new Float64Array(p * p);
  const v2 = new Float64Array(p * p);
  const ss2 = new Float64Array(p);
  const xb0 = new Float64Array(n);
  const xb = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    if (ici[i] !== 1) continue;
    for (let j = 0; j < n; j++) {
      let w: number;
      if (t[j] < t[i]) {
        if (ici[j] <= 1) continue;
        w = (ew[j] * wt[i]) / wt[j];
      } else w = ew[j];
      xb0[i] += w;
      for (let k = 0; k < p; k++) xb[i * p + k] += w * x[j * p + k];
    }
  }
  const st1 = new Float64Array(p);
  const qu = new Float64Array(p);
  const ss = new Float64Array(p);
  const diff = new Float64Array(p);
  let lc = 0;
  for (let i = 0; i < n; i++) {
    st1.fill(0);
    for (let j = 0; j < n; j++) {
      if (ici[j] !== 1) continue;
      let w: number;
      if (t[j] <= t[i]) w = ew[i];
      else if (t[i] < t[j] && ici[i] > 1) w = (ew[i] * wt[j]) / wt[i];
      else continue;
      for (let k = 0; k < p; k++) st1[k] -= ((x[i * p + k] - xb[j * p + k] / xb0[j]) * w) / xb0[j];
    }
    if (ici[i] === 1) {
      for (let k = 0; k < p; k++) st1[k] += x[i * p + k] - xb[i * p + k] / xb0[i];
      for (let j = 0; j < n; j++) {
        let w: number;
        if (t[j] < t[i]) {
          if (ici[j] <= 1) continue;
          w = (ew[j] * wt[i]) / wt[j];
        } else w = ew[j];
        for (let k = 0; k < p; k++) diff[k] = x[j * p + k] - xb[i * p + k] / xb0[i];
        for (let k = 0; k < p; k++)
          for (let j2 = k; j2 < p; j2++) v[k * p + j2] += (w * diff[k] * diff[j2]) / xb0[i];
      }
    }
    if (i === 0 || t[i] > t[i - 1]) {
      let hasCensored = false;
      for (let j = i; j < n && !(t[j] > t[i]); j++)
        if (ici[j] === 0) {
          hasCensored = true;
          break;
        }
      if (hasCensored) {
        qu.fill(0);
        for (let j1 = lc; j1 < n; j1++) {
          if (ici[j1] !== 1) continue;
          let ss0 = 0;
          ss.fill(0);
          for (let j2 = 0; j2 < n; j2++) {
            if (t[j2] >= t[i]) break;
            if (ici[j2] <= 1) continue;
            const w = (ew[j2] * wt[j1]) / wt[j2];
            ss0 += w;
            for (let k = 0; k < p; k++) ss[k] += x[j2 * p + k] * w;
          }
          for (let k = 0; k < p; k++) qu[k] += (ss[k] - (xb[j1 * p + k] * ss0) / xb0[j1]) / xb0[j1];
        }
        for (let j = i; j < n && !(t[j] > t[i]); j++)
          if (ici[j] === 0) for (let k = 0; k < p; k++) ss2[k] -= qu[k] / (icrsk * icrsk);
      }
    }
    for (let k = 0; k < p; k++) {
      let st2 = ss2[k];
      if (ici[i] === 0) st2 += qu[k] / icrsk;
      st1[k] += st2;
    }
    for (let k = 0; k < p; k++) for (let j2 = k; j2 < p; j2++) v2[k * p + j2] += st1[k] * st1[j2];
    if (i < n - 1 && t[i + 1] > t[i]) {
      icrsk -= i - lc + 1;
      lc = i + 1;
    }
  }
  for (let k = 0; k < p; k++)
    for (let j = k + 1; j < p; j++) {
      v[j * p + k] = v[k * p + j];
      v2[j * p + k] = v2[k * p + j];
    }
  return { v, v2 };
}

/**
 * Fit a Fine–Gray model. Rows with a missing value are dropped (warning with the count).
 * @throws SurvivalError INVALID_INPUT (coding, lengths, no events of interest),
 *   CONSTANT_COVARIATE, COLLINEAR_COVARIATES (singular information).
 */
export function fineGray(input: FineGrayInput, opts: { maxIterations?: number; gtol?: number } = {}): FineGrayFit {
  const failCode = input.failCode ?? 1;
  const censCode = input.censCode ?? 0;
  const maxiter = opts.maxIterations ?? 10;
  const gtol = opts.gtol ?? 1e-6;
  const { time, status, covariates, names } = input;
  const nIn = time.length;
  const p = covariates.length;
  if (p === 0) throw invalid('No covariates given: name at least one covariate column.');
  if (status.length !== nIn) throw invalid(`time has ${nIn} values but status has ${status.length}.`);
  const keep: number[] = [];
  for (let i = 0; i < nIn; i++) {
    if (Number.isNaN(time[i]) || Number.isNaN(status[i]) || covariates.some((c) => Number.isNaN(c[i]))) continue;
    if (!Number.isFinite(time[i]) || time[i] < 0) throw invalid(`time at row ${i + 1} is ${time[i]}: times must be finite and ≥ 0.`);
    keep.push(i);
  }
  const warnings: SurvivalWarning[] = [];
  const nDropped = nIn - keep.length;
  if (nDropped)
    warnings.push({ code: 'MISSING_VALUES_DROPPED', message: `${nDropped} of ${nIn} rows had a missing value and were left out (complete-case analysis).` });
  keep.sort((a, b) => time[a] - time[b] || a - b);
  const n = keep.length;
  const d: Prepared = { n, p, t: new Float64Array(n), ici: new Uint8Array(n), x: new Float64Array(n * p), wt: new Float64Array(n) };
  let nFail = 0;
  keep.forEach((i, r) => {
    d.t[r] = time[i];
    d.ici[r] = status[i] === failCode ? 1 : status[i] === censCode ? 0 : 2;
    if (d.ici[r] === 1) nFail++;
    for (let k = 0; k < p; k++) d.x[r * p + k] = covariates[k][i];
  });
  if (nFail === 0) throw invalid(`No events of interest (status ${failCode}): the Fine–Gray model cannot be fitted.`);
  for (let k = 0; k < p; k++) {
    let same = true;
    for (let r = 1; r < n && same; r++) same = d.x[r * p + k] === d.x[k];
    if (same) throw new SurvivalError('CONSTANT_COVARIATE', `Covariate "${names[k]}" has the same value for every subject used, so its effect cannot be estimated.`);
  }
  if (nFail / p < 10)
    warnings.push({ code: 'FEW_EVENTS_PER_COVARIATE', message: `Only ${nFail} events of interest for ${p} coefficients (fewer than 10 per coefficient): estimates may be unstable.` });
  // censoring KM at t− (crr's approx(..., xout = ftime * (1 - 100 eps), method = "constant"))
  {
    let g = 1;
    let atRisk = n;
    let r = 0;
    while (r < n) {
      let q = r;
      let cens = 0;
      while (q < n && d.t[q] === d.t[r]) {
        if (d.ici[q] === 0) cens++;
        q++;
      }
      for (let j = r; j < q; j++) d.wt[j] = g;
      if (cens > 0) g *= (atRisk - cens) / atRisk;
      atRisk -= q - r;
      r = q;
    }
  }

  let b = new Float64Array(p);
  let z = objective(d, b, true);
  const info0 = z.v;
  {
    const probe = solveGeneral(info0, p, new Float64Array(p).fill(1));
    if (!probe) throw new SurvivalError('COLLINEAR_COVARIATES', `The information matrix is singular at β = 0: some of ${names.map((s) => `"${s}"`).join(', ')} are collinear. Remove the redundant column.`);
  }
  let converged = false;
  let stopReason: FineGrayFit['stopReason'] = 'max-iterations';
  let iterations = 0;
  for (let ll = 0; ll <= maxiter; ll++) {
    let maxScore = 0;
    for (let k = 0; k < p; k++) maxScore = Math.max(maxScore, Math.abs(z.s[k]) * Math.max(Math.abs(b[k]), 1));
    if (maxScore < Math.max(Math.abs(z.lik), 1) * gtol) {
      converged = true;
      stopReason = 'converged';
      break;
    }
    if (ll === maxiter) break;
    const step = solveGeneral(z.v, p, z.s);
    if (!step) throw new SurvivalError('SINGULAR_INFORMATION', 'The Fine–Gray information matrix became singular: likely separation or too few events of interest.');
    const sc = step.map((v) => -v);
    let dot = 0;
    for (let k = 0; k < p; k++) dot += sc[k] * z.s[k];
    let bn = b.map((v, k) => v + sc[k]);
    let fbn = objective(d, bn, false).lik;
    let halvings = 0;
    while (Number.isNaN(fbn) || fbn > z.lik + 1e-4 * dot) {
      halvings++;
      for (let k = 0; k < p; k++) sc[k] *= 0.5;
      dot *= 0.5;
      bn = b.map((v, k) => v + sc[k]);
      fbn = objective(d, bn, false).lik;
      if (halvings > 20) break;
    }
    if (halvings > 20) {
      stopReason = 'step-halving-failed';
      break;
    }
    b = bn;
    iterations = ll + 1;
    z = objective(d, b, true);
  }
  const { v: info, v2 } = sandwich(d, b);
  const h = invertGeneral(info, p);
  if (!h) throw new SurvivalError('SINGULAR_INFORMATION', 'The Fine–Gray information matrix is singular at the estimate: likely separation or too few events of interest.');
  const V = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) for (let l = 0; l < p; l++) s += h[i * p + k] * v2[k * p + l] * h[j * p + l];
      V[i * p + j] = s;
    }
  if (!converged)
    warnings.push({ code: 'NOT_CONVERGED', message: `crr did not converge (${stopReason}); estimates are not reliable, often because of separation or a badly scaled covariate.` });
  const coefficients = names.map((name, k) => {
    const se = Math.sqrt(V[k * p + k]);
    const zz = b[k] / se;
    return {
      name,
      coef: b[k],
      se,
      hr: Math.exp(b[k]),
      lower95: Math.exp(b[k] - Z_975 * se),
      upper95: Math.exp(b[k] + Z_975 * se),
      z: zz,
      p: twoSidedNormalP(zz),
    };
  });
  const loglikNull = -objective(d, new Float64Array(p), false).lik;
  return {
    n,
    nDropped,
    coefficients,
    var: Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => V[i * p + j])),
    loglik: -z.lik,
    loglikNull,
    iterations,
    converged,
    stopReason,
    warnings,
  };
}
