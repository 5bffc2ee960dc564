/**
 * Exact rasterisation of closed planar contours (patient mm) onto a CT grid.
 *
 * Rule: voxel (i, j, k) is inside when its centre is inside the XOR (even–odd union) of all
 * contours lying on slice k. No vertex is rounded: points are moved into continuous index space
 * (`patientMmToIndex`, which handles oblique orientation and anisotropic pixels) and a scanline
 * crossing-number test is evaluated at voxel centres. Because all crossings of all contours on a
 * slice are sorted together, nested holes (separate contours) and keyholes (one contour whose
 * cut is traversed twice) both come out right.
 *
 * A contour that crosses itself (bow-tie) is rasterised by the same even–odd rule, as drawn;
 * its placement carries `selfIntersectionMm` so the caller can report it.
 *
 * Tie rule (points exactly on an edge): the scanline of row j is taken at j + 1e-6 and the
 * voxel centre i at i + 1e-6 (half-open intervals), so two contours sharing an edge never both
 * claim the voxels on it and float noise of a few ulps in the coordinates cannot flip a voxel.
 *
 * Reference: crossing-number point-in-polygon, Haines, "Point in Polygon Strategies",
 * Graphics Gems IV (1994); DICOM PS3.3 C.8.8.6 (ROI Contour Module, CLOSED_PLANAR).
 */
import { type Grid, type Mask, patientMmToIndex, voxelCount } from '@/lib/core/volume';
import { RasterError } from './errors';
import { findSelfIntersection } from './find-self-intersection';

/** One closed planar contour: flat [x0, y0, z0, x1, y1, z1, …] in patient mm (LPS). */
export interface PlanarContourMm {
  pointsMm: ArrayLike<number>;
}

export type ContourPlacementStatus =
  /** Rasterised on `slice`. */
  | 'rasterised'
  /** Its plane lies between slices by more than the tolerance: skipped. */
  | 'off-slice'
  /** Its points do not share one plane parallel to the slices (within tolerance): skipped. */
  | 'non-planar'
  /** Its plane is beyond the first or last slice, or it lies wholly outside the image: skipped. */
  | 'outside-grid'
  /** Fewer than 3 points: skipped. */
  | 'too-few-points';

export interface ContourPlacement {
  /** Index of the contour in the input array. */
  contour: number;
  status: ContourPlacementStatus;
  /** Nearest slice index (may be out of range for 'outside-grid'); null if undetermined. */
  slice: number | null;
  /** Signed distance (mm) of the contour's mean plane from the nearest slice centre. */
  offsetMm: number;
  /** Spread (mm) of the points along the slice normal. */
  thicknessMm: number;
  /** True when part of the contour lies outside the image in-plane (it is clipped). */
  partlyOutside: boolean;
  /**
   * For a rasterised contour that crosses itself (bow-tie): where, in patient mm of the first
   * crossing found (see find-self-intersection.ts). It is still rasterised as drawn.
   */
  selfIntersectionMm?: [number, number, number];
}

export interface RasterReport {
  placements: ContourPlacement[];
  /** Number of points in contours that were skipped because they lie on no slice. */
  pointsOffSlice: number;
  /** Count of contours per status. */
  counts: Record<ContourPlacementStatus, number>;
  /** Voxels set in the mask (the spans filled are disjoint, so this is the sum of the mask). */
  insideVoxels: number;
  /**
   * The smallest index box (inclusive) holding every voxel set, null when none is: a reader of the
   * mask (e.g. the dose sampler) need not scan the rest of a large grid.
   */
  bounds: { min: [number, number, number]; max: [number, number, number] } | null;
}

export interface RasterizeOptions {
  /**
   * Largest distance (mm) along the slice normal between a contour's plane and a slice centre
   * for the contour to belong to that slice, and the largest spread of a contour's points
   * along the normal. Default 0.1 mm (TPS exports write the slice position to 0.01 mm).
   */
  sliceToleranceMm?: number;
}

const EPS = 1e-6;

/**
 * Rasterise closed planar contours onto `grid`.
 *
 * @param grid CT grid (dims, spacing mm, origin mm, direction); contours are matched to slices by
 *   their position along the grid's k axis.
 * @param contours closed planar contours in patient mm; all are XOR-combined per slice.
 * @returns `mask` (Uint8Array, index i + nx·(j + ny·k), 1 inside) and a `report` saying where
 *   each contour went and which were skipped and why.
 * @throws RasterError('INVALID_INPUT') when the grid has non-positive dims or spacing, or a
 *   contour's coordinate count is not a multiple of 3 or contains a non-finite value.
 */
export function rasterizeContours(grid: Grid, contours: readonly PlanarContourMm[], options: RasterizeOptions = {}): { mask: Mask; report: RasterReport } {
  // Axis indices are 0 … 2 and point, edge and voxel indices are bounded by their loops, hence the `!`s.
  const [nx, ny, nz] = grid.dims;
  const [, , sz] = grid.spacingMm;
  for (let a = 0; a < 3; a++) {
    if (!(grid.dims[a]! > 0) || !Number.isInteger(grid.dims[a]))
      throw new RasterError('INVALID_INPUT', `Grid dims ${grid.dims.join('×')} must be positive integers: check the CT series geometry.`);
    if (!(grid.spacingMm[a]! > 0))
      throw new RasterError('INVALID_INPUT', `Grid spacing ${grid.spacingMm.join('×')} mm must be positive: check PixelSpacing and the slice spacing.`);
  }
  const tolMm = options.sliceToleranceMm ?? 0.1;
  const data = new Uint8Array(voxelCount(grid));
  const placements: ContourPlacement[] = [];
  const counts: Record<ContourPlacementStatus, number> = {
    rasterised: 0,
    'off-slice': 0,
    'non-planar': 0,
    'outside-grid': 0,
    'too-few-points': 0,
  };
  let pointsOffSlice = 0;

  // Per slice: list of contours (as index-space x/y arrays) to rasterise.
  const bySlice = new Map<number, { xs: Float64Array; ys: Float64Array }[]>();
  const p: [number, number, number] = [0, 0, 0];

  contours.forEach((c, ci) => {
    const pts = c.pointsMm;
    if (pts.length % 3 !== 0)
      throw new RasterError('INVALID_INPUT', `Contour ${ci} has ${pts.length} coordinates, not a multiple of 3: ContourData must be x\\y\\z triplets.`);
    const n = pts.length / 3;
    if (n < 3) {
      counts['too-few-points']++;
      placements.push({ contour: ci, status: 'too-few-points', slice: null, offsetMm: 0, thicknessMm: 0, partlyOutside: false });
      return;
    }
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    let kMin = Infinity;
    let kMax = -Infinity;
    let kSum = 0;
    let xMin = Infinity;
    let xMax = -Infinity;
    let yMin = Infinity;
    let yMax = -Infinity;
    for (let t = 0; t < n; t++) {
      p[0] = pts[3 * t]!;
      p[1] = pts[3 * t + 1]!;
      p[2] = pts[3 * t + 2]!;
      if (!Number.isFinite(p[0]) || !Number.isFinite(p[1]) || !Number.isFinite(p[2]))
        throw new RasterError('INVALID_INPUT', `Contour ${ci} point ${t} is not finite (${p.join(', ')}): check ContourData.`);
      const [x, y, k] = patientMmToIndex(grid, p);
      xs[t] = x;
      ys[t] = y;
      kSum += k;
      if (k < kMin) kMin = k;
      if (k > kMax) kMax = k;
      if (x < xMin) xMin = x;
      if (x > xMax) xMax = x;
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
    const kMean = kSum / n;
    const slice = Math.round(kMean);
    const offsetMm = (kMean - slice) * sz;
    const thicknessMm = (kMax - kMin) * sz;
    // The image extends half a voxel beyond the outer centres; 1e-3 voxel absorbs coordinate rounding.
    const edge = 0.5 + 1e-3;
    const partlyOutside = xMin < -edge || yMin < -edge || xMax > nx - 1 + edge || yMax > ny - 1 + edge;
    const fullyOutside = xMax < -0.5 || yMax < -0.5 || xMin > nx - 0.5 || yMin > ny - 0.5;
    let status: ContourPlacementStatus = 'rasterised';
    if (thicknessMm > tolMm) status = 'non-planar';
    else if (Math.abs(offsetMm) > tolMm) status = 'off-slice';
    else if (slice < 0 || slice >= nz || fullyOutside) status = 'outside-grid';
    counts[status]++;
    const placement: ContourPlacement = { contour: ci, status, slice, offsetMm, thicknessMm, partlyOutside };
    placements.push(placement);
    if (status === 'off-slice' || status === 'non-planar') pointsOffSlice += n;
    if (status !== 'rasterised') return;
    const crossing = findSelfIntersection(xs, ys);
    if (crossing) {
      // back to patient mm: point a + t·(b − a) on the first crossing edge, t from its x or y
      const [e] = crossing.edges;
      const f = e + 1 === n ? 0 : e + 1;
      const dx = xs[f]! - xs[e]!;
      const dy = ys[f]! - ys[e]!;
      const t = Math.abs(dx) >= Math.abs(dy) ? (crossing.at[0] - xs[e]!) / dx : (crossing.at[1] - ys[e]!) / dy;
      placement.selfIntersectionMm = [0, 1, 2].map((c) => pts[3 * e + c]! + t * (pts[3 * f + c]! - pts[3 * e + c]!)) as [number, number, number];
    }
    let list = bySlice.get(slice);
    if (!list) bySlice.set(slice, (list = []));
    list.push({ xs, ys });
  });

  const rowStart = new Int32Array(ny + 1);
  const rowFill = new Int32Array(ny);
  let crossings = new Float64Array(1024);
  let insideVoxels = 0;
  const lo: [number, number, number] = [Infinity, Infinity, Infinity];
  const hi: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (const [k, list] of bySlice) {
    rowStart.fill(0);
    // Pass 1: count the crossings of each row (scanline y = j + EPS, half-open in y).
    for (const { xs, ys } of list) {
      const n = xs.length;
      for (let a = 0, b = n - 1; a < n; b = a++) {
        const y0 = ys[b]!;
        const y1 = ys[a]!;
        if (y0 === y1) continue;
        const lo = y0 < y1 ? y0 : y1;
        const hi = y0 < y1 ? y1 : y0;
        const j0 = Math.max(0, Math.ceil(lo - EPS));
        const j1 = Math.min(ny - 1, Math.ceil(hi - EPS) - 1);
        for (let j = j0; j <= j1; j++) rowStart[j + 1]!++;
      }
    }
    for (let j = 0; j < ny; j++) rowStart[j + 1]! += rowStart[j]!;
    const total = rowStart[ny]!;
    if (total === 0) continue;
    if (crossings.length < total) crossings = new Float64Array(Math.max(total, crossings.length * 2));
    rowFill.set(rowStart.subarray(0, ny));
    // Pass 2: the x of each crossing.
    for (const { xs, ys } of list) {
      const n = xs.length;
      for (let a = 0, b = n - 1; a < n; b = a++) {
        const x0 = xs[b]!;
        const y0 = ys[b]!;
        const x1 = xs[a]!;
        const y1 = ys[a]!;
        if (y0 === y1) continue;
        const lo = y0 < y1 ? y0 : y1;
        const hi = y0 < y1 ? y1 : y0;
        const j0 = Math.max(0, Math.ceil(lo - EPS));
        const j1 = Math.min(ny - 1, Math.ceil(hi - EPS) - 1);
        const slope = (x1 - x0) / (y1 - y0);
        for (let j = j0; j <= j1; j++) crossings[rowFill[j]!++] = x0 + (j + EPS - y0) * slope;
      }
    }
    // Pass 3: sort each row's crossings; voxels between pairs (even–odd) are inside.
    const sliceBase = nx * ny * k;
    for (let j = 0; j < ny; j++) {
      const s = rowStart[j]!;
      const e = rowStart[j + 1]!;
      if (e - s < 2) continue;
      const row = crossings.subarray(s, e);
      if (e - s === 2) {
        if (row[0]! > row[1]!) {
          const t = row[0]!;
          row[0] = row[1]!;
          row[1] = t;
        }
      } else row.sort();
      const base = sliceBase + nx * j;
      for (let q = 0; q + 1 < row.length; q += 2) {
        const i0 = Math.max(0, Math.ceil(row[q]! - EPS));
        const i1 = Math.min(nx - 1, Math.ceil(row[q + 1]! - EPS) - 1);
        if (i1 >= i0) {
          data.fill(1, base + i0, base + i1 + 1);
          insideVoxels += i1 - i0 + 1;
          if (i0 < lo[0]) lo[0] = i0;
          if (i1 > hi[0]) hi[0] = i1;
          if (j < lo[1]) lo[1] = j;
          if (j > hi[1]) hi[1] = j;
          if (k < lo[2]) lo[2] = k;
          if (k > hi[2]) hi[2] = k;
        }
      }
    }
  }

  const bounds = insideVoxels > 0 ? { min: lo, max: hi } : null;
  return { mask: { grid, data }, report: { placements, pointsOffSlice, counts, insideVoxels, bounds } };
}
