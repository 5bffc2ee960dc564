/**
 * Cox proportional-hazards regression, following R's survival::coxph (coxph.fit / coxfit6.c).
 *
 * Newton–Raphson from β = 0 with step halving; stops when |1 − ℓ_old/ℓ_new| ≤ eps (1e-9) or after
 * maxIterations (20), as coxph.control. Covariates are centred and scaled as coxfit6 does; the
 * risk-set sums are accumulated in one backward pass over time-sorted data (O(n·p²) per
 * iteration), with a running maximum of the linear predictor factored out so exp() never
 * overflows.
 *
 * Reference: Therneau & Grambsch (2000), Modeling Survival Data, ch. 3; R survival 3.5 coxph.
 */
import { concordanceFromData, type Concordance } from './concordance';
import { prepareCoxData, type CoxData, type CoxInput } from './cox-data';
import { coxZphFromData, type CoxZph, type ZphTerm } from './cox-zph';
import { pchisqUpper, twoSidedNormalP, Z_975 } from './distributions';
import { SurvivalError, type SurvivalWarning } from './errors';
import { cholesky, choleskyInverse, choleskySolve, quadFormInverse } from './linalg';

export type CoxTies = 'efron' | 'breslow';

export interface CoxOptions {
  ties?: CoxTies;
  /** coxph.control iter.max (default 20). */
  maxIterations?: number;
  /** coxph.control eps (default 1e-9). */
  eps?: number;
  /** Compute cox.zph (default true). */
  zph?: boolean;
  /** Groups of columns tested together by cox.zph (default: one per column). */
  terms?: ZphTerm[];
}

export interface CoxCoefficient {
  name: string;
  coef: number;
  se: number;
  hr: number;
  lower95: number;
  upper95: number;
  z: number;
  p: number;
}

export interface ChisqTest {
  chisq: number;
  df: number;
  p: number;
}

export interface CoxFit {
  ties: CoxTies;
  n: number;
  nevent: number;
  nDropped: number;
  coefficients: CoxCoefficient[];
  /** Variance–covariance matrix of β, p×p nested arrays. */
  var: number[][];
  /** Log partial likelihood at β = 0 and at the fit. */
  loglik: [number, number];
  logtest: ChisqTest;
  waldtest: ChisqTest;
  sctest: ChisqTest;
  concordance: Concordance;
  zph: CoxZph | null;
  means: number[];
  iterations: number;
  converged: boolean;
  stopReason: 'converged' | 'max-iterations';
  warnings: SurvivalWarning[];
}

interface PassResult {
  loglik: number;
  u: Float64Array;
  imat: Float64Array;
}

/**
 * One backward pass: log partial likelihood, score and information at beta (scaled space).
 * xs is row-major n×p (centred, scaled), sorted by stratum then time ascending.
 */
function coxPass(
  xs: Float64Array,
  d: CoxData,
  beta: Float64Array,
  efron: boolean,
  work: { eta: Float64Array; a: Float64Array; a2: Float64Array; cmat: Float64Array; cmat2: Float64Array },
): PassResult {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const { n, p, time, status, stratum } = d;
  const { eta, a, a2, cmat, cmat2 } = work;
  const u = new Float64Array(p);
  const imat = new Float64Array(p * p);
  let loglik = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += xs[i * p + k]! * beta[k]!;
    eta[i] = s;
  }
  let ip = n - 1;
  let cstrat = -1;
  let denom = 0;
  let offset = -Infinity; // running max of eta in this stratum: sums hold exp(eta - offset)
  while (ip >= 0) {
    if (stratum[ip] !== cstrat) {
      cstrat = stratum[ip]!;
      denom = 0;
      a.fill(0);
      cmat.fill(0);
      offset = -Infinity;
    }
    const dtime = time[ip];
    let ndead = 0;
    let denom2 = 0;
    a2.fill(0);
    cmat2.fill(0);
    for (; ip >= 0 && time[ip] === dtime && stratum[ip] === cstrat; ip--) {
      const e = eta[ip]!;
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
      // censored go straight into the risk-set sums; deaths into the tied-death sums, which
      // join the risk set once the whole tied block has been read
      if (status[ip] === 1) {
        ndead++;
        loglik += e;
        denom2 += risk;
        for (let k = 0; k < p; k++) {
          const xk = xs[row + k]!;
          u[k]! += xk;
          const rx = risk * xk;
          a2[k]! += rx;
          const kp = k * p;
          for (let j = 0; j <= k; j++) cmat2[kp + j]! += rx * xs[row + j]!;
        }
      } else {
        denom += risk;
        for (let k = 0; k < p; k++) {
          const rx = risk * xs[row + k]!;
          a[k]! += rx;
          const kp = k * p;
          for (let j = 0; j <= k; j++) cmat[kp + j]! += rx * xs[row + j]!;
        }
      }
    }
    if (ndead > 0) {
      denom += denom2;
      for (let k = 0; k < p; k++) {
        a[k]! += a2[k]!;
        const kp = k * p;
        for (let j = 0; j <= k; j++) cmat[kp + j]! += cmat2[kp + j]!;
      }
    }
    if (ndead === 0) continue;
    if (!efron || ndead === 1) {
      loglik -= ndead * (Math.log(denom) + offset);
      for (let k = 0; k < p; k++) {
        const mk = a[k]! / denom;
        u[k]! -= ndead * mk;
        for (let j = 0; j <= k; j++) imat[j * p + k]! += ndead * (cmat[k * p + j]! / denom - mk * (a[j]! / denom));
      }
    } else {
      // Efron: the r-th of d tied deaths sees denom − (r/d)·denom2. The sums over r are
      // collected once so the cost per death time is O(d + p²), not O(d·p²).
      let s1 = 0; // Σ 1/d2
      let st = 0; // Σ t/d2
      let q0 = 0; // Σ 1/d2²
      let q1 = 0; // Σ t/d2²
      let q2 = 0; // Σ t²/d2²
      for (let r = 0; r < ndead; r++) {
        const t = r / ndead;
        const d2 = denom - t * denom2;
        loglik -= Math.log(d2) + offset;
        const inv = 1 / d2;
        s1 += inv;
        st += t * inv;
        q0 += inv * inv;
        q1 += t * inv * inv;
        q2 += t * t * inv * inv;
      }
      for (let k = 0; k < p; k++) {
        u[k]! -= a[k]! * s1 - a2[k]! * st;
        for (let j = 0; j <= k; j++)
          imat[j * p + k]! +=
            cmat[k * p + j]! * s1 - cmat2[k * p + j]! * st - (a[k]! * a[j]! * q0 - (a[k]! * a2[j]! + a2[k]! * a[j]!) * q1 + a2[k]! * a2[j]! * q2);
      }
    }
  }
  for (let k = 0; k < p; k++) for (let j = 0; j < k; j++) imat[k * p + j] = imat[j * p + k]!;
  return { loglik, u, imat };
}

const TOLER_CHOL = Math.pow(2.220446049250313e-16, 0.75);

/**
 * Fit a Cox model.
 * @param input time (≥ 0), event (0/1), covariate columns with names, optional strata; rows with
 *   a missing value are dropped (warning MISSING_VALUES_DROPPED with the count).
 * @throws SurvivalError INVALID_INPUT (bad coding, lengths), NO_EVENTS, CONSTANT_COVARIATE,
 *   COLLINEAR_COVARIATES (singular information matrix; the message names the columns).
 * Warnings (in `warnings`, never NaN in the output): FEW_EVENTS_PER_COVARIATE (< 10 events per
 * coefficient), MONOTONE_LIKELIHOOD (a coefficient diverges: separation), NOT_CONVERGED.
 * Reference: R survival::coxph, summary.coxph, concordance, cox.zph(transform = "km").
 */
export function coxph(input: CoxInput, options: CoxOptions = {}): CoxFit {
  const data = prepareCoxData(input);
  return coxphFromData(data, options);
}

/** coxph on data already prepared by prepareCoxData (same options, errors and warnings). */
export function coxphFromData(data: CoxData, options: CoxOptions = {}): CoxFit {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const ties = options.ties ?? 'efron';
  const maxIter = options.maxIterations ?? 20;
  const eps = options.eps ?? 1e-9;
  const tolerInf = Math.sqrt(eps);
  const { n, p, names } = data;
  const warnings = [...data.warnings];
  if (p === 0) throw new SurvivalError('INVALID_INPUT', 'No covariates given: name at least one covariate column.');

  // centre and scale as coxfit6 (scale = 1 / mean absolute deviation)
  const means = new Float64Array(p);
  const scale = new Float64Array(p);
  const xs = new Float64Array(n * p);
  // row-major passes over x (column-strided loops are cache-hostile at n = 10⁵)
  const x = data.x;
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) means[k]! += x[i * p + k]!;
  for (let k = 0; k < p; k++) means[k]! /= n;
  const mad = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) mad[k]! += Math.abs(x[i * p + k]! - means[k]!);
  for (let k = 0; k < p; k++) {
    if (mad[k] === 0)
      throw new SurvivalError(
        'CONSTANT_COVARIATE',
        `Covariate "${names[k]}" has the same value (${means[k]}) for every subject used, so its effect cannot be estimated. Remove it or check the column.`,
      );
    scale[k] = n / mad[k]!;
  }
  for (let i = 0; i < n; i++) for (let k = 0; k < p; k++) xs[i * p + k] = (x[i * p + k]! - means[k]!) * scale[k]!;
  if (data.nEvent / p < 10)
    warnings.push({
      code: 'FEW_EVENTS_PER_COVARIATE',
      message: `Only ${data.nEvent} events for ${p} coefficients (${(data.nEvent / p).toFixed(1)} per coefficient, fewer than 10): estimates may be biased and unstable; consider fewer covariates.`,
    });

  const work = {
    eta: new Float64Array(n),
    a: new Float64Array(p),
    a2: new Float64Array(p),
    cmat: new Float64Array(p * p),
    cmat2: new Float64Array(p * p),
  };
  const efron = ties === 'efron';
  let beta = new Float64Array(p);
  const r0 = coxPass(xs, data, beta, efron, work);
  let chol = cholesky(r0.imat, p, TOLER_CHOL);
  if (chol.rank < p) throw collinearError(chol.dropped, names, data);
  const loglik0 = r0.loglik;
  const sctest = quadFormInverse(chol, r0.u);
  const newbeta = Float64Array.from(choleskySolve(chol, r0.u));
  let loglik1 = loglik0;
  let last = r0;
  let halving = false;
  let converged = false;
  let iter: number;
  for (iter = 1; iter <= maxIter; iter++) {
    last = coxPass(xs, data, newbeta, efron, work);
    chol = cholesky(last.imat, p, TOLER_CHOL);
    if (Math.abs(1 - loglik1 / last.loglik) <= eps && !halving) {
      converged = true;
      break;
    }
    if (iter === maxIter) break;
    if (!(last.loglik >= loglik1)) {
      halving = true;
      for (let k = 0; k < p; k++) newbeta[k] = (newbeta[k]! + beta[k]!) / 2;
    } else {
      halving = false;
      loglik1 = last.loglik;
      const step = choleskySolve(chol, last.u);
      beta = Float64Array.from(newbeta);
      for (let k = 0; k < p; k++) newbeta[k]! += step[k]!;
    }
  }
  if (iter > maxIter) iter = maxIter;
  loglik1 = last.loglik;
  beta = newbeta;
  const finalChol = chol;
  if (finalChol.rank < p) throw separationOrCollinear(finalChol.dropped, names);
  const invS = choleskyInverse(finalChol);

  const coef = new Float64Array(p);
  const v: number[][] = [];
  for (let k = 0; k < p; k++) coef[k] = beta[k]! * scale[k]!;
  for (let k = 0; k < p; k++) {
    v.push([]);
    for (let j = 0; j < p; j++) v[k]!.push(invS[k * p + j]! * scale[k]! * scale[j]!);
  }
  // R's check for infinite coefficients: |U·V| large relative to β
  const diverging: number[] = [];
  for (let j = 0; j < p; j++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += last.u[k]! * invS[k * p + j]!;
    const inf = Math.abs(s) * scale[j]!;
    if (!Number.isFinite(inf) || (inf > eps && inf > tolerInf * Math.abs(coef[j]!))) diverging.push(j);
  }
  if (!converged) {
    warnings.push({
      code: 'NOT_CONVERGED',
      message: `Newton–Raphson did not converge in ${maxIter} iterations; the estimates are not reliable (often a sign of separation or a badly scaled covariate).`,
    });
  }
  if (diverging.length || !converged) {
    // without R's flag, name covariates whose β × mean |x − x̄| exceeds 20
    const cols = diverging.length ? diverging : [...coef.keys()].filter((k) => Math.abs(coef[k]!) / scale[k]! > 20);
    if (diverging.length || cols.length)
      warnings.push({
        code: 'MONOTONE_LIKELIHOOD',
        message: `The likelihood keeps increasing as the coefficient of ${cols.map((k) => `"${names[k]}"`).join(', ')} grows: the coefficient may be infinite (complete or quasi-complete separation: ${cols.length > 1 ? 'these covariates perfectly order' : 'this covariate perfectly orders'} who has events first). Its estimate, SE and p-value are not meaningful; consider Firth-penalised Cox or merging categories.`,
      });
  }

  const coefficients: CoxCoefficient[] = [];
  for (let k = 0; k < p; k++) {
    const se = Math.sqrt(v[k]![k]!);
    const z = coef[k]! / se;
    coefficients.push({
      name: names[k]!,
      coef: coef[k]!,
      se,
      hr: Math.exp(coef[k]!),
      lower95: Math.exp(coef[k]! - Z_975 * se),
      upper95: Math.exp(coef[k]! + Z_975 * se),
      z,
      p: twoSidedNormalP(z),
    });
  }
  // Wald test: β' V⁻¹ β = β_s' I_s β_s
  let wald = 0;
  for (let k = 0; k < p; k++) for (let j = 0; j < p; j++) wald += beta[k]! * last.imat[k * p + j]! * beta[j]!;
  const lr = 2 * (loglik1 - loglik0);

  // linear predictor on the original scale (centring does not matter for C or zph)
  const lp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < p; k++) s += (data.x[i * p + k]! - means[k]!) * coef[k]!;
    lp[i] = s;
  }
  const concordance = concordanceFromData(data, lp);
  let zph: CoxZph | null = null;
  if (options.zph ?? true) {
    zph = coxZphFromData(data, lp, efron, options.terms);
    if (zph.warnings) warnings.push(...zph.warnings);
  }

  return {
    ties,
    n,
    nevent: data.nEvent,
    nDropped: data.nDropped,
    coefficients,
    var: v,
    loglik: [loglik0, loglik1],
    logtest: { chisq: lr, df: p, p: pchisqUpper(lr, p) },
    waldtest: { chisq: wald, df: p, p: pchisqUpper(wald, p) },
    sctest: { chisq: sctest, df: p, p: pchisqUpper(sctest, p) },
    concordance,
    zph,
    means: [...means],
    iterations: iter,
    converged,
    stopReason: converged ? 'converged' : 'max-iterations',
    warnings,
  };
}

function collinearError(dropped: number[], names: string[], data: CoxData): SurvivalError {
  const cols = dropped.map((k) => `"${names[k]}"`).join(', ');
  const earlier = names.slice(0, Math.max(...dropped)).filter((_, k) => !dropped.includes(k));
  const stratNote = data.stratum.some((s) => s !== 0) ? ' (or is constant within every stratum)' : '';
  return new SurvivalError(
    'COLLINEAR_COVARIATES',
    `The information matrix is singular: covariate ${cols} is a linear combination of ${earlier.length ? earlier.map((s) => `"${s}"`).join(', ') : 'the other covariates'}${stratNote} (perfect collinearity, e.g. a dummy for every category or the same measurement in two units). Remove ${dropped.length > 1 ? 'these columns' : 'that column'}.`,
  );
}

function separationOrCollinear(dropped: number[], names: string[]): SurvivalError {
  const cols = dropped.map((k) => `"${names[k]}"`).join(', ');
  return new SurvivalError(
    'SINGULAR_INFORMATION',
    `The information matrix became singular during fitting for ${cols}: the likely cause is complete separation (the covariate perfectly orders who has events first) or too few events. Check that column or merge sparse categories.`,
  );
}
