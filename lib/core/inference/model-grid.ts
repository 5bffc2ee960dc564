import { type Grid, type Vec3, indexToPatientMm } from '@/lib/core/volume';
import { InferenceError } from './errors';

/**
 * How the model grid's axes are chosen:
 * - 'native': the CT's own axes (origin and direction shared with the CT);
 * - 'LPS': the CT's axes reordered and flipped so that model axis x, y, z is the CT axis
 *   closest to patient +L, +P, +S (DICOM LPS). The model then sees the same array whatever
 *   order the file stored the voxels in (RAS-stored NIfTI, feet-first DICOM series).
 */
export type ModelGridOrientation = 'native' | 'LPS';

/**
 * How far (in target voxels, over the whole axis) a CT's spacing may be from the target spacing
 * and still count as the same spacing (modelGridFor).
 */
export const SAME_SPACING_VOXELS = 1e-3;

const PERMUTATIONS: Vec3[] = [
  [0, 1, 2],
  [0, 2, 1],
  [1, 0, 2],
  [1, 2, 0],
  [2, 0, 1],
  [2, 1, 0],
];

/**
 * The model grid for a CT grid: spacing `targetSpacingMm` and dims = ceil(extent / spacing) per
 * axis, where extent = n × s is the field of view the CT's voxels cover along that axis. With
 * 'native' orientation the origin (centre of voxel 0,0,0) and direction are the CT's; with
 * 'LPS' the axes are the CT's, reordered and flipped to point along +L, +P, +S as closely as
 * possible, and the origin is the CT voxel centre at the corner where they start. Either way the
 * model grid covers the whole CT; its last voxel centres may lie up to one target voxel beyond
 * the CT's last voxel centres (resampling clamps there).
 *
 * An axis whose CT spacing s already is the target spacing t up to the digits a DICOM file keeps
 * (n · |s − t| ≤ SAME_SPACING_VOXELS · t: over the CT's n voxels the centres drift by at most a
 * thousandth of a target voxel, e.g. "3.33333333333333" against 3.3333333333333335) keeps the
 * CT's own spacing and size. With 'native' orientation and every axis so, the model grid is the
 * CT's grid and resampling copies the voxels (exactly) instead of interpolating them by that
 * drift; the interpolation it replaces would have moved each value by at most that fraction of
 * its neighbour's difference.
 * @param grid the native CT grid.
 * @param targetSpacingMm [x, y, z] mm along the model grid's axes.
 * @throws InferenceError('INVALID_INPUT') for a non-positive or non-finite spacing or dims.
 */
export function modelGridFor(grid: Grid, targetSpacingMm: Vec3, orientation: ModelGridOrientation = 'native'): Grid {
  // direction is 3×3 and permutation entries are 0 … 2, hence the `!`s.
  for (const a of [0, 1, 2] as const) {
    const s = targetSpacingMm[a];
    const n = grid.dims[a];
    const sn = grid.spacingMm[a];
    if (!(Number.isFinite(s) && s > 0))
      throw new InferenceError(
        'INVALID_INPUT',
        `Target spacing [${targetSpacingMm.join(', ')}] mm: axis ${a} must be a positive number; check the manifest's targetSpacingMm.`,
      );
    if (!(Number.isInteger(n) && n > 0) || !(Number.isFinite(sn) && sn > 0))
      throw new InferenceError(
        'INVALID_INPUT',
        `CT grid ${grid.dims.join('×')} at ${grid.spacingMm.join('×')} mm: axis ${a} needs a positive size and spacing.`,
      );
  }
  const d = grid.direction;
  // perm[a]: the CT axis used as model axis a; sign[a]: +1 or −1 along it.
  let perm: Vec3 = [0, 1, 2];
  let sign: Vec3 = [1, 1, 1];
  if (orientation === 'LPS') {
    let best = -Infinity;
    for (const p of PERMUTATIONS) {
      // Row a of the direction matrix holds the patient-a components of the CT axes.
      const score = Math.abs(d[3 * 0 + p[0]]!) + Math.abs(d[3 * 1 + p[1]]!) + Math.abs(d[3 * 2 + p[2]]!);
      if (score > best + 1e-12) {
        best = score;
        perm = p;
      }
    }
    sign = [0, 1, 2].map((a) => (d[3 * a + perm[a]!]! < 0 ? -1 : 1)) as Vec3; // d is 3×3, perm[a] ∈ {0, 1, 2}
  }
  const dims: Vec3 = [0, 0, 0];
  const spacingMm: Vec3 = [0, 0, 0];
  const direction = new Array<number>(9);
  const corner: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    const c = perm[a]!;
    if (grid.dims[c]! * Math.abs(grid.spacingMm[c]! - targetSpacingMm[a]!) <= SAME_SPACING_VOXELS * targetSpacingMm[a]!) {
      spacingMm[a] = grid.spacingMm[c]!;
      dims[a] = grid.dims[c]!;
    } else {
      spacingMm[a] = targetSpacingMm[a]!;
      // A relative epsilon keeps e.g. 100 × 1.5 / 1.5 from becoming 101 through rounding.
      dims[a] = Math.max(1, Math.ceil((grid.dims[c]! * grid.spacingMm[c]!) / targetSpacingMm[a]! - 1e-9));
    }
    for (let r = 0; r < 3; r++) direction[3 * r + a] = sign[a]! * d[3 * r + c]!;
    corner[c] = sign[a]! > 0 ? 0 : grid.dims[c]! - 1;
  }
  const originMm = orientation === 'LPS' ? indexToPatientMm(grid, corner[0], corner[1], corner[2]) : ([...grid.originMm] as Vec3);
  return { dims, spacingMm, originMm, direction };
}
