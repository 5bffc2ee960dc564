/**
 * Zero-state average run lengths (ARL) of the two-sided EWMA and tabular CUSUM charts for
 * normal data, by the integral-equation method (Nyström with Gauss–Legendre quadrature), as
 * R's `spc` package computes them (xewma.arl, xcusum.arl), and the critical values that give
 * a chosen in-control ARL (as xewma.crit, xcusum.crit). Shifts are in units of the baseline σ.
 * The quadrature is refined (doubling the nodes from 24) until the ARL settles; an ARL beyond
 * MAX_RELIABLE_ARL, or one that does not settle, is an SpcError rather than rounding noise.
 * Definitions and the check against R: docs/monitoring.md ("Statistics").
 */
import { pnorm } from '../survival/distributions';
import { checkH, checkK, checkL, checkLambda } from './charts';
import { SpcError } from './errors';

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const dnorm = (x: number): number => INV_SQRT_2PI * Math.exp(-0.5 * x * x);

const MIN_NODES = 24;
const MAX_NODES = 768;
const REL_TOL = 1e-10;

const glCache = new Map<number, { x: Float64Array; w: Float64Array }>();

/** Gauss–Legendre nodes and weights on [−1, 1] (Newton on the Legendre recurrence). */
export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const cached = glCache.get(n);
  if (cached) return cached;
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const m = Math.floor((n + 1) / 2);
  for (let i = 0; i < m; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p1 = 1;
      let p2 = 0;
      for (let j = 1; j <= n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = ((2 * j - 1) * z * p2 - (j - 1) * p3) / j;
      }
      dp = (n * (z * p1 - p2)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-15) break;
    }
    x[i] = -z;
    x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  const out = { x, w };
  glCache.set(n, out);
  return out;
}

/** Solves A y = b in place (A is n×n row-major) by Gaussian elimination with partial pivoting. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let c = 0; c < n; c++) {
    let p = c;
    let best = Math.abs(a[c * n + c]!);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(a[r * n + c]!);
      if (v > best) {
        best = v;
        p = r;
      }
    }
    if (best === 0) throw new SpcError('the ARL integral equation is singular for these parameters');
    if (p !== c) {
      for (let j = 0; j < n; j++) {
        const t = a[c * n + j]!;
        a[c * n + j] = a[p * n + j]!;
        a[p * n + j] = t;
      }
      const t = b[c]!;
      b[c] = b[p]!;
      b[p] = t;
    }
    const piv = a[c * n + c]!;
    for (let r = c + 1; r < n; r++) {
      const f = a[r * n + c]! / piv;
      if (f === 0) continue;
      for (let j = c; j < n; j++) a[r * n + j] = a[r * n + j]! - f * a[c * n + j]!;
      b[r] = b[r]! - f * b[c]!;
    }
  }
  const y = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let j = r + 1; j < n; j++) s -= a[r * n + j]! * y[j]!;
    y[r] = s / a[r * n + r]!;
  }
  return y;
}

/**
 * The longest average run length reported. The linear systems behind an ARL are about as
 * ill-conditioned as the ARL is long (double precision keeps ~16 digits), so beyond this the
 * numbers are rounding noise (negative or wildly varying); such a chart practically never signals.
 */
export const MAX_RELIABLE_ARL = 1e12;

/** The ARL with the quadrature doubled until it settles, and the number of nodes that gave it. */
function refineWithNodes(arlWithNodes: (n: number) => number): { arl: number; nodes: number; converged: boolean } {
  let prev = arlWithNodes(MIN_NODES);
  let lastChange = Infinity;
  let n = MIN_NODES * 2;
  for (; n <= MAX_NODES; n *= 2) {
    const next = arlWithNodes(n);
    const change = Math.abs(next - prev) / Math.abs(next);
    // Settled: to 1e-10, or to the rounding noise of a long ARL (relative ~ARL × 1e-15).
    if (change <= Math.max(REL_TOL, Math.abs(next) * 1e-14)) return { arl: next, nodes: n, converged: true };
    // Already within 1e-6 and no longer shrinking: rounding noise of an ill-conditioned system
    // (an ARL in the millions), which finer quadrature cannot remove.
    if (change < 1e-6 && change > lastChange / 10) return { arl: next, nodes: n, converged: true };
    lastChange = change;
    prev = next;
  }
  return { arl: prev, nodes: n / 2, converged: false };
}

/** An ARL beyond MAX_RELIABLE_ARL (an SpcError; the critical-value searches read it as "too long"). */
class ArlBeyondReach extends SpcError {}

/** The refined ARL, or an SpcError when it is beyond MAX_RELIABLE_ARL or did not settle. */
function refine(arlWithNodes: (n: number) => number, what: string): number {
  const r = refineWithNodes(arlWithNodes);
  if (!Number.isFinite(r.arl) || Math.abs(r.arl) > MAX_RELIABLE_ARL || (r.converged && r.arl < 1)) {
    throw new ArlBeyondReach(
      `the average run length of ${what} is longer than ${MAX_RELIABLE_ARL.toExponential(0)} points, beyond what double precision can compute: such a chart practically never signals; choose narrower limits`,
    );
  }
  if (!r.converged || r.arl < 1) {
    throw new SpcError(
      `the average run length of ${what} did not settle with ${MAX_NODES} quadrature nodes (an EWMA needs λ ≥ 0.001; a CUSUM h up to about 150)`,
    );
  }
  return r.arl;
}

function checkShift(shift: number): void {
  if (!Number.isFinite(shift)) throw new SpcError(`the shift (in σ) must be a finite number, got ${shift}`);
}

/**
 * EWMA zero-state ARL with nodes quadrature points: L(z) = 1 + ∫_{−c}^{c} (1/λ) φ((y − (1−λ)z)/λ − δ) L(y) dy,
 * c = L sqrt(λ/(2−λ)), ARL = L(0).
 */
export function ewmaArlNodes(lambda: number, L: number, shift: number, n: number): number {
  const c = L * Math.sqrt(lambda / (2 - lambda));
  const gl = gaussLegendre(n);
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    z[i] = c * gl.x[i]!;
    w[i] = c * gl.w[i]!;
  }
  const kernel = (from: number, to: number): number => dnorm((to - (1 - lambda) * from) / lambda - shift) / lambda;
  if (shift === 0 && n % 2 === 0) {
    // In control the solution is even, L(z) = L(−z): solve on the positive nodes only (z[h + j] = −z[h − 1 − j]).
    const h = n / 2;
    const a = new Float64Array(h * h);
    for (let i = 0; i < h; i++) {
      const zi = z[h + i]!;
      for (let j = 0; j < h; j++) {
        const zj = z[h + j]!;
        a[i * h + j] = (i === j ? 1 : 0) - w[h + j]! * (kernel(zi, zj) + kernel(zi, -zj));
      }
    }
    const ell = solve(a, new Float64Array(h).fill(1), h);
    let arl = 1;
    for (let j = 0; j < h; j++) arl += w[h + j]! * 2 * kernel(0, z[h + j]!) * ell[j]!;
    return arl;
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) a[i * n + j] = (i === j ? 1 : 0) - w[j]! * kernel(z[i]!, z[j]!);
  }
  const ell = solve(a, new Float64Array(n).fill(1), n);
  let arl = 1;
  for (let j = 0; j < n; j++) arl += w[j]! * kernel(0, z[j]!) * ell[j]!;
  return arl;
}

/**
 * Average run length of the two-sided EWMA chart with fixed (asymptotic) limits
 * μ ± L σ sqrt(λ/(2−λ)), starting at z0 = μ, when the mean has shifted by `shift` σ
 * (0: in control). As R: spc::xewma.arl(lambda, L, shift, sided = "two").
 */
export function ewmaArl(lambda: number, L: number, shift: number): number {
  checkLambda(lambda);
  checkL(L);
  checkShift(shift);
  return refine((n) => ewmaArlNodes(lambda, L, shift, n), `the EWMA chart with λ = ${lambda}, L = ${L} at a shift of ${shift} σ`);
}

/**
 * One-sided upper CUSUM C_i = max(0, C_{i−1} + x_i − k), signal when C_i > h, standardised data
 * with mean `shift`: L(u) = 1 + L(0) Φ(k − u − δ) + ∫_0^h φ(y − u + k − δ) L(y) dy, ARL = L(0).
 */
function cusumOneSidedArlNodes(k: number, h: number, shift: number, n: number): number {
  const gl = gaussLegendre(n);
  // Unknowns: L(0) at position 0 and L(u_j) at positions 1..n, u_j = h (x_j + 1)/2.
  const m = n + 1;
  const u = new Float64Array(m);
  const w = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    u[j + 1] = (h * (gl.x[j]! + 1)) / 2;
    w[j + 1] = (h * gl.w[j]!) / 2;
  }
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ui = u[i]!;
    a[i * m] = (i === 0 ? 1 : 0) - pnorm(k - ui - shift);
    for (let j = 1; j < m; j++) a[i * m + j] = (i === j ? 1 : 0) - w[j]! * dnorm(u[j]! - ui + k - shift);
  }
  return solve(a, new Float64Array(m).fill(1), m)[0]!;
}

/**
 * Average run length of the two-sided tabular CUSUM (reference value k, decision interval h,
 * both in σ, no head start) when the mean has shifted by `shift` σ, from the one-sided ARLs
 * by 1/ARL = 1/ARL⁺ + 1/ARL⁻ (Kemp; Lucas & Crosier 1982). As R: spc::xcusum.arl(k, h, shift, sided = "two").
 */
export function cusumArl(k: number, h: number, shift: number): number {
  checkK(k);
  checkH(h);
  checkShift(shift);
  // Refined on the two-sided value: a side with an astronomically long ARL (the lower side under
  // an upward shift) is ill-conditioned but contributes almost nothing.
  return refine((n) => cusumArlNodes(k, h, shift, n), `the CUSUM with k = ${k}, h = ${h} at a shift of ${shift} σ`);
}

export function cusumArlNodes(k: number, h: number, shift: number, n: number): number {
  const up = cusumOneSidedArlNodes(k, h, shift, n);
  const down = shift === 0 ? up : cusumOneSidedArlNodes(k, h, -shift, n);
  return 1 / (1 / up + 1 / down);
}

/** Average run length of the Shewhart individuals chart with limits μ ± L σ: 1 / P(|X − μ| > Lσ). */
export function shewhartArl(L: number, shift: number): number {
  checkL(L);
  checkShift(shift);
  return 1 / (pnorm(-L - shift) + pnorm(-L + shift));
}

/**
 * The x where arl(x) = arl0, for an ARL that increases with x (L or h), on log ARL: a bracket
 * grown from x0 (×1.5 up, ÷2 down), then regula falsi (Illinois), bisecting while an end is an
 * ARL beyond reach (+∞ here). `arl` is the refined, checked ARL, so no step trusts rounding noise.
 */
function criticalValue(arl: (x: number) => number, arl0: number, x0: number, name: string, what: string): number {
  const g = (x: number): number => {
    try {
      return Math.log(arl(x)) - Math.log(arl0);
    } catch (e) {
      if (e instanceof ArlBeyondReach) return Infinity;
      throw e;
    }
  };
  let lo = x0;
  let hi = x0;
  let glo: number;
  let ghi = g(x0);
  if (ghi < 0) {
    glo = ghi;
    for (;;) {
      hi = lo * 1.5;
      if (hi > 1e3) throw new SpcError(`no ${name} up to 1000 gives ${what} an in-control ARL of ${arl0}`);
      ghi = g(hi);
      if (ghi >= 0) break;
      lo = hi;
      glo = ghi;
    }
  } else {
    for (;;) {
      lo = hi / 2;
      if (lo < 1e-3) {
        throw new SpcError(`no ${name} gives ${what} an in-control ARL as short as ${arl0}: even ${name} = ${lo} gives ${Math.round(arl(lo) * 1000) / 1000}`);
      }
      glo = g(lo);
      if (glo <= 0) break;
      hi = lo;
      ghi = glo;
    }
  }
  let side = 0;
  for (let it = 0; it < 300; it++) {
    const x = Number.isFinite(ghi) ? (lo * ghi - hi * glo) / (ghi - glo) : (lo + hi) / 2;
    const gx = g(x);
    if (Math.abs(gx) < 1e-12 || hi - lo < 1e-12 * hi) return x;
    if (gx < 0) {
      lo = x;
      glo = gx;
      if (side === -1) ghi /= 2;
      side = -1;
    } else {
      hi = x;
      ghi = gx;
      if (side === 1) glo /= 2;
      side = 1;
    }
  }
  return (lo + hi) / 2;
}

/** Largest in-control ARL the critical-value searches accept (their ARLs keep ~1e-6 precision there). */
const MAX_ARL0 = 1e9;

function checkArl0(arl0: number): void {
  if (!(arl0 > 1 && arl0 <= MAX_ARL0)) throw new SpcError(`the in-control ARL must be a number > 1 and ≤ ${MAX_ARL0.toExponential(0)}, got ${arl0}`);
}

/** The L for which the two-sided EWMA chart (fixed limits) has in-control ARL arl0. As R: spc::xewma.crit(lambda, arl0, sided = "two"). */
export function ewmaCriticalL(lambda: number, arl0: number): number {
  checkLambda(lambda);
  checkArl0(arl0);
  return criticalValue((L) => ewmaArl(lambda, L, 0), arl0, 3, 'L', `the EWMA chart with λ = ${lambda}`);
}

/** The h for which the two-sided tabular CUSUM has in-control ARL arl0. As R: spc::xcusum.crit(k, arl0, sided = "two"). */
export function cusumCriticalH(k: number, arl0: number): number {
  checkK(k);
  checkArl0(arl0);
  return criticalValue((h) => cusumArl(k, h, 0), arl0, 5, 'h', `the CUSUM with k = ${k}`);
}
