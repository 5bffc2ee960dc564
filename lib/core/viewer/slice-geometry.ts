/**
 * Where each screen pixel of an axial, coronal or sagittal view lies in the voxel array.
 *
 * Voxel (i, j, k) is stored at `i + nx·(j + ny·k)` (lib/core/volume.ts). For a DICOM CT sorted
 * along the slice normal, i runs to the patient's left, j to posterior and k to superior (LPS),
 * so the conventional radiological displays are:
 *   axial    columns = i, rows = j (anterior at the top, patient's right on the screen's left);
 *   coronal  columns = i, rows = k reversed (superior at the top);
 *   sagittal columns = j, rows = k reversed (anterior on the left, superior at the top).
 * Whether k must be reversed is read from the grid direction (`superiorUp`), so a series stored
 * feet-first still shows the head at the top.
 */
import type { Grid, Vec3 } from '@/lib/core/volume';

export type Orientation = 'axial' | 'coronal' | 'sagittal';
export const ORIENTATIONS: readonly Orientation[] = ['axial', 'coronal', 'sagittal'];

/** Voxel axis (0 = i, 1 = j, 2 = k) a view scrolls through. */
export const SLICE_AXIS: Record<Orientation, 0 | 1 | 2> = { axial: 2, coronal: 1, sagittal: 0 };

export interface SliceLayout {
  /** Screen pixels across and down. */
  width: number;
  height: number;
  /** Flat voxel index of screen pixel (0, 0). */
  origin: number;
  /** Flat-index step for one pixel right, and for one pixel down (may be negative). */
  colStride: number;
  rowStride: number;
  /** Physical size (mm) of one screen pixel across and down, for the displayed aspect ratio. */
  pixelWidthMm: number;
  pixelHeightMm: number;
}

/**
 * True when increasing k moves the patient superior (the k axis' LPS z component is positive),
 * which is when coronal and sagittal rows must run k from high to low.
 */
export function superiorUp(grid: Pick<Grid, 'direction'>): boolean {
  // direction is 3×3 (9 entries), hence the `!`.
  return grid.direction[8]! >= 0;
}

/**
 * The layout of slice `index` (along SLICE_AXIS[orientation]).
 * @throws RangeError when the index is outside the volume (a caller bug, not user input).
 */
export function sliceLayout(dims: Readonly<Vec3>, spacingMm: Readonly<Vec3>, orientation: Orientation, index: number, flipK: boolean): SliceLayout {
  const [nx, ny, nz] = dims;
  const axis = SLICE_AXIS[orientation];
  if (!Number.isInteger(index) || index < 0 || index >= dims[axis]) {
    throw new RangeError(`Slice ${index} is outside the ${orientation} range 0–${dims[axis] - 1}.`);
  }
  const sj = nx;
  const sk = nx * ny;
  const [sx, sy, sz] = spacingMm;
  if (orientation === 'axial') {
    return { width: nx, height: ny, origin: index * sk, colStride: 1, rowStride: sj, pixelWidthMm: sx, pixelHeightMm: sy };
  }
  const rowOrigin = flipK ? (nz - 1) * sk : 0;
  const rowStride = flipK ? -sk : sk;
  if (orientation === 'coronal') {
    return { width: nx, height: nz, origin: index * sj + rowOrigin, colStride: 1, rowStride, pixelWidthMm: sx, pixelHeightMm: sz };
  }
  return { width: ny, height: nz, origin: index + rowOrigin, colStride: sj, rowStride, pixelWidthMm: sy, pixelHeightMm: sz };
}

/** The voxel (i, j, k) under screen pixel (col, row) of slice `index`. */
export function viewPixelToVoxel(dims: Readonly<Vec3>, orientation: Orientation, index: number, col: number, row: number, flipK: boolean): Vec3 {
  const nz = dims[2];
  const k = (r: number) => (flipK ? nz - 1 - r : r);
  if (orientation === 'axial') return [col, row, index];
  if (orientation === 'coronal') return [col, index, k(row)];
  return [index, col, k(row)];
}

/** The screen pixel (col, row) of voxel (i, j, k) in a view, and which slice shows it. */
export function voxelToViewPixel(
  dims: Readonly<Vec3>,
  orientation: Orientation,
  voxel: Readonly<Vec3>,
  flipK: boolean,
): { col: number; row: number; index: number } {
  const [i, j, k] = voxel;
  const r = flipK ? dims[2] - 1 - k : k;
  if (orientation === 'axial') return { col: i, row: j, index: k };
  if (orientation === 'coronal') return { col: i, row: r, index: j };
  return { col: j, row: r, index: i };
}

/** Copy one slice's voxel values into a new array, row by row (the reference for tests). */
export function extractSlice<T extends ArrayLike<number>>(data: T, layout: SliceLayout): number[] {
  // v walks the slice inside the volume, hence the `!`.
  const out: number[] = new Array(layout.width * layout.height);
  for (let r = 0, p = 0; r < layout.height; r++) {
    let v = layout.origin + r * layout.rowStride;
    for (let c = 0; c < layout.width; c++, p++, v += layout.colStride) out[p] = data[v]!;
  }
  return out;
}
