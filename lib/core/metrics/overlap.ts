import { indexToPatientMm, voxelVolumeCc, type Grid, type Vec3 } from '@/lib/core/volume';
import type { IndexBox } from './bbox';
import { MetricsError, type NullReason } from './errors';
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
 * One pass over both arrays (all-zero rows skipped word-wise); also returns both bounding boxes.
 * Centroids are voxel-centre means mapped through the grid's origin, direction and spacing.
 * @param reference physician mask, Uint8Array of nx·ny·nz
 * @param test machine mask, same shape
 * @param slices optional inclusive range [k0, k1] of slices (third index) outside which both masks
 *   are known to be all zero (the metrics CLI finds it natively, lib/nifti occupiedSlices): the
 *   pass visits only these slices. Skipping zero slices changes no sum, so the result is the same.
 * @throws MetricsError INVALID_INPUT on a bad grid, mismatched lengths or a bad slice range.
 * Reference: Dice (1945), Jaccard (1912); FP measures as in the iSeg study (docs/metrics.md).
 */
export function computeOverlap(reference: Uint8Array, test: Uint8Array, grid: Grid, slices?: readonly [number, number]): OverlapResult {
  // w < (row + nx) / 4 ≤ the word arrays' length, hence the `!`.
  validateMaskPair(reference, test, grid);
  const [nx, ny, nz] = grid.dims;
  if (slices !== undefined && !(Number.isInteger(slices[0]) && Number.isInteger(slices[1]) && 0 <= slices[0] && slices[0] <= slices[1] && slices[1] < nz)) {
    throw new MetricsError('INVALID_INPUT', `slices is [${slices.join(', ')}]; it must be an inclusive range of slice indices within 0…${nz - 1}`);
  }
  const k0 = slices ? slices[0] : 0;
  const k1 = slices ? slices[1] + 1 : nz;
  let nr = 0,
    nt = 0,
    tp = 0;
  let rx = 0,
    ry = 0,
    rz = 0,
    tx = 0,
    ty = 0,
    tz = 0;
  const rLo: Vec3 = [nx, ny, nz],
    rHi: Vec3 = [-1, -1, -1],
    tLo: Vec3 = [nx, ny, nz],
    tHi: Vec3 = [-1, -1, -1];
  // Whole-row skipping through 32-bit views when rows are word-aligned (nx % 4 == 0).
  const words = nx % 4 === 0 && reference.byteOffset % 4 === 0 && test.byteOffset % 4 === 0;
  const r32 = words ? new Uint32Array(reference.buffer, reference.byteOffset, reference.length >> 2) : null;
  const t32 = words ? new Uint32Array(test.buffer, test.byteOffset, test.length >> 2) : null;
  const rowWords = nx >> 2;
  for (let k = k0; k < k1; k++) {
    for (let j = 0; j < ny; j++) {
      const row = nx * (j + ny * k);
      // The voxel range [i0, i1) of the row that can hold either mask: whole words from the
      // first to the last non-zero one (the row is skipped when there is none).
      let i0 = 0,
        i1 = nx;
      if (r32 && t32) {
        const w0 = row >> 2,
          end = w0 + rowWords;
        let first = w0;
        while (first < end && (r32[first]! | t32[first]!) === 0) first++;
        if (first === end) continue;
        let last = end - 1;
        while ((r32[last]! | t32[last]!) === 0) last--;
        i0 = (first - w0) << 2;
        i1 = (last - w0 + 1) << 2;
      }
      // Per-row counts keep the inner loop to integer adds; sums of i are exact in doubles.
      let rRow = 0,
        tRow = 0,
        rI = 0,
        tI = 0,
        tpRow = 0;
      let rFirst = -1,
        rLast = -1,
        tFirst = -1,
        tLast = -1;
      for (let i = i0; i < i1; i++) {
        const r = reference[row + i] !== 0 ? 1 : 0;
        const t = test[row + i] !== 0 ? 1 : 0;
        if (r) {
          if (rFirst < 0) rFirst = i;
          rLast = i;
          rRow++;
          rI += i;
          tpRow += t;
        }
        if (t) {
          if (tFirst < 0) tFirst = i;
          tLast = i;
          tRow++;
          tI += i;
        }
      }
      if (rRow) {
        nr += rRow;
        rx += rI;
        ry += rRow * j;
        rz += rRow * k;
        extend(rLo, rHi, rFirst, rLast, j, k);
      }
      if (tRow) {
        nt += tRow;
        tx += tI;
        ty += tRow * j;
        tz += tRow * k;
        extend(tLo, tHi, tFirst, tLast, j, k);
      }
      tp += tpRow;
    }
  }
  const referenceBox: IndexBox | null = nr ? { lo: rLo, hi: rHi } : null;
  const testBox: IndexBox | null = nt ? { lo: tLo, hi: tHi } : null;
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

function extend(lo: Vec3, hi: Vec3, first: number, last: number, j: number, k: number): void {
  if (first < lo[0]) lo[0] = first;
  if (last > hi[0]) hi[0] = last;
  if (j < lo[1]) lo[1] = j;
  if (j > hi[1]) hi[1] = j;
  if (k < lo[2]) lo[2] = k;
  if (k > hi[2]) hi[2] = k;
}
