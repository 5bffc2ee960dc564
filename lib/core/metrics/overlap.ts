import { indexToPatientMm, voxelVolumeCc, type Grid, type Vec3 } from '@/lib/core/volume';
import { boundingBox, type IndexBox } from './bbox';
import type { NullReason } from './errors';
import { validateMaskPair } from './validate';

/** Volume-overlap measures of a test mask against a reference mask (reference = physician). */
export interface OverlapResult {
  referenceVoxels: number;
  testVoxels: number;
  truePositiveVoxels: number;
  /** Test ∖ reference (machine contoured, physician did not), on the native grid. */
  falsePositiveVoxels: number;
  /** Reference ∖ test. */
  falseNegativeVoxels: number;
  referenceVolumeCc: number;
  testVolumeCc: number;
  truePositiveVolumeCc: number;
  falsePositiveVolumeCc: number;
  falseNegativeVolumeCc: number;
  /** 2·TP / (|R| + |T|); null when both masks are empty. */
  dice: number | null;
  /** TP / |R ∪ T|; null when both masks are empty. */
  jaccard: number | null;
  /** FP voxels / test voxels (share of the machine volume); null when the test mask is empty. */
  falsePositiveFraction: number | null;
  /** Patient position (mm, LPS) of each mask's centroid; null when that mask is empty. */
  referenceCentroidMm: Vec3 | null;
  testCentroidMm: Vec3 | null;
  /** Euclidean distance (mm) between the two centroids; null when either mask is empty. */
  centroidShiftMm: number | null;
  /** Test minus reference centroid (mm, LPS); null when either mask is empty. */
  centroidShiftVectorMm: Vec3 | null;
  /** Null reasons for the fields above that are null. */
  nullReasons: Record<string, NullReason>;
  /** Inclusive index bounding boxes (null when empty); reused by the surface metrics. */
  referenceBox: IndexBox | null;
  testBox: IndexBox | null;
}

/** Emptiness of a pair: null when both masks have voxels. */
export function emptinessReason(referenceVoxels: number, testVoxels: number): NullReason | null {
  if (referenceVoxels === 0 && testVoxels === 0) return 'BOTH_EMPTY';
  if (referenceVoxels === 0) return 'REFERENCE_EMPTY';
  if (testVoxels === 0) return 'TEST_EMPTY';
  return null;
}

/**
 * Overlap of two binary masks on the same grid (any non-zero voxel is inside).
 * One pass over both arrays, restricted to the union bounding box.
 * Centroids are voxel-centre means mapped through the grid's origin, direction and spacing.
 * @param reference physician mask, Uint8Array of nx·ny·nz
 * @param test machine mask, same shape
 * @throws MetricsError INVALID_INPUT on a bad grid or mismatched lengths.
 * Reference: Dice (1945), Jaccard (1912); FP measures as in the iSeg study (DESIGN.md glossary).
 */
export function computeOverlap(reference: Uint8Array, test: Uint8Array, grid: Grid): OverlapResult {
  validateMaskPair(reference, test, grid);
  const [nx, ny] = grid.dims;
  const referenceBox = boundingBox(grid.dims, reference);
  const testBox = boundingBox(grid.dims, test);
  let nr = 0, nt = 0, tp = 0;
  let rx = 0, ry = 0, rz = 0, tx = 0, ty = 0, tz = 0;
  const boxes = [referenceBox, testBox].filter((b): b is IndexBox => b !== null);
  if (boxes.length) {
    const lo = [0, 1, 2].map((a) => Math.min(...boxes.map((b) => b.lo[a])));
    const hi = [0, 1, 2].map((a) => Math.max(...boxes.map((b) => b.hi[a])));
    for (let k = lo[2]; k <= hi[2]; k++) {
      for (let j = lo[1]; j <= hi[1]; j++) {
        const row = nx * (j + ny * k);
        // Per-row counts keep the inner loop to integer adds; sums of i are exact in doubles.
        let rRow = 0, tRow = 0, rI = 0, tI = 0, tpRow = 0;
        for (let i = lo[0]; i <= hi[0]; i++) {
          const r = reference[row + i] !== 0 ? 1 : 0;
          const t = test[row + i] !== 0 ? 1 : 0;
          rRow += r;
          tRow += t;
          tpRow += r & t;
          rI += r * i;
          tI += t * i;
        }
        nr += rRow; nt += tRow; tp += tpRow;
        rx += rI; ry += rRow * j; rz += rRow * k;
        tx += tI; ty += tRow * j; tz += tRow * k;
      }
    }
  }
  const vcc = voxelVolumeCc(grid);
  const fp = nt - tp;
  const fn = nr - tp;
  const nullReasons: Record<string, NullReason> = {};
  const empty = emptinessReason(nr, nt);
  const referenceCentroidMm = nr > 0 ? indexToPatientMm(grid, rx / nr, ry / nr, rz / nr) : null;
  const testCentroidMm = nt > 0 ? indexToPatientMm(grid, tx / nt, ty / nt, tz / nt) : null;
  let centroidShiftVectorMm: Vec3 | null = null;
  let centroidShiftMm: number | null = null;
  if (referenceCentroidMm && testCentroidMm) {
    centroidShiftVectorMm = [
      testCentroidMm[0] - referenceCentroidMm[0],
      testCentroidMm[1] - referenceCentroidMm[1],
      testCentroidMm[2] - referenceCentroidMm[2],
    ];
    centroidShiftMm = Math.hypot(...centroidShiftVectorMm);
  } else if (empty) {
    nullReasons.centroidShiftMm = empty;
  }
  let dice: number | null = null;
  let jaccard: number | null = null;
  if (nr + nt > 0) {
    dice = (2 * tp) / (nr + nt);
    jaccard = tp / (nr + nt - tp);
  } else {
    nullReasons.dice = 'BOTH_EMPTY';
    nullReasons.jaccard = 'BOTH_EMPTY';
  }
  let falsePositiveFraction: number | null = null;
  if (nt > 0) falsePositiveFraction = fp / nt;
  else nullReasons.falsePositiveFraction = empty ?? 'TEST_EMPTY';
  return {
    referenceVoxels: nr,
    testVoxels: nt,
    truePositiveVoxels: tp,
    falsePositiveVoxels: fp,
    falseNegativeVoxels: fn,
    referenceVolumeCc: nr * vcc,
    testVolumeCc: nt * vcc,
    truePositiveVolumeCc: tp * vcc,
    falsePositiveVolumeCc: fp * vcc,
    falseNegativeVolumeCc: fn * vcc,
    dice,
    jaccard,
    falsePositiveFraction,
    referenceCentroidMm,
    testCentroidMm,
    centroidShiftMm,
    centroidShiftVectorMm,
    nullReasons,
    referenceBox,
    testBox,
  };
}
