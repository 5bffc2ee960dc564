import type { Grid } from '@/lib/core/volume';
import { MetricsError, type NullReason } from './errors';
import { computeOverlap, emptinessReason } from './overlap';
import { computeSurfaceDistances, scratchSizeFor, type SurfaceDistanceOptions, type SurfaceDistances } from './surface-distances';
import { unionBox, type IndexBox } from './bbox';
import { offsetTable, type OffsetTable } from './local-search';
import {
  averageSurfaceDistanceMm,
  hausdorffMm,
  meanSurfaceDistanceMm,
  percentileHausdorffMm,
  plastimatchAverageHausdorffMm,
  plastimatchPercentHausdorffMm,
  surfaceDice,
} from './surface-metrics';
import { validateMaskPair } from './validate';

/** Surface-metric conventions, see docs/metrics.md. */
export type Convention = 'voxel' | 'surfel' | 'plastimatch';
export const ALL_CONVENTIONS: readonly Convention[] = ['voxel', 'surfel', 'plastimatch'];

export interface VoxelConventionResult {
  hausdorffMm: number | null;
  hd95Mm: number | null;
  meanSurfaceDistanceMm: number | null;
  surfaceDice: number | null;
  toleranceMm: number;
}

export interface SurfelConventionResult {
  hausdorffMm: number | null;
  hd95Mm: number | null;
  /** [reference→test, test→reference], area-weighted. */
  averageSurfaceDistanceMm: [number | null, number | null];
  surfaceDice: number | null;
  toleranceMm: number;
}

/** plastimatch `dice --all` boundary measures (see plastimatchPercentHausdorffMm). */
export interface PlastimatchConventionResult {
  /** "Hausdorff distance (boundary)": the larger directed maximum. */
  hausdorffMm: number | null;
  /** "Avg average Hausdorff distance (boundary)": mean of the two directed means. */
  averageHausdorffMm: number | null;
  /** "Percent (0.95) Hausdorff distance (boundary)": mean of the two directed percentiles. */
  percentHausdorffMm: number | null;
  fraction: number;
}

/** The `iseg-qa metrics --json` object (docs/cli.md). Every number is finite or null. */
export interface MetricsResult {
  dice: number | null;
  jaccard: number | null;
  referenceVoxels: number;
  testVoxels: number;
  truePositiveVoxels: number;
  falsePositiveVoxels: number;
  falseNegativeVoxels: number;
  referenceVolumeCc: number;
  testVolumeCc: number;
  falsePositiveVolumeCc: number;
  falseNegativeVolumeCc: number;
  falsePositiveFraction: number | null;
  centroidShiftMm: number | null;
  voxel?: VoxelConventionResult;
  surfel?: SurfelConventionResult;
  plastimatch?: PlastimatchConventionResult;
  /** Why each null field is null, keyed by path ("dice", "voxel.hd95Mm", …). */
  nullReasons: Record<string, NullReason>;
}

export interface ComputeMetricsOptions {
  /** Physician mask, Uint8Array of nx·ny·nz in index order i + nx·(j + ny·k); non-zero = inside. */
  reference: Uint8Array;
  /** Machine mask, same grid. */
  test: Uint8Array;
  grid: Grid;
  /** Surface Dice tolerance (mm), default 2. */
  toleranceMm?: number;
  /** Default ['voxel', 'surfel']. */
  conventions?: readonly Convention[];
  /** Percentile for HD95-type values, default 95. */
  percent?: number;
  /**
   * Optional inclusive range [k0, k1] of slices (third index) outside which both masks are known
   * to be all zero: the overlap pass, the only one over the whole image, visits only these. The
   * metrics CLI finds it with native comparisons while reading the files (lib/nifti
   * occupiedSlices). The results are the same; a range that cuts a mask gives wrong ones.
   */
  slices?: readonly [number, number];
}

/**
 * Overlap and surface metrics of one mask pair, in the CLI JSON shape.
 * Surface distances are computed once per sampling (voxel, surfel); `plastimatch` reads the
 * voxel distances. Infinite distances (one mask empty) and undefined values (both empty) become
 * null with a reason in `nullReasons`.
 * @throws MetricsError INVALID_INPUT for a bad grid, mismatched mask lengths, a negative or
 *   non-finite tolerance, or an unknown convention.
 */
export function computeMetrics(options: ComputeMetricsOptions): MetricsResult {
  const { reference, test, grid } = options;
  const toleranceMm = options.toleranceMm ?? 2;
  const conventions = options.conventions ?? ['voxel', 'surfel'];
  const percent = options.percent ?? 95;
  validateMaskPair(reference, test, grid);
  if (!Number.isFinite(toleranceMm) || toleranceMm < 0) {
    throw new MetricsError('INVALID_INPUT', `toleranceMm is ${toleranceMm}; it must be a finite number ≥ 0 mm`);
  }
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new MetricsError('INVALID_INPUT', `percent is ${percent}; it must be in [0, 100]`);
  }
  for (const c of conventions) {
    if (!ALL_CONVENTIONS.includes(c)) {
      throw new MetricsError('INVALID_INPUT', `Unknown convention "${c}"; use ${ALL_CONVENTIONS.join(', ')}`);
    }
  }
  const o = computeOverlap(reference, test, grid, options.slices);
  const empty = emptinessReason(o.referenceVoxels, o.testVoxels);
  const nullReasons: Record<string, NullReason> = { ...o.nullReasons };
  const fin = (path: string, x: number | null): number | null => {
    if (x !== null && Number.isFinite(x)) return x;
    nullReasons[path] = empty ?? 'BOTH_EMPTY';
    return null;
  };
  const result: MetricsResult = {
    dice: o.dice,
    jaccard: o.jaccard,
    referenceVoxels: o.referenceVoxels,
    testVoxels: o.testVoxels,
    truePositiveVoxels: o.truePositiveVoxels,
    falsePositiveVoxels: o.falsePositiveVoxels,
    falseNegativeVoxels: o.falseNegativeVoxels,
    referenceVolumeCc: o.referenceVolumeCc,
    testVolumeCc: o.testVolumeCc,
    falsePositiveVolumeCc: o.falsePositiveVolumeCc,
    falseNegativeVolumeCc: o.falseNegativeVolumeCc,
    falsePositiveFraction: o.falsePositiveFraction,
    centroidShiftMm: o.centroidShiftMm,
    nullReasons,
  };
  // Shared by the conventions: the bounding boxes (from the overlap pass), one padded copy of
  // each mask cropped to the union box (both boundary extractions read it), the lattice offsets
  // of the local search (they depend on the spacing only), and one EDT work buffer, sized for the
  // larger (surfel) corner box and made only if some query lies beyond the local search's radius.
  // The voxel and surfel distances themselves cannot share a transform: their sites are on
  // different lattices (voxel centres vs voxel corners), see docs/metrics.md.
  const union = unionBox(o.referenceBox, o.testBox);
  let scratchBuf: Float64Array | undefined;
  const scratch = (n: number): Float64Array => {
    if (!scratchBuf || scratchBuf.length < n) {
      scratchBuf = new Float64Array(Math.max(n, union ? scratchSizeFor(union, conventions.includes('surfel') ? 'surfel' : 'voxel') : 0));
    }
    return scratchBuf;
  };
  const offsets = union ? offsetTable(grid.spacingMm) : undefined;
  const padded: NonNullable<SurfaceDistanceOptions['padded']> = new Map();
  const boxes = { referenceBox: o.referenceBox, testBox: o.testBox, scratch, offsets, padded };
  let voxelSd: SurfaceDistances | null = null;
  if (conventions.includes('voxel') || conventions.includes('plastimatch')) {
    voxelSd = computeSurfaceDistances(reference, test, grid, 'voxel', boxes);
  }
  if (conventions.includes('voxel') && voxelSd) {
    result.voxel = {
      hausdorffMm: fin('voxel.hausdorffMm', hausdorffMm(voxelSd)),
      hd95Mm: fin('voxel.hd95Mm', percentileHausdorffMm(voxelSd, percent)),
      meanSurfaceDistanceMm: fin('voxel.meanSurfaceDistanceMm', meanSurfaceDistanceMm(voxelSd)),
      surfaceDice: fin('voxel.surfaceDice', surfaceDice(voxelSd, toleranceMm)),
      toleranceMm,
    };
  }
  if (conventions.includes('surfel')) {
    const sd = computeSurfaceDistances(reference, test, grid, 'surfel', boxes);
    const avg = averageSurfaceDistanceMm(sd);
    result.surfel = {
      hausdorffMm: fin('surfel.hausdorffMm', hausdorffMm(sd)),
      hd95Mm: fin('surfel.hd95Mm', percentileHausdorffMm(sd, percent)),
      averageSurfaceDistanceMm: [fin('surfel.averageSurfaceDistanceMm.0', avg ? avg[0] : null), fin('surfel.averageSurfaceDistanceMm.1', avg ? avg[1] : null)],
      surfaceDice: fin('surfel.surfaceDice', surfaceDice(sd, toleranceMm)),
      toleranceMm,
    };
  }
  if (conventions.includes('plastimatch') && voxelSd) {
    const sd = plastimatchDistances(reference, test, grid, union, offsets) ?? voxelSd;
    result.plastimatch = {
      hausdorffMm: fin('plastimatch.hausdorffMm', hausdorffMm(sd)),
      averageHausdorffMm: fin('plastimatch.averageHausdorffMm', plastimatchAverageHausdorffMm(sd)),
      percentHausdorffMm: fin('plastimatch.percentHausdorffMm', plastimatchPercentHausdorffMm(sd, percent / 100)),
      fraction: percent / 100,
    };
  }
  return result;
}

/**
 * `voxel` distances as plastimatch 1.9.4 `dice --all` computes its "(boundary)" measures. It
 * crops both masks to the union bounding box before the distance maps, and along an axis where
 * that box spans the whole image (first to last index) the crop loses the last index, so that
 * layer of both masks is dropped and the cut becomes boundary. (Observed, not read from its
 * source: it is consistent with a one-voxel-padded box whose size comes out one short when the
 * padding is clamped at index 0; it reproduces all 14 plastimatch fixtures, and cropping in any
 * other case does not.) Interior masks are unaffected. Returns null (use the uncropped
 * distances) when nothing is dropped or when the crop leaves a mask empty.
 */
function plastimatchDistances(
  reference: Uint8Array,
  test: Uint8Array,
  grid: Grid,
  union: IndexBox | null,
  offsets: OffsetTable | undefined,
): SurfaceDistances | null {
  // drop, lo and size have one entry per axis; voxel indices are bounded by the loops, hence the `!`s.
  if (!union) return null;
  const lo = union.lo;
  const drop = [0, 1, 2].map((a) => (union.lo[a] === 0 && union.hi[a] === grid.dims[a]! - 1 ? 1 : 0));
  if (!drop.some(Boolean)) return null;
  const size = [0, 1, 2].map((a) => union.hi[a]! - lo[a]! + 1 - drop[a]!);
  if (size.some((n) => n < 1)) return null;
  const [nx, ny] = grid.dims;
  const n = size[0]! * size[1]! * size[2]!;
  const r = new Uint8Array(n);
  const t = new Uint8Array(n);
  let anyR = 0,
    anyT = 0;
  for (let k = 0, q = 0; k < size[2]!; k++) {
    for (let j = 0; j < size[1]!; j++) {
      const row = lo[0] + nx * (lo[1] + j + ny * (lo[2] + k));
      for (let i = 0; i < size[0]!; i++, q++) {
        r[q] = reference[row + i] !== 0 ? 1 : 0;
        t[q] = test[row + i] !== 0 ? 1 : 0;
        anyR |= r[q]!;
        anyT |= t[q]!;
      }
    }
  }
  if (!anyR || !anyT) return null;
  const cropGrid: Grid = { ...grid, dims: [size[0]!, size[1]!, size[2]!] };
  return computeSurfaceDistances(r, t, cropGrid, 'voxel', { offsets });
}
