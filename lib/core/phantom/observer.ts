/**
 * Simulated physician contours: the physician's GTV is the set of voxel centres within a
 * spatially varying margin b(x) of the tumour they perceive:
 *   GTV = { x : sd(x) ≤ b(x) },  b(x) = bias + smooth jitter(x) + per-slice offset(k)
 * where sd is the signed distance (mm) to the perceived tumour surface (negative inside). A bias
 * > 0 is a generous (dilated) contour, < 0 a tight (eroded) one; the smooth field is boundary
 * jitter, the per-slice offset the slice-by-slice inconsistency of manual contouring, and a
 * "missed extension" drops one lobe from the perceived tumour.
 *
 * The signed distance to each ellipsoid uses the first-order approximation
 * d ≈ (ρ − 1)/|∇ρ|, ρ the ellipsoid's normalised radius (exact for spheres; Taubin, IEEE PAMI
 * 13:1115, 1991), and the union takes the minimum over ellipsoids. Its sign is exact, so a zero
 * margin reproduces the ground truth mask.
 */
import type { Grid, Vec3 } from '@/lib/core/volume';
import type { Rng } from './prng';
import type { Ellipsoid } from './tumour';

/** Approximate signed distance (mm, negative inside) from a point (relative to the tumour reference) to a union of ellipsoids. */
export function approxSignedDistanceMm(ellipsoids: readonly Ellipsoid[], x: number, y: number, z: number): number {
  // R is a 3×3 rotation, hence the `!`s.
  let best = Infinity;
  for (const e of ellipsoids) {
    const dx = x - e.centreMm[0],
      dy = y - e.centreMm[1],
      dz = z - e.centreMm[2];
    const R = e.rotation;
    const [a, b, c] = e.semiAxesMm;
    const u = R[0]! * dx + R[3]! * dy + R[6]! * dz;
    const v = R[1]! * dx + R[4]! * dy + R[7]! * dz;
    const w = R[2]! * dx + R[5]! * dy + R[8]! * dz;
    const rho = Math.sqrt((u * u) / (a * a) + (v * v) / (b * b) + (w * w) / (c * c));
    let d: number;
    if (rho === 0) d = -Math.min(a, b, c);
    else {
      // |∇ρ| = sqrt(Σ q²/a⁴)/ρ
      const g = Math.sqrt((u * u) / a ** 4 + (v * v) / b ** 4 + (w * w) / c ** 4) / rho;
      d = (rho - 1) / g;
    }
    if (d < best) best = d;
  }
  return best;
}

/** A smooth random field: sum of plane waves, zero mean, standard deviation `amplitudeMm`. */
export interface JitterField {
  amplitudeMm: number;
  /** Wave vectors (rad/mm) and phases. */
  waves: { k: Vec3; phase: number }[];
}

/** Draw a jitter field with `waves` plane waves of wavelength 15–40 mm in random directions. */
export function sampleJitterField(rng: Rng, amplitudeMm: number, waves = 8): JitterField {
  const out: JitterField = { amplitudeMm, waves: [] };
  for (let n = 0; n < waves; n++) {
    let a = rng.normal(),
      b = rng.normal(),
      c = rng.normal();
    const len = Math.hypot(a, b, c) || 1;
    const kMag = (2 * Math.PI) / rng.uniform(15, 40);
    a = (a / len) * kMag;
    b = (b / len) * kMag;
    c = (c / len) * kMag;
    out.waves.push({ k: [a, b, c], phase: rng.uniform(0, 2 * Math.PI) });
  }
  return out;
}

/** Field value (mm) at a point. Each wave has variance 1/2, so scaling by sqrt(2/M) gives SD = amplitude. */
export function jitterAt(field: JitterField, x: number, y: number, z: number): number {
  if (field.amplitudeMm === 0 || field.waves.length === 0) return 0;
  let s = 0;
  for (const w of field.waves) s += Math.cos(w.k[0] * x + w.k[1] * y + w.k[2] * z + w.phase);
  return field.amplitudeMm * Math.sqrt(2 / field.waves.length) * s;
}

export interface PhysicianMaskInput {
  grid: Grid;
  /** The tumour as the physician perceives it (relative to `centreMm`). */
  perceived: readonly Ellipsoid[];
  centreMm: Vec3;
  boundingRadiusMm: number;
  biasMm: number;
  field: JitterField;
  /** One offset (mm) per slice k (length nz), or empty for none. */
  sliceOffsetsMm: ArrayLike<number>;
  /**
   * Lower bound on the local margin (mm, ≤ 0): a physician may draw tight but does not erase the
   * tumour. Default −∞ (no bound).
   */
  minMarginMm?: number;
}

/**
 * The physician's GTV on an axial identity-direction grid (see the module comment).
 * Returns a Uint8Array in our index order.
 */
export function physicianMask(input: PhysicianMaskInput): Uint8Array {
  // sliceOffsetsMm is empty or has one entry per slice (k < nz), hence the `!`s.
  const { grid, perceived, centreMm } = input;
  const [nx, ny, nz] = grid.dims;
  const [sx, sy, sz] = grid.spacingMm;
  const [ox, oy, oz] = grid.originMm;
  const out = new Uint8Array(nx * ny * nz);
  let maxSlice = 0;
  for (let n = 0; n < input.sliceOffsetsMm.length; n++) maxSlice = Math.max(maxSlice, Math.abs(input.sliceOffsetsMm[n]!));
  const maxMargin = Math.max(0, input.biasMm + input.field.amplitudeMm * Math.sqrt(2 * input.field.waves.length) + maxSlice);
  const reach = input.boundingRadiusMm + maxMargin + 1;
  const range = (axis: 0 | 1 | 2, o: number, s: number, n: number): [number, number] => [
    Math.max(0, Math.floor((centreMm[axis] - reach - o) / s)),
    Math.min(n - 1, Math.ceil((centreMm[axis] + reach - o) / s)),
  ];
  const minMargin = input.minMarginMm ?? -Infinity;
  const [i0, i1] = range(0, ox, sx, nx);
  const [j0, j1] = range(1, oy, sy, ny);
  const [k0, k1] = range(2, oz, sz, nz);
  for (let k = k0; k <= k1; k++) {
    const z = oz + k * sz - centreMm[2];
    const sliceOffset = input.sliceOffsetsMm.length > 0 ? input.sliceOffsetsMm[k]! : 0;
    for (let j = j0; j <= j1; j++) {
      const y = oy + j * sy - centreMm[1];
      for (let i = i0; i <= i1; i++) {
        const x = ox + i * sx - centreMm[0];
        const margin = Math.max(minMargin, input.biasMm + jitterAt(input.field, x, y, z) + sliceOffset);
        if (approxSignedDistanceMm(perceived, x, y, z) <= margin) out[i + nx * (j + ny * k)] = 1;
      }
    }
  }
  return out;
}
