import { xyz } from '@/lib/core/volume';
import { SURFEL_NORMALS_X8 } from './surfel-normals';

/**
 * Surface area (mm²) per 2×2×2 neighbourhood code (Float64Array of 256) at the given voxel
 * spacing, for the `surfel` convention (Nikolov et al. 2021, DeepMind surface-distance
 * `create_table_neighbour_code_to_surface_area`).
 *
 * Code bits: the voxel at offset (a, b, c) ∈ {0,1}³ (a along i, b along j, c along k) from the
 * corner's lower neighbour contributes 2^(7 − (4a + 2b + c)).
 * A triangle with unit-cube normal n (|n| = area) has area |(nx·sy·sz, ny·sx·sz, nz·sx·sy)|
 * after scaling by the spacing; the triangles come from ./surfel-triangulation.ts via
 * ./surfel-normals.ts. These areas equal surface-distance's table for every code (checked
 * against its published lookup table during development; the tests pin hand-derived codes and
 * the reference cases).
 * @param spacingMm [sx, sy, sz]
 */
export function surfelAreaTable(spacingMm: readonly number[]): Float64Array {
  // code < 256 = SURFEL_NORMALS_X8.length and t + 2 < n.length, hence the `!`s.
  const [sx, sy, sz] = xyz(spacingMm, 'surfelAreaTable spacingMm');
  const table = new Float64Array(256);
  for (let code = 0; code < 256; code++) {
    const n = SURFEL_NORMALS_X8[code]!;
    let sum = 0;
    for (let t = 0; t < n.length; t += 3) {
      sum += Math.hypot((n[t]! / 8) * sy * sz, (n[t + 1]! / 8) * sx * sz, (n[t + 2]! / 8) * sx * sy);
    }
    table[code] = sum;
  }
  return table;
}
