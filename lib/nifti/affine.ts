/**
 * NIfTI affines ↔ our `Grid` (DICOM LPS). NIfTI world coordinates are RAS+ (x to the patient's
 * right→left is *negative*), so LPS = diag(−1, −1, 1) · RAS.
 *
 * Reference: nifti1.h comments on "METHOD 2" (qform, quaternion) and "METHOD 3" (sform), and
 * nifti1_io.c `nifti_quatern_to_mat44` / `nifti_mat44_to_quatern`.
 */
import type { Grid, Vec3 } from '@/lib/core/volume';
import { NiftiError } from './errors';

/** A 3×4 affine stored row-major: rows are x, y, z; the last column is the translation (mm). */
export type Affine34 = number[];

export interface Quaternion {
  b: number;
  c: number;
  d: number;
  qfac: 1 | -1;
  offset: Vec3;
}

/** qform parameters → 3×4 RAS affine (nifti_quatern_to_mat44). `pixdim` are [dx, dy, dz]. */
export function quaternToAffine(q: Quaternion, pixdim: Vec3): Affine34 {
  let { b, c, d } = q;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // Special case from nifti1_io: the quaternion is 180° about some axis; renormalise.
    a = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= a;
    c *= a;
    d *= a;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  const xd = pixdim[0] > 0 ? pixdim[0] : 1;
  const yd = pixdim[1] > 0 ? pixdim[1] : 1;
  let zd = pixdim[2] > 0 ? pixdim[2] : 1;
  if (q.qfac < 0) zd = -zd;
  return [
    (a * a + b * b - c * c - d * d) * xd,
    2 * (b * c - a * d) * yd,
    2 * (b * d + a * c) * zd,
    q.offset[0],
    2 * (b * c + a * d) * xd,
    (a * a + c * c - b * b - d * d) * yd,
    2 * (c * d - a * b) * zd,
    q.offset[1],
    2 * (b * d - a * c) * xd,
    2 * (c * d + a * b) * yd,
    (a * a + d * d - c * c - b * b) * zd,
    q.offset[2],
  ];
}

/**
 * Rotation (row-major 3×3, orthonormal columns, any handedness) → qform quaternion
 * (nifti_mat44_to_quatern). A left-handed matrix gets qfac = −1 with its third column negated.
 */
export function rotationToQuaternion(rot: number[], offset: Vec3): Quaternion {
  const r = rot.slice();
  const det = r[0] * (r[4] * r[8] - r[5] * r[7]) - r[1] * (r[3] * r[8] - r[5] * r[6]) + r[2] * (r[3] * r[7] - r[4] * r[6]);
  let qfac: 1 | -1 = 1;
  if (det < 0) {
    qfac = -1;
    r[2] = -r[2];
    r[5] = -r[5];
    r[8] = -r[8];
  }
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = r;
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac, offset };
}

function invert3(m: number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

/**
 * A RAS affine → Grid in LPS. Spacing is the norm of each affine column; the direction columns
 * are those columns normalised and then made exactly orthonormal (polar decomposition), which
 * removes float32 rounding in stored headers.
 * @throws NiftiError INVALID_GEOMETRY for non-finite values, a zero column, or a sheared affine
 *   (columns more than ~0.06° from perpendicular).
 */
export function affineToGrid(affineRas: Affine34, dims: Vec3, source: string): Grid {
  if (affineRas.some((v) => !Number.isFinite(v))) {
    throw new NiftiError(
      'INVALID_GEOMETRY',
      `${source}: the image affine contains NaN or infinite values (${affineRas.join(', ')}); check the file's sform/qform.`,
    );
  }
  // LPS = diag(-1,-1,1)·RAS: negate the x and y rows.
  const m = [-affineRas[0], -affineRas[1], -affineRas[2], -affineRas[4], -affineRas[5], -affineRas[6], affineRas[8], affineRas[9], affineRas[10]];
  const origin: Vec3 = [-affineRas[3], -affineRas[7], affineRas[11]];
  const spacing = [0, 1, 2].map((c) => Math.hypot(m[c], m[3 + c], m[6 + c])) as Vec3;
  for (let c = 0; c < 3; c++) {
    if (!(spacing[c] > 0)) {
      throw new NiftiError('INVALID_GEOMETRY', `${source}: voxel axis ${'ijk'[c]} has zero length in the affine; check pixdim and the sform/qform.`);
    }
  }
  let dir = m.map((v, n) => v / spacing[n % 3]);
  for (const [p, q] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ]) {
    const dot = dir[p] * dir[q] + dir[3 + p] * dir[3 + q] + dir[6 + p] * dir[6 + q];
    if (Math.abs(dot) > 1e-3) {
      throw new NiftiError(
        'INVALID_GEOMETRY',
        `${source}: the affine is sheared (axes ${'ijk'[p]} and ${'ijk'[q]} have cosine ${dot.toFixed(4)}); only rotations, flips and scalings are supported.`,
      );
    }
  }
  // Polar decomposition by Newton iteration R ← (R + R⁻ᵀ)/2 converges quadratically here.
  for (let it = 0; it < 6; it++) {
    const inv = invert3(dir);
    const invT = [inv[0], inv[3], inv[6], inv[1], inv[4], inv[7], inv[2], inv[5], inv[8]];
    dir = dir.map((v, n) => 0.5 * (v + invT[n]));
  }
  // Avoid -0 in outputs, which would differ under Object.is comparisons.
  dir = dir.map((v) => (v === 0 ? 0 : v));
  return { dims, spacingMm: spacing, originMm: origin.map((v) => (v === 0 ? 0 : v)) as Vec3, direction: dir };
}

/** Grid (LPS) → 3×4 RAS affine. */
export function gridToAffine(grid: Grid): Affine34 {
  const d = grid.direction;
  const s = grid.spacingMm;
  const o = grid.originMm;
  return [-d[0] * s[0], -d[1] * s[1], -d[2] * s[2], -o[0], -d[3] * s[0], -d[4] * s[1], -d[5] * s[2], -o[1], d[6] * s[0], d[7] * s[1], d[8] * s[2], o[2]].map(
    (v) => (v === 0 ? 0 : v),
  );
}

/** Grid (LPS) → qform parameters for a NIfTI header. */
export function gridToQuaternion(grid: Grid): Quaternion {
  const d = grid.direction;
  const rot = [-d[0], -d[1], -d[2], -d[3], -d[4], -d[5], d[6], d[7], d[8]];
  return rotationToQuaternion(rot, [-grid.originMm[0], -grid.originMm[1], grid.originMm[2]]);
}
