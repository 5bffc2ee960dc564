import { IDENTITY_DIRECTION, type Grid, type Vec3 } from '@/lib/core/volume';

/** Analytic shapes of ../shared/reference/surface-metric-cases.json. */
export type Shape =
  { type: 'sphere'; centreMm: number[]; radiusMm: number; subtract?: boolean } | { type: 'box'; lo: number[]; hi: number[]; subtract?: boolean };

export function gridOf(dims: number[], spacingMm: number[]): Grid {
  return { dims: dims as Vec3, spacingMm: spacingMm as Vec3, originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };
}

/**
 * Rasterise shapes in order (later `subtract` shapes clear voxels).
 * - sphere: voxel (i, j, k) is inside when its centre (i·sx, j·sy, k·sz) mm lies within
 *   radiusMm of centreMm, boundary included (‖x − c‖² ≤ r²);
 * - box: lo ≤ (i, j, k) < hi in voxel indices (half-open).
 * This rule reproduces every voxel count in the reference file.
 */
export function rasterise(dims: number[], spacingMm: number[], shapes: Shape[]): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(nx * ny * nz);
  for (const s of shapes) {
    const value = s.subtract ? 0 : 1;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          let inside: boolean;
          if (s.type === 'sphere') {
            const dx = i * spacingMm[0] - s.centreMm[0];
            const dy = j * spacingMm[1] - s.centreMm[1];
            const dz = k * spacingMm[2] - s.centreMm[2];
            inside = dx * dx + dy * dy + dz * dz <= s.radiusMm * s.radiusMm;
          } else {
            inside = i >= s.lo[0] && i < s.hi[0] && j >= s.lo[1] && j < s.hi[1] && k >= s.lo[2] && k < s.hi[2];
          }
          if (inside) out[i + nx * (j + ny * k)] = value;
        }
      }
    }
  }
  return out;
}
