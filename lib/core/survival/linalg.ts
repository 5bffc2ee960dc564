/**
 * Small dense symmetric positive (semi-)definite algebra for p×p information matrices, stored
 * row-major in Float64Array. The decomposition is survival's cholesky2 (LDLᵀ with a relative
 * pivot tolerance): a pivot below toler·max(diag) marks that column as linearly dependent on
 * the earlier ones.
 */
export interface Cholesky {
  n: number;
  /** LDLᵀ factor: strict lower triangle holds L, diagonal holds D (0 for dropped columns). */
  m: Float64Array;
  rank: number;
  /** Columns whose pivot fell below tolerance (dependent on earlier columns). */
  dropped: number[];
  nonNegative: boolean;
}

/** survival's cholesky2. `a` is n×n symmetric (upper triangle used), not modified. */
export function cholesky(a: Float64Array, n: number, toler: number): Cholesky {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const m = Float64Array.from(a);
  let eps = 0;
  for (let i = 0; i < n; i++) {
    if (m[i * n + i]! > eps) eps = m[i * n + i]!;
    for (let j = i + 1; j < n; j++) m[j * n + i] = m[i * n + j]!;
  }
  eps = eps === 0 ? toler : eps * toler;
  let rank = 0;
  let nonNegative = true;
  const dropped: number[] = [];
  for (let i = 0; i < n; i++) {
    const pivot = m[i * n + i]!;
    if (!(pivot >= eps)) {
      m[i * n + i] = 0;
      dropped.push(i);
      if (pivot < -8 * eps) nonNegative = false;
    } else {
      rank++;
      for (let j = i + 1; j < n; j++) {
        const temp = m[j * n + i]! / pivot;
        m[j * n + i] = temp;
        m[j * n + j]! -= temp * temp * pivot;
        for (let k = j + 1; k < n; k++) m[k * n + j]! -= temp * m[k * n + i]!;
      }
    }
  }
  return { n, m, rank, dropped, nonNegative };
}

/** Solve A x = b with the factor from cholesky (dropped columns give 0), as chsolve2. */
export function choleskySolve(c: Cholesky, b: ArrayLike<number>): Float64Array {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const { n, m } = c;
  const y = Float64Array.from(b as ArrayLike<number>);
  for (let i = 0; i < n; i++) {
    let temp = y[i]!;
    for (let j = 0; j < i; j++) temp -= y[j]! * m[i * n + j]!;
    y[i] = temp;
  }
  for (let i = n - 1; i >= 0; i--) {
    if (m[i * n + i] === 0) y[i] = 0;
    else {
      let temp = y[i]! / m[i * n + i]!;
      for (let j = i + 1; j < n; j++) temp -= y[j]! * m[j * n + i]!;
      y[i] = temp;
    }
  }
  return y;
}

/** Inverse of A (generalised: dropped rows/columns are 0), symmetric, row-major. */
export function choleskyInverse(c: Cholesky): Float64Array {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const n = c.n;
  const inv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = choleskySolve(c, e);
    for (let i = 0; i < n; i++) inv[i * n + j] = col[i]!;
  }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (inv[i * n + j]! + inv[j * n + i]!);
      inv[i * n + j] = v;
      inv[j * n + i] = v;
    }
  if (c.dropped.length)
    for (const d of c.dropped)
      for (let k = 0; k < n; k++) {
        inv[d * n + k] = 0;
        inv[k * n + d] = 0;
      }
  return inv;
}

/** xᵀ A⁻¹ x via the factor. */
export function quadFormInverse(c: Cholesky, x: ArrayLike<number>): number {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const s = choleskySolve(c, x);
  let q = 0;
  for (let i = 0; i < c.n; i++) q += s[i]! * x[i]!;
  return q;
}

/**
 * Solve a general (possibly non-symmetric) n×n system by Gaussian elimination with partial
 * pivoting. Returns null when the matrix is numerically singular.
 */
export function solveGeneral(a: Float64Array, n: number, b: ArrayLike<number>): Float64Array | null {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const m = Float64Array.from(a);
  const x = Float64Array.from(b as ArrayLike<number>);
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]!));
  for (let k = 0; k < n; k++) {
    let piv = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i * n + k]!) > Math.abs(m[piv * n + k]!)) piv = i;
    if (!(Math.abs(m[piv * n + k]!) > scale * 1e-13)) return null;
    if (piv !== k) {
      for (let j = 0; j < n; j++) {
        const t = m[k * n + j]!;
        m[k * n + j] = m[piv * n + j]!;
        m[piv * n + j] = t;
      }
      const t = x[k]!;
      x[k] = x[piv]!;
      x[piv] = t;
    }
    for (let i = k + 1; i < n; i++) {
      const f = m[i * n + k]! / m[k * n + k]!;
      if (f === 0) continue;
      for (let j = k; j < n; j++) m[i * n + j]! -= f * m[k * n + j]!;
      x[i]! -= f * x[k]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let j = i + 1; j < n; j++) s -= m[i * n + j]! * x[j]!;
    x[i] = s / m[i * n + i]!;
  }
  return x;
}

/** Inverse of a general n×n matrix, or null when singular. */
export function invertGeneral(a: Float64Array, n: number): Float64Array | null {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const inv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = solveGeneral(a, n, e);
    if (!col) return null;
    for (let i = 0; i < n; i++) inv[i * n + j] = col[i]!;
  }
  return inv;
}
