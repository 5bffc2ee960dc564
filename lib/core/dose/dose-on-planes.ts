/**
 * The `dicompyler` convention (dicompyler-core's dvhcalc): a structure is its contour planes, not
 * a voxel mask. For each plane z that holds contours:
 *  - the dose plane at z is the grid's frame at z when one lies within 0.5 mm (nearest frame),
 *    otherwise the linear blend of the two frames around z; a plane beyond the dose grid is
 *    skipped (its volume is not counted);
 *  - the structure's pixels are the dose-grid pixels whose centre is inside the even–odd union of
 *    the plane's contours (no in-plane interpolation: the dose grid's own pixels);
 *  - each pixel weighs pixel area × the structure's slice thickness.
 * Pure; needs an axial dose grid (direction identity), as dvhcalc does.
 */
import { type Grid, type Mask, type Volume } from '@/lib/core/volume';
import { rasterizeContours, type PlanarContourMm } from '@/lib/core/raster/rasterize-contours';
import { DoseError } from './errors';

export interface PlaneSamples {
  doses: Float32Array;
  /** Volume of one sample: dose pixel area × thickness (cc). */
  voxelVolumeCc: number;
  /** Planes with contours that lie beyond the dose grid (skipped). */
  planesOutside: number;
  planes: number;
}

/** Structure slice thickness as dicompyler takes it: the smallest gap between its planes (mm), or `fallbackMm` for one plane. */
export function planeThicknessMm(contours: readonly PlanarContourMm[], fallbackMm: number): number {
  const zs = [...new Set(contours.filter((c) => c.pointsMm.length >= 3).map((c) => Math.round(c.pointsMm[2]! * 100) / 100))].sort((a, b) => a - b);
  let t = Infinity;
  for (let n = 1; n < zs.length; n++) t = Math.min(t, zs[n]! - zs[n - 1]!);
  return Number.isFinite(t) && t > 0 ? t : fallbackMm;
}

export function doseOnContourPlanes(dose: Volume<Float32Array>, contours: readonly PlanarContourMm[], thicknessMm: number): PlaneSamples {
  const g = dose.grid;
  const d = g.direction;
  if ([1, 0, 0, 0, 1, 0, 0, 0, 1].some((v, n) => Math.abs(d[n]! - v) > 1e-6))
    throw new DoseError(
      'The dicompyler convention needs an axial dose grid (ImageOrientationPatient 1\\0\\0\\0\\1\\0 and frames along +z); use the iseg or plastimatch convention for this dose.',
    );
  if (!(thicknessMm > 0)) throw new DoseError(`The structure slice thickness must be positive (got ${thicknessMm} mm).`);
  const [nx, ny, nz] = g.dims;
  const [sx, sy, sz] = g.spacingMm;
  const plane = nx * ny;
  const byZ = new Map<number, PlanarContourMm[]>();
  for (const c of contours) {
    if (c.pointsMm.length < 9) continue;
    const z = Math.round(c.pointsMm[2]! * 100) / 100;
    const list = byZ.get(z) ?? [];
    list.push(c);
    byZ.set(z, list);
  }
  const out: number[] = [];
  let planesOutside = 0;
  for (const [z, list] of [...byZ.entries()].sort((a, b) => a[0] - b[0])) {
    const w = (z - g.originMm[2]) / sz;
    let k0: number;
    let f: number;
    const kn = Math.round(w);
    if (kn >= 0 && kn < nz && Math.abs(w - kn) * sz < 0.5) {
      k0 = kn;
      f = 0;
    } else if (w >= 0 && w <= nz - 1) {
      k0 = Math.min(Math.floor(w), nz - 2);
      f = w - k0;
    } else {
      planesOutside++;
      continue;
    }
    const planeGrid: Grid = { dims: [nx, ny, 1], spacingMm: [sx, sy, 1], originMm: [g.originMm[0], g.originMm[1], z], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    // Contours sit on this plane exactly (grouped by their z), so a tight tolerance is enough.
    const { mask }: { mask: Mask } = rasterizeContours(planeGrid, list, { sliceToleranceMm: 0.5 });
    for (let t = 0; t < plane; t++) {
      if (!mask.data[t]) continue;
      const a = dose.data[k0 * plane + t]!;
      out.push(f === 0 ? a : a * (1 - f) + dose.data[(k0 + 1) * plane + t]! * f);
    }
  }
  return { doses: Float32Array.from(out), voxelVolumeCc: (sx * sy * thicknessMm) / 1000, planesOutside, planes: byZ.size };
}
