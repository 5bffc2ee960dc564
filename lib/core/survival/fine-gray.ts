/**
 * Fine–Gray proportional subdistribution-hazards regression, as R's cmprsk::crr with fixed
 * covariates (cov1) and one censoring group: censoring weights from the Kaplan–Meier estimate
 * of the censoring distribution at t−, Newton–Raphson with backtracking exactly as crr
 * (gtol = 1e-6, maxiter = 10), and the sandwich variance of crrvv. crr.f's nested loops
 * (O(n²) per iteration, O(n³) for the variance) are rewritten as prefix/suffix sums: O(n·p²).
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

interface Blocks {
  start: Int32Array;
  end: Int32Array;
  /** Failures of the cause of interest in each block. */
  nFail: Int32Array;
  /** Indices of blocks with ≥ 1 failure, ascending. */
  failBlocks: Int32Array;
}

function makeBlocks(d: Prepared): Blocks {
  const starts: number[] = [];
  const ends: number[] = [];
  const nf: number[] = [];
  const fb: number[] = [];
  for (let i = 0; i < d.n;) {
    let j = i;
    let f = 0;
    while (j < d.n && d.t[j] === d.t[i]) {
      if (d.ici[j] === 1) f++;
      j++;
    }
    if (f > 0) fb.push(starts.length);
    starts.push(i);
    ends.push(j);
    nf.push(f);
    i = j;
  }
  return { start: Int32Array.from(starts), end: Int32Array.from(ends), nFail: Int32Array.from(nf), failBlocks: Int32Array.from(fb) };
}

interface RiskSums {
  /** Per failure block: S0, S1 (p), S2 (p², only with second moments) of the weighted risk set. */
  s0: Float64Array;
  s1: Float64Array;
  s2: Float64Array | null;
  ew: Float64Array;
  eta: Float64Array;
}

/**
 * Weighted risk-set sums at each distinct failure time T: subjects still at risk (t ≥ T) with
 * weight e^η, plus earlier competing failures with weight e^η·G(T−)/G(tⱼ−) (Fine & Gray's
 * censoring-complete risk set). Forward prefix sums of the competing part and backward suffix
 * sums of the at-risk part, so O(n·p²) with no cancellation.
 */
function riskSums(d: Prepared, bl: Blocks, b: Float64Array, second: boolean): RiskSums {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const { n, p, ici, x, wt } = d;
  const eta = new Float64Array(n);
  const ew = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += x[i * p + k]! * b[k]!;
    eta[i] = s;
    ew[i] = Math.exp(s);
  }
  const nfb = bl.failBlocks.length;
  const pp = p * p;
  const s0 = new Float64Array(nfb);
  const s1 = new Float64Array(nfb * p);
  const s2 = second ? new Float64Array(nfb * pp) : null;
  // forward: competing part, scaled by G(T−) at the failure block
  let c0 = 0;
  const c1 = new Float64Array(p);
  const c2 = new Float64Array(pp);
  let f = 0;
  for (let k = 0; k < bl.start.length && f < nfb; k++) {
    if (bl.failBlocks[f] === k) {
      const g = wt[bl.start[k]!]!;
      s0[f] = g * c0;
      for (let a = 0; a < p; a++) s1[f * p + a] = g * c1[a]!;
      if (s2) for (let a = 0; a < pp; a++) s2[f * pp + a] = g * c2[a]!;
      f++;
    }
    for (let i = bl.start[k]!; i < bl.end[k]!; i++) {
      if (ici[i] !== 2) continue;
      const w = ew[i]! / wt[i]!;
      c0 += w;
      for (let a = 0; a < p; a++) {
        const wx = w * x[i * p + a]!;
        c1[a]! += wx;
        if (second) for (let c = 0; c <= a; c++) c2[a * p + c]! += wx * x[i * p + c]!;
      }
    }
  }
  // backward: still at risk
  let r0 = 0;
  const r1 = new Float64Array(p);
  const r2 = new Float64Array(pp);
  f = nfb - 1;
  for (let k = bl.start.length - 1; k >= 0 && f >= 0; k--) {
    for (let i = bl.start[k]!; i < bl.end[k]!; i++) {
      const w = ew[i]!;
      r0 += w;
      for (let a = 0; a < p; a++) {
        const wx = w * x[i * p + a]!;
        r1[a]! += wx;
        if (second) for (let c = 0; c <= a; c++) r2[a * p + c]! += wx * x[i * p + c]!;
      }
    }
    if (bl.failBlocks[f] === k) {
      s0[f]! += r0;
      for (let a = 0; a < p; a++) s1[f * p + a]! += r1[a]!;
      if (s2)
        for (let a = 0; a < p; a++)
          for (let c = 0; c <= a; c++) {
            const v = s2[f * pp + a * p + c]! + r2[a * p + c]!;
            s2[f * pp + a * p + c] = v;
            s2[f * pp + c * p + a] = v;
          }
      f--;
    }
  }
  return { s0, s1, s2, ew, eta };
}

/** crrf / crrfsv: minus log pseudo-likelihood, its gradient and Hessian at b. */
function objective(d: Prepared, bl: Blocks, b: Float64Array, withDerivs: boolean): { lik: number; s: Float64Array; v: Float64Array } {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const { p, ici, x } = d;
  const rs = riskSums(d, bl, b, withDerivs);
  let lik = 0;
  const s = new Float64Array(p);
  const v = new Float64Array(p * p);
  for (let f = 0; f < bl.failBlocks.length; f++) {
    const k = bl.failBlocks[f]!;
    const twf = bl.nFail[k]!;
    for (let i = bl.start[k]!; i < bl.end[k]!; i++) {
      if (ici[i] !== 1) continue;
      lik -= rs.eta[i]!;
      if (withDerivs) for (let a = 0; a < p; a++) s[a]! -= x[i * p + a]!;
    }
    const s0 = rs.s0[f]!;
    lik += twf * Math.log(s0);
    if (withDerivs) {
      for (let a = 0; a < p; a++) {
        const m = rs.s1[f * p + a]! / s0;
        s[a]! += twf * m;
        for (let c = 0; c < p; c++) v[a * p + c]! += twf * (rs.s2![f * p * p + a * p + c]! / s0 - m * (rs.s1[f * p + c]! / s0));
      }
    }
  }
  return { lik, s, v };
}

/**
 * crrvv: information v and the middle of the sandwich v2 (Fine & Gray 1999, eq. for Ω̂ with
 * the censoring-martingale term ψ), with every inner sum written as a prefix or suffix sum.
 */
function sandwich(d: Prepared, bl: Blocks, b: Float64Array): { v: Float64Array; v2: Float64Array } {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const { n, p, ici, x, wt } = d;
  const rs = riskSums(d, bl, b, true);
  const nfb = bl.failBlocks.length;
  const v = new Float64Array(p * p);
  const v2 = new Float64Array(p * p);
  // per failure block: f/S0, f·S1/S0² (for Σ over failures j of 1/S0ⱼ and x̄ⱼ/S0ⱼ), with G(T−)
  const a0 = new Float64Array(nfb);
  const a1 = new Float64Array(nfb * p);
  const g = new Float64Array(nfb);
  for (let f = 0; f < nfb; f++) {
    const k = bl.failBlocks[f]!;
    const nf = bl.nFail[k]!;
    const s0 = rs.s0[f]!;
    g[f] = wt[bl.start[k]!]!;
    a0[f] = nf / s0;
    for (let a = 0; a < p; a++) {
      a1[f * p + a] = (nf * rs.s1[f * p + a]!) / (s0 * s0);
      const m = rs.s1[f * p + a]! / s0;
      for (let c = 0; c < p; c++) v[a * p + c]! += nf * (rs.s2![f * p * p + a * p + c]! / s0 - m * (rs.s1[f * p + c]! / s0));
    }
  }
  // suffix sums (blocks f..end) of G·a0 and G·a1
  const q0 = new Float64Array(nfb + 1);
  const q1 = new Float64Array((nfb + 1) * p);
  for (let f = nfb - 1; f >= 0; f--) {
    q0[f] = q0[f + 1]! + g[f]! * a0[f]!;
    for (let a = 0; a < p; a++) q1[f * p + a] = q1[(f + 1) * p + a]! + g[f]! * a1[f * p + a]!;
  }
  let p0 = 0; // Σ over failure blocks with T ≤ current time of f/S0
  const p1 = new Float64Array(p);
  let c0 = 0; // competing failures strictly before the current block: Σ e^η/G
  const c1 = new Float64Array(p);
  const ss2 = new Float64Array(p);
  const qu = new Float64Array(p);
  const st = new Float64Array(p);
  let f = 0; // failure blocks with T < current block time
  for (let k = 0; k < bl.start.length; k++) {
    const bs = bl.start[k]!;
    const be = bl.end[k]!;
    const isFail = f < nfb && bl.failBlocks[f] === k;
    const fHere = f; // index of this block among failure blocks (if isFail)
    if (isFail) {
      p0 += a0[f]!;
      for (let a = 0; a < p; a++) p1[a]! += a1[f * p + a]!;
    }
    const fAfter = isFail ? f + 1 : f; // first failure block with T > current time
    const icrsk = n - bs;
    let hasCensored = false;
    for (let i = bs; i < be; i++) if (ici[i] === 0) hasCensored = true;
    if (hasCensored) {
      // q(u): failures with T ≥ current time, competing subjects strictly before it
      for (let a = 0; a < p; a++) qu[a] = c1[a]! * q0[fHere]! - c0 * q1[fHere * p + a]!;
      for (let i = bs; i < be; i++) if (ici[i] === 0) for (let a = 0; a < p; a++) ss2[a]! -= qu[a]! / (icrsk * icrsk);
    }
    for (let i = bs; i < be; i++) {
      const ew = rs.ew[i]!;
      for (let a = 0; a < p; a++) {
        const xi = x[i * p + a]!;
        let val = -ew * (xi * p0 - p1[a]!);
        if (ici[i] === 2) val -= (ew / wt[i]!) * (xi * q0[fAfter]! - q1[fAfter * p + a]!);
        if (ici[i] === 1) val += xi - rs.s1[fHere * p + a]! / rs.s0[fHere]!;
        val += ss2[a]!;
        if (ici[i] === 0) val += qu[a]! / icrsk;
        st[a] = val;
      }
      for (let a = 0; a < p; a++) for (let c = 0; c < p; c++) v2[a * p + c]! += st[a]! * st[c]!;
    }
    for (let i = bs; i < be; i++) {
      if (ici[i] !== 2) continue;
      const w = rs.ew[i]! / wt[i]!;
      c0 += w;
      for (let a = 0; a < p; a++) c1[a]! += w * x[i * p + a]!;
    }
    if (isFail) f++;
  }
  return { v, v2 };
}

/**
 * Fit a Fine–Gray model. Rows with a missing value are dropped (warning with the count).
 * @throws SurvivalError INVALID_INPUT (coding, lengths, no events of interest),
 *   CONSTANT_COVARIATE, COLLINEAR_COVARIATES (singular information).
 */
export function fineGray(input: FineGrayInput, opts: { maxIterations?: number; gtol?: number } = {}): FineGrayFit {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
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
    if (!Number.isFinite(time[i]) || time[i]! < 0) throw invalid(`time at row ${i + 1} is ${time[i]}: times must be finite and ≥ 0.`);
    keep.push(i);
  }
  const warnings: SurvivalWarning[] = [];
  const nDropped = nIn - keep.length;
  if (nDropped)
    warnings.push({ code: 'MISSING_VALUES_DROPPED', message: `${nDropped} of ${nIn} rows had a missing value and were left out (complete-case analysis).` });
  keep.sort((a, b) => time[a]! - time[b]! || a - b);
  const n = keep.length;
  const d: Prepared = { n, p, t: new Float64Array(n), ici: new Uint8Array(n), x: new Float64Array(n * p), wt: new Float64Array(n) };
  let nFail = 0;
  keep.forEach((i, r) => {
    d.t[r] = time[i]!;
    d.ici[r] = status[i] === failCode ? 1 : status[i] === censCode ? 0 : 2;
    if (d.ici[r] === 1) nFail++;
    for (let k = 0; k < p; k++) d.x[r * p + k] = covariates[k]![i]!;
  });
  if (nFail === 0) throw invalid(`No events of interest (status ${failCode}): the Fine–Gray model cannot be fitted.`);
  for (let k = 0; k < p; k++) {
    let same = true;
    for (let r = 1; r < n && same; r++) same = d.x[r * p + k] === d.x[k];
    if (same)
      throw new SurvivalError('CONSTANT_COVARIATE', `Covariate "${names[k]}" has the same value for every subject used, so its effect cannot be estimated.`);
  }
  if (nFail / p < 10)
    warnings.push({
      code: 'FEW_EVENTS_PER_COVARIATE',
      message: `Only ${nFail} events of interest for ${p} coefficients (fewer than 10 per coefficient): estimates may be unstable.`,
    });
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
      // crr evaluates the censoring KM at t·(1 − 100ε), i.e. G(t−), except at t = 0 where the
      // step at 0 itself is included
      if (d.t[r] === 0 && cens > 0) g *= (atRisk - cens) / atRisk;
      for (let j = r; j < q; j++) d.wt[j] = g;
      if (d.t[r] !== 0 && cens > 0) g *= (atRisk - cens) / atRisk;
      atRisk -= q - r;
      r = q;
    }
  }

  const bl = makeBlocks(d);
  let b = new Float64Array(p);
  let z = objective(d, bl, b, true);
  const info0 = z.v;
  {
    const probe = solveGeneral(info0, p, new Float64Array(p).fill(1));
    if (!probe)
      throw new SurvivalError(
        'COLLINEAR_COVARIATES',
        `The information matrix is singular at β = 0: some of ${names.map((s) => `"${s}"`).join(', ')} are collinear. Remove the redundant column.`,
      );
  }
  let converged = false;
  let stopReason: FineGrayFit['stopReason'] = 'max-iterations';
  let iterations = 0;
  for (let ll = 0; ll <= maxiter; ll++) {
    let maxScore = 0;
    for (let k = 0; k < p; k++) maxScore = Math.max(maxScore, Math.abs(z.s[k]!) * Math.max(Math.abs(b[k]!), 1));
    if (maxScore < Math.max(Math.abs(z.lik), 1) * gtol) {
      converged = true;
      stopReason = 'converged';
      break;
    }
    if (ll === maxiter) break;
    const step = solveGeneral(z.v, p, z.s);
    if (!step)
      throw new SurvivalError('SINGULAR_INFORMATION', 'The Fine–Gray information matrix became singular: likely separation or too few events of interest.');
    const sc = step.map((v) => -v);
    let dot = 0;
    for (let k = 0; k < p; k++) dot += sc[k]! * z.s[k]!;
    let bn = b.map((v, k) => v + sc[k]!);
    let fbn = objective(d, bl, bn, false).lik;
    let halvings = 0;
    while (Number.isNaN(fbn) || fbn > z.lik + 1e-4 * dot) {
      halvings++;
      for (let k = 0; k < p; k++) sc[k]! *= 0.5;
      dot *= 0.5;
      bn = b.map((v, k) => v + sc[k]!);
      fbn = objective(d, bl, bn, false).lik;
      if (halvings > 20) break;
    }
    if (halvings > 20) {
      stopReason = 'step-halving-failed';
      break;
    }
    b = bn;
    iterations = ll + 1;
    z = objective(d, bl, b, true);
  }
  const { v: info, v2 } = sandwich(d, bl, b);
  const h = invertGeneral(info, p);
  if (!h)
    throw new SurvivalError(
      'SINGULAR_INFORMATION',
      'The Fine–Gray information matrix is singular at the estimate: likely separation or too few events of interest.',
    );
  const V = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) for (let l = 0; l < p; l++) s += h[i * p + k]! * v2[k * p + l]! * h[j * p + l]!;
      V[i * p + j] = s;
    }
  if (!converged)
    warnings.push({
      code: 'NOT_CONVERGED',
      message: `crr did not converge (${stopReason}); estimates are not reliable, often because of separation or a badly scaled covariate.`,
    });
  const coefficients = names.map((name, k) => {
    const se = Math.sqrt(V[k * p + k]!);
    const zz = b[k]! / se;
    return {
      name,
      coef: b[k]!,
      se,
      hr: Math.exp(b[k]!),
      lower95: Math.exp(b[k]! - Z_975 * se),
      upper95: Math.exp(b[k]! + Z_975 * se),
      z: zz,
      p: twoSidedNormalP(zz),
    };
  });
  const loglikNull = -objective(d, bl, new Float64Array(p), false).lik;
  return {
    n,
    nDropped,
    coefficients,
    var: Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => V[i * p + j]!)),
    loglik: -z.lik,
    loglikNull,
    iterations,
    converged,
    stopReason,
    warnings,
  };
}
