/**
 * The viewer's cursor (the voxel where the three views cross) from a patient position, for
 * jumping to a discordance region's centroid (patient mm, LPS).
 */
import { type Grid, type Vec3, indexToPatientMm, patientMmToIndex } from '@/lib/core/volume';

/**
 * The voxel nearest to patient position `pointMm`, clamped into the grid; `inside` says whether
 * the point lay within half a voxel of the grid before clamping.
 */
export function patientMmToCursor(grid: Grid, pointMm: Readonly<Vec3>): { voxel: Vec3; inside: boolean } {
  // a is the axis (0 … 2) of the Vec3 being mapped, hence the `!`.
  const idx = patientMmToIndex(grid, [pointMm[0], pointMm[1], pointMm[2]]);
  let inside = true;
  const voxel = idx.map((x, a) => {
    const r = Math.round(x);
    const max = grid.dims[a]! - 1;
    if (r < 0 || r > max) inside = false;
    return Math.min(max, Math.max(0, r));
  }) as Vec3;
  return { voxel, inside };
}

/** Patient position (mm) of a cursor voxel centre. */
export function cursorToPatientMm(grid: Grid, voxel: Readonly<Vec3>): Vec3 {
  return indexToPatientMm(grid, voxel[0], voxel[1], voxel[2]);
}
