/**
 * STAPLE (Simultaneous Truth And Performance Level Estimation; Warfield, Zou & Wells, IEEE TMI
 * 23(7):903–921, 2004) for binary masks: an EM estimate of the hidden true segmentation T and of
 * each observer j's sensitivity p_j = P(D_j = 1 | T = 1) and specificity q_j = P(D_j = 0 | T = 0).
 *
 * The iteration is the one of ITK's itk::STAPLEImageFilter (ITK 5.2), which the unit tests use as
 * the reference (tests/fixtures/consensus/itk-staple):
 *  - W⁰ᵢ = the fraction of observers that have voxel i (the mean of the masks);
 *  - the prior g = mean of W⁰ over the voxels of the domain (the mean foreground fraction),
 *    unless `prior` is given (ITK: times its ConfidenceWeight, default 1);
 *  - each iteration: M-step p_j = Σ_{D_ij=1} Wᵢ / Σ Wᵢ, q_j = Σ_{D_ij=0} (1 − Wᵢ) / Σ (1 − Wᵢ);
 *    then E-step Wᵢ = g·aᵢ / (g·aᵢ + (1 − g)·bᵢ) with aᵢ = Π_j (D_ij ? p_j : 1 − p_j) and
 *    bᵢ = Π_j (D_ij ? 1 − q_j : q_j);
 *  - converged when, from the second iteration on, every (p_j − p_j,prev)² and (q_j − q_j,prev)²
 *    is ≤ 1e-14 (|Δ| ≤ 1e-7), as ITK; otherwise it stops after `maxIterations`.
 *
 * Domain (the voxels that take part): like ITK, by default every voxel of the grid the masks are
 * given on. Voxels where all observers agree on background still count: they raise the
 * specificities and lower the prior, so the result depends on the grid's extent. Pass a fixed grid
 * (e.g. the CT grid) or `domain` (a 0/1 mask; `unionDomain` gives the voxels any observer has,
 * which does not depend on the grid's extent) to make it reproducible. The EM (p, q, g) uses the
 * domain's voxels only; the returned probability is the final E-step on every voxel of the grid.
 *
 * Differences from ITK: an observer has a voxel when its mask value is non-zero (ITK: equal to its
 * ForegroundValue, 1); `iterations` counts the EM iterations done (ITK's GetElapsedIterations is
 * one less when it converged, as it reports the index of the last iteration); ITK returns NaN for
 * an empty or full domain, this throws a ConsensusError.
 * Definitions: docs/observers.md ("Consensus").
 */
import { ConsensusError } from './errors';
import { checkMasks } from './validate';

export interface StapleOptions {
  /** Prior probability g that a voxel is in the true structure; default the mean foreground fraction over the domain. */
  prior?: number;
  /** Default 1000 (ITK's default is unlimited; these problems converge in tens of iterations). */
  maxIterations?: number;
  /** Voxels that take part in the estimate (non-zero = in); default all voxels of the grid, as ITK. */
  domain?: Uint8Array;
}

export interface StapleResult {
  /** Posterior probability that each voxel is in the true structure (the final Wᵢ). */
  probability: Float32Array;
  /** probability ≥ 0.5 (0/1), on the float32 values returned. */
  consensus: Uint8Array;
  /** p_j per observer, in the order of the masks. */
  sensitivity: number[];
  /** q_j per observer. */
  specificity: number[];
  /** The prior g used. */
  prior: number;
  iterations: number;
  converged: boolean;
}

export const STAPLE_DEFAULT_MAX_ITERATIONS = 1000;
/** The EM runs over the 2^k vote patterns; 16 observers are far more than a contouring study has. */
export const STAPLE_MAX_OBSERVERS = 16;
/** ITK's min_rms_error: the bound on each squared change of p_j and q_j. */
export const STAPLE_CONVERGENCE = 1e-14;

/** The voxels that at least one observer has (a grid-independent STAPLE domain). */
export function unionDomain(masks: readonly Uint8Array[]): Uint8Array {
  const n = checkMasks(masks, 1, 'The union of observer masks');
  const out = new Uint8Array(n);
  for (const m of masks) for (let v = 0; v < n; v++) if (m[v] !== 0) out[v] = 1;
  return out;
}

export function staple(masks: readonly Uint8Array[], options: StapleOptions = {}): StapleResult {
  // j < k, and pattern keys are < 2^k = the length of the per-pattern arrays, hence the `!`s.
  const n = checkMasks(masks, 2, 'STAPLE', options.domain);
  const k = masks.length;
  if (k > STAPLE_MAX_OBSERVERS) throw new ConsensusError(`STAPLE supports up to ${STAPLE_MAX_OBSERVERS} observers, got ${k}.`);
  const maxIterations = options.maxIterations ?? STAPLE_DEFAULT_MAX_ITERATIONS;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new ConsensusError(`STAPLE maxIterations must be a positive integer, got ${maxIterations}.`);
  }
  if (options.prior !== undefined && !(options.prior > 0 && options.prior < 1)) {
    throw new ConsensusError(`STAPLE prior must be strictly between 0 and 1, got ${options.prior}.`);
  }
  const domain = options.domain;

  // Every step of the EM depends on a voxel only through its pattern of decisions (bit j set when
  // observer j has it), so the domain's voxels are counted per pattern and the EM runs over the
  // at most 2^k patterns, weighted by their counts: the same sums as ITK's per-voxel loops.
  const patterns = 1 << k;
  const pattern = patternsOf(masks, n);
  const count = new Float64Array(patterns);
  if (domain) {
    for (let v = 0; v < n; v++) if (domain[v] !== 0) count[pattern[v]!]!++;
  } else for (let v = 0; v < n; v++) count[pattern[v]!]!++;
  const present: number[] = [];
  for (let t = 0; t < patterns; t++) if (count[t]! > 0) present.push(t);
  if (present.length === 0) throw new ConsensusError('STAPLE domain is empty: it must contain at least one voxel.');

  const w = new Float64Array(patterns);
  let total = 0;
  let mean = 0;
  for (const t of present) {
    w[t] = popcount(t) / k;
    total += count[t]!;
    mean += count[t]! * w[t]!;
  }
  mean /= total;
  if (mean === 0) throw new ConsensusError('STAPLE: no observer has any voxel of the structure in the domain (all masks empty); there is nothing to estimate.');
  if (mean === 1 && options.prior === undefined) {
    throw new ConsensusError('STAPLE: every observer has every voxel of the domain; specificity is undefined. Use a larger grid or domain.');
  }
  const g = options.prior ?? mean;

  const p = new Array<number>(k).fill(0);
  const q = new Array<number>(k).fill(0);
  const lastP = new Array<number>(k).fill(-10);
  const lastQ = new Array<number>(k).fill(-10);
  let iterations = 0;
  let converged = false;
  const pNum = new Float64Array(k);
  const qNum = new Float64Array(k);
  while (iterations < maxIterations) {
    // M-step. Σ Wᵢ and Σ (1 − Wᵢ) are the same for every observer.
    pNum.fill(0);
    qNum.fill(0);
    let pDen = 0;
    let qDen = 0;
    for (const t of present) {
      const cw = count[t]! * w[t]!;
      const cu = count[t]! * (1 - w[t]!);
      pDen += cw;
      qDen += cu;
      for (let j = 0; j < k; j++) {
        if ((t >> j) & 1) pNum[j]! += cw;
        else qNum[j]! += cu;
      }
    }
    if (!(pDen > 0) || !(qDen > 0)) {
      throw new ConsensusError(
        `STAPLE: the estimated structure became ${pDen > 0 ? 'the whole domain' : 'empty'} at iteration ${iterations + 1}; sensitivity or specificity is undefined. Check the masks and the prior.`,
      );
    }
    for (let j = 0; j < k; j++) {
      p[j] = pNum[j]! / pDen;
      q[j] = qNum[j]! / qDen;
    }
    // E-step.
    for (const t of present) w[t] = posterior(t, k, p, q, g);
    iterations++;
    let done = iterations > 1;
    for (let j = 0; j < k && done; j++) {
      if ((p[j]! - lastP[j]!) ** 2 > STAPLE_CONVERGENCE || (q[j]! - lastQ[j]!) ** 2 > STAPLE_CONVERGENCE) done = false;
    }
    for (let j = 0; j < k; j++) {
      lastP[j] = p[j]!;
      lastQ[j] = q[j]!;
    }
    if (done) {
      converged = true;
      break;
    }
  }

  // The final E-step for every pattern (inside the domain this is w), then every voxel of the grid.
  // Thresholded as returned (float32), so that consensus is exactly probability ≥ 0.5.
  const wf = new Float32Array(patterns);
  for (let t = 0; t < patterns; t++) {
    const x = posterior(t, k, p, q, g);
    wf[t] = Number.isFinite(x) ? x : Number.NaN;
  }
  const probability = new Float32Array(n);
  const consensus = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    const x = wf[pattern[v]!]!;
    if (Number.isNaN(x)) {
      throw new ConsensusError(`STAPLE: the posterior of voxel ${v} is undefined (observers with sensitivity 1 and specificity 1 disagree there).`);
    }
    probability[v] = x;
    consensus[v] = x >= 0.5 ? 1 : 0;
  }
  return { probability, consensus, sensitivity: p, specificity: q, prior: g, iterations, converged };
}

/** Each voxel's pattern of decisions: bit j set when observer j has it. */
function patternsOf(masks: readonly Uint8Array[], n: number): Uint8Array | Uint16Array {
  const out = masks.length <= 8 ? new Uint8Array(n) : new Uint16Array(n);
  masks.forEach((m, j) => {
    const bit = 1 << j;
    for (let v = 0; v < n; v++) if (m[v] !== 0) out[v]! |= bit;
  });
  return out;
}

function popcount(t: number): number {
  let c = 0;
  for (let x = t; x; x &= x - 1) c++;
  return c;
}

function posterior(t: number, k: number, p: readonly number[], q: readonly number[], g: number): number {
  let a = 1;
  let b = 1;
  for (let j = 0; j < k; j++) {
    if ((t >> j) & 1) {
      a *= p[j]!;
      b *= 1 - q[j]!;
    } else {
      a *= 1 - p[j]!;
      b *= q[j]!;
    }
  }
  return (g * a) / (g * a + (1 - g) * b);
}
