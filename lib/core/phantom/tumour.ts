/**
 * Lung tumour shapes: a union of ellipsoids (a main body plus 0–3 lobes) in tumour-local
 * millimetres, centred on the tumour's reference point (the exhale position).
 */
import type { Vec3 } from '@/lib/core/volume';
import type { Rng } from './prng';

export interface Ellipsoid {
  /** Centre relative to the tumour reference point, mm (LPS axes). */
  centreMm: Vec3;
  /** Semi-axes, mm. */
  semiAxesMm: Vec3;
  /** Row-major 3×3 rotation; columns are the ellipsoid's axes in LPS. */
  rotation: number[];
}

export interface TumourShape {
  /** Index 0 is the main body; the rest are lobes (extensions). */
  ellipsoids: Ellipsoid[];
  /** The diameter the shape was drawn from (mm); the union is irregular, so this is nominal. */
  nominalDiameterMm: number;
}

/** Uniformly random rotation (normalised Gaussian quaternion, Shoemake 1992). */
function randomRotation(rng: Rng): number[] {
  let w = rng.normal(),
    x = rng.normal(),
    y = rng.normal(),
    z = rng.normal();
  const n = Math.hypot(w, x, y, z) || 1;
  w /= n;
  x /= n;
  y /= n;
  z /= n;
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - w * z),
    2 * (x * z + w * y),
    2 * (x * y + w * z),
    1 - 2 * (x * x + z * z),
    2 * (y * z - w * x),
    2 * (x * z - w * y),
    2 * (y * z + w * x),
    1 - 2 * (x * x + y * y),
  ];
}

/**
 * Draw a lobulated tumour of about `diameterMm` (main ellipsoid semi-axes 0.8–1.1 × radius,
 * random orientation; 0–3 lobes of 35–60% of the radius centred 55–85% of the way out).
 */
export function sampleTumourShape(rng: Rng, diameterMm: number): TumourShape {
  const r = diameterMm / 2;
  const ellipsoids: Ellipsoid[] = [
    {
      centreMm: [0, 0, 0],
      semiAxesMm: [r * rng.uniform(0.8, 1.1), r * rng.uniform(0.8, 1.1), r * rng.uniform(0.8, 1.1)],
      rotation: randomRotation(rng),
    },
  ];
  const lobes = rng.int(0, 3);
  for (let n = 0; n < lobes; n++) {
    let dx = rng.normal(),
      dy = rng.normal(),
      dz = rng.normal();
    const len = Math.hypot(dx, dy, dz) || 1;
    const out = r * rng.uniform(0.55, 0.85);
    dx = (dx / len) * out;
    dy = (dy / len) * out;
    dz = (dz / len) * out;
    const lr = r * rng.uniform(0.35, 0.6);
    ellipsoids.push({
      centreMm: [dx, dy, dz],
      semiAxesMm: [lr * rng.uniform(0.8, 1.2), lr * rng.uniform(0.8, 1.2), lr * rng.uniform(0.8, 1.2)],
      rotation: randomRotation(rng),
    });
  }
  return { ellipsoids, nominalDiameterMm: diameterMm };
}

/** Scale every centre and semi-axis by `factor` (used to shrink a tumour that does not fit). */
export function scaleTumour(shape: TumourShape, factor: number): TumourShape {
  return {
    nominalDiameterMm: shape.nominalDiameterMm * factor,
    ellipsoids: shape.ellipsoids.map((e) => ({
      centreMm: e.centreMm.map((v) => v * factor) as Vec3,
      semiAxesMm: e.semiAxesMm.map((v) => v * factor) as Vec3,
      rotation: e.rotation,
    })),
  };
}

/** True when the point (mm, relative to the tumour reference point) is inside ellipsoid `e`. */
function insideEllipsoid(e: Ellipsoid, x: number, y: number, z: number): boolean {
  // R is a 3×3 rotation, hence the `!`s.
  const dx = x - e.centreMm[0],
    dy = y - e.centreMm[1],
    dz = z - e.centreMm[2];
  const R = e.rotation;
  // Local coordinates: Rᵀ·d.
  const u = (R[0]! * dx + R[3]! * dy + R[6]! * dz) / e.semiAxesMm[0];
  const v = (R[1]! * dx + R[4]! * dy + R[7]! * dz) / e.semiAxesMm[1];
  const w = (R[2]! * dx + R[5]! * dy + R[8]! * dz) / e.semiAxesMm[2];
  return u * u + v * v + w * w <= 1;
}

/** Inside the union of `ellipsoids` (point relative to the tumour reference point, mm). */
export function insideUnion(ellipsoids: readonly Ellipsoid[], x: number, y: number, z: number): boolean {
  for (const e of ellipsoids) if (insideEllipsoid(e, x, y, z)) return true;
  return false;
}

/** Radius (mm) of a sphere about the reference point that contains the whole shape. */
export function boundingRadiusMm(ellipsoids: readonly Ellipsoid[]): number {
  let r = 0;
  for (const e of ellipsoids) r = Math.max(r, Math.hypot(...e.centreMm) + Math.max(...e.semiAxesMm));
  return r;
}

/**
 * Points on the surfaces of the ellipsoids (mm, relative to the reference point), for checking
 * that the tumour lies inside an organ: 26 directions per ellipsoid.
 */
export function surfaceSamplesMm(ellipsoids: readonly Ellipsoid[]): Vec3[] {
  // R is a 3×3 rotation and l a 3-vector, hence the `!`s.
  const out: Vec3[] = [];
  for (const e of ellipsoids) {
    for (let a = -1; a <= 1; a++)
      for (let b = -1; b <= 1; b++)
        for (let c = -1; c <= 1; c++) {
          if (a === 0 && b === 0 && c === 0) continue;
          const n = Math.hypot(a, b, c);
          const l = [(a / n) * e.semiAxesMm[0], (b / n) * e.semiAxesMm[1], (c / n) * e.semiAxesMm[2]];
          const R = e.rotation;
          out.push([
            e.centreMm[0] + R[0]! * l[0]! + R[1]! * l[1]! + R[2]! * l[2]!,
            e.centreMm[1] + R[3]! * l[0]! + R[4]! * l[1]! + R[5]! * l[2]!,
            e.centreMm[2] + R[6]! * l[0]! + R[7]! * l[1]! + R[8]! * l[2]!,
          ]);
        }
  }
  return out;
}
