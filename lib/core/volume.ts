/**
 * Voxel grids and volumes in patient coordinates (DICOM LPS, millimetres).
 *
 * Index order: voxel (i, j, k) is stored at `i + nx * (j + ny * k)`; i runs along a row
 * (DICOM column index), j down the columns (DICOM row index), k across slices.
 * The patient position of voxel centre (i, j, k) is
 *   originMm + direction · (i·sx, j·sy, k·sz)
 * where `direction` is a 3×3 matrix stored row-major whose *columns* are the unit vectors of
 * the i, j and k axes (the ITK convention). For DICOM, column 0 is ImageOrientationPatient[0..2],
 * column 1 is ImageOrientationPatient[3..5], column 2 is the slice normal (sign from the sort).
 */
export type Vec3 = [number, number, number];

export interface Grid {
  /** [nx, ny, nz] voxels. */
  dims: Vec3;
  /** [sx, sy, sz] mm between voxel centres. */
  spacingMm: Vec3;
  /** Patient position (mm, LPS) of the centre of voxel (0, 0, 0). */
  originMm: Vec3;
  /** Row-major 3×3; columns are the i, j, k axis unit vectors in LPS. */
  direction: number[];
}

export type VoxelArray = Float32Array | Int16Array | Uint8Array | Int32Array | Uint16Array;

export interface Volume<T extends VoxelArray = Float32Array> {
  grid: Grid;
  data: T;
}

/** A binary mask: 1 inside, 0 outside. */
export type Mask = Volume<Uint8Array>;

export const IDENTITY_DIRECTION: number[] = [1, 0, 0, 0, 1, 0, 0, 0, 1];

/**
 * An [x, y, z] array (grid dims, spacing, a patch size) typed as a triple, after checking that it
 * has the three entries. Returns the same array, not a copy: a shared array literal here would
 * let spacings (doubles) turn the callers' voxel counts into doubles and slow their hot loops.
 * @param what names the array in the error, e.g. "boundingBox dims".
 * @throws Error when the array has fewer than 3 entries.
 */
export function xyz(v: readonly number[], what: string): Readonly<Vec3> {
  if (v.length < 3) throw new Error(`${what} must have 3 entries [x, y, z]; got ${v.length}.`);
  return v as unknown as Readonly<Vec3>;
}

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** `grid.direction` as a 3×3 row-major tuple; throws when it does not have 9 entries. */
function direction3x3(grid: Grid): Mat3 {
  const d = grid.direction;
  if (d.length !== 9) throw new Error(`grid direction must have 9 entries (row-major 3×3); got ${d.length}. Check the image orientation of the series.`);
  return d as Mat3;
}

export function voxelCount(grid: Grid): number {
  return grid.dims[0] * grid.dims[1] * grid.dims[2];
}

/** Volume of one voxel in cubic centimetres. */
export function voxelVolumeCc(grid: Grid): number {
  return (grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2]) / 1000;
}

/** Patient position (mm) of a continuous voxel index. */
export function indexToPatientMm(grid: Grid, i: number, j: number, k: number): Vec3 {
  const d = direction3x3(grid);
  const [sx, sy, sz] = grid.spacingMm;
  const a = i * sx;
  const b = j * sy;
  const c = k * sz;
  return [
    grid.originMm[0] + d[0] * a + d[1] * b + d[2] * c,
    grid.originMm[1] + d[3] * a + d[4] * b + d[5] * c,
    grid.originMm[2] + d[6] * a + d[7] * b + d[8] * c,
  ];
}

/** Continuous voxel index of a patient position (mm). The direction matrix is orthonormal. */
export function patientMmToIndex(grid: Grid, p: Vec3): Vec3 {
  const d = direction3x3(grid);
  const x = p[0] - grid.originMm[0];
  const y = p[1] - grid.originMm[1];
  const z = p[2] - grid.originMm[2];
  // Inverse of an orthonormal matrix is its transpose.
  return [
    (d[0] * x + d[3] * y + d[6] * z) / grid.spacingMm[0],
    (d[1] * x + d[4] * y + d[7] * z) / grid.spacingMm[1],
    (d[2] * x + d[5] * y + d[8] * z) / grid.spacingMm[2],
  ];
}

/** True when two grids describe the same voxels (within `toleranceMm` on positions). */
export function sameGrid(a: Grid, b: Grid, toleranceMm = 1e-3): boolean {
  for (const n of [0, 1, 2] as const) {
    if (a.dims[n] !== b.dims[n]) return false;
    if (Math.abs(a.spacingMm[n] - b.spacingMm[n]) > toleranceMm) return false;
    if (Math.abs(a.originMm[n] - b.originMm[n]) > toleranceMm) return false;
  }
  const da = direction3x3(a);
  const db = direction3x3(b);
  // n < 9 = the length of both tuples.
  for (let n = 0; n < 9; n++) if (Math.abs(da[n]! - db[n]!) > 1e-4) return false;
  return true;
}

export function describeGrid(g: Grid): string {
  const f = (v: number) => Number(v.toFixed(4)).toString();
  return `${g.dims.join('×')} at ${g.spacingMm.map(f).join('×')} mm`;
}

/**
 * Mask voxels as 0/1 bytes: the array itself when it already is one (stored masks are), else a
 * 0/1 copy. A plain loop on purpose: Uint8Array.from with a map function was ~50× slower and cost
 * the worker and the exports tens of seconds per 512×512×177 mask on a loaded machine.
 */
export function binaryMaskData(data: VoxelArray): Uint8Array {
  if (data instanceof Uint8Array) {
    let binary = true;
    for (let i = 0; i < data.length; i++) {
      if ((data[i] ?? 0) > 1) {
        binary = false;
        break;
      }
    }
    if (binary) return data;
  }
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
  return out;
}
