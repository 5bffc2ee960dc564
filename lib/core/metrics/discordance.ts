import { indexToPatientMm, voxelVolumeCc, type Grid, type Vec3 } from '@/lib/core/volume';
import { boundingBox, unionBox, type IndexBox } from './bbox';
import { squaredEdtInPlace } from './edt';
import { validateMaskPair } from './validate';

/** One connected region where the machine and the physician disagree. */
export interface DiscordanceRegion {
  /** FP: test ∖ reference (machine added tissue); FN: reference ∖ test (machine missed it). */
  kind: 'FP' | 'FN';
  voxelCount: number;
  volumeCc: number;
  /** Mean voxel-centre position, patient mm (LPS). */
  centroidMm: Vec3;
  /**
   * Distance (mm) from the region's voxel centres to the other contour's surface: for FP, to
   * the nearest reference voxel; for FN, to the nearest test voxel (for a voxel outside a mask
   * the nearest mask voxel is always one of its boundary voxels, so this is the distance to the
   * voxel-convention surface). Infinite distances (other mask empty) are reported as null.
   */
  maxDistanceMm: number | null;
  meanDistanceMm: number | null;
  /** Inclusive slice (k) index range the region spans. */
  sliceRange: [number, number];
  /** Inclusive voxel index box of the region. */
  box: IndexBox;
}

export interface DiscordanceResult {
  falsePositive: DiscordanceRegion[];
  falseNegative: DiscordanceRegion[];
}

export interface FindDiscordanceOptions {
  reference: Uint8Array;
  test: Uint8Array;
  grid: Grid;
  /** Drop regions smaller than this many voxels (default 1: keep all). */
  minVoxels?: number;
}

/**
 * 26-connected components of the FP voxels (test ∖ reference) and of the FN voxels
 * (reference ∖ test), each with volume, centroid, distance to the other contour and slice span,
 * sorted by volume descending (ties: lower first voxel index first).
 * Work is confined to the union bounding box; one exact EDT per kind.
 * @throws MetricsError INVALID_INPUT on a bad grid or mismatched lengths.
 */
export function findDiscordanceRegions(options: FindDiscordanceOptions): DiscordanceResult {
  const { reference, test, grid } = options;
  validateMaskPair(reference, test, grid);
  const minVoxels = options.minVoxels ?? 1;
  const box = unionBox(boundingBox(grid.dims, reference), boundingBox(grid.dims, test));
  if (!box) return { falsePositive: [], falseNegative: [] };
  return {
    falsePositive: regionsOf('FP', test, reference, grid, box, minVoxels),
    falseNegative: regionsOf('FN', reference, test, grid, box, minVoxels),
  };
}

/** Components of `inA && !inB`, with distances to the nearest voxel of B. */
function regionsOf(kind: 'FP' | 'FN', a: Uint8Array, b: Uint8Array, grid: Grid, box: IndexBox, minVoxels: number): DiscordanceRegion[] {
  // head < tail ≤ queue.length and q is a voxel of the box, hence the `!`s.
  const [nx, ny] = grid.dims;
  const cx = box.hi[0] - box.lo[0] + 1;
  const cy = box.hi[1] - box.lo[1] + 1;
  const cz = box.hi[2] - box.lo[2] + 1;
  const n = cx * cy * cz;
  // diff: 1 where A∖B; dist: squared EDT to B's voxels.
  const diff = new Uint8Array(n);
  const dist = new Float64Array(n).fill(Infinity);
  let anyDiff = false;
  let anyB = false;
  for (let k = 0, q = 0; k < cz; k++) {
    for (let j = 0; j < cy; j++) {
      const row = box.lo[0] + nx * (box.lo[1] + j + ny * (box.lo[2] + k));
      for (let i = 0; i < cx; i++, q++) {
        const inB = b[row + i] !== 0;
        if (inB) {
          dist[q] = 0;
          anyB = true;
        } else if (a[row + i] !== 0) {
          diff[q] = 1;
          anyDiff = true;
        }
      }
    }
  }
  if (!anyDiff) return [];
  if (anyB) squaredEdtInPlace(dist, [cx, cy, cz], grid.spacingMm);
  const vcc = voxelVolumeCc(grid);
  const plane = cx * cy;
  const queue = new Int32Array(n);
  const regions: (DiscordanceRegion & { first: number })[] = [];
  for (let seed = 0; seed < n; seed++) {
    if (diff[seed] !== 1) continue;
    diff[seed] = 2;
    let head = 0,
      tail = 0;
    queue[tail++] = seed;
    let count = 0,
      si = 0,
      sj = 0,
      sk = 0,
      maxD = 0,
      sumD = 0;
    const lo: Vec3 = [cx, cy, cz];
    const hi: Vec3 = [-1, -1, -1];
    while (head < tail) {
      const q = queue[head++]!;
      const k = Math.floor(q / plane);
      const rem = q - k * plane;
      const j = Math.floor(rem / cx);
      const i = rem - j * cx;
      count++;
      si += i;
      sj += j;
      sk += k;
      if (i < lo[0]) lo[0] = i;
      if (i > hi[0]) hi[0] = i;
      if (j < lo[1]) lo[1] = j;
      if (j > hi[1]) hi[1] = j;
      if (k < lo[2]) lo[2] = k;
      if (k > hi[2]) hi[2] = k;
      const d = Math.sqrt(dist[q]!);
      if (d > maxD) maxD = d;
      sumD += d;
      for (let dk = -1; dk <= 1; dk++) {
        const kk = k + dk;
        if (kk < 0 || kk >= cz) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= cy) continue;
          for (let di = -1; di <= 1; di++) {
            const ii = i + di;
            if (ii < 0 || ii >= cx) continue;
            const p = ii + cx * (jj + cy * kk);
            if (diff[p] === 1) {
              diff[p] = 2;
              queue[tail++] = p;
            }
          }
        }
      }
    }
    if (count < minVoxels) continue;
    const off = box.lo;
    regions.push({
      kind,
      voxelCount: count,
      volumeCc: count * vcc,
      centroidMm: indexToPatientMm(grid, off[0] + si / count, off[1] + sj / count, off[2] + sk / count),
      maxDistanceMm: Number.isFinite(maxD) ? maxD : null,
      meanDistanceMm: Number.isFinite(sumD) ? sumD / count : null,
      sliceRange: [off[2] + lo[2], off[2] + hi[2]],
      box: {
        lo: [off[0] + lo[0], off[1] + lo[1], off[2] + lo[2]],
        hi: [off[0] + hi[0], off[1] + hi[1], off[2] + hi[2]],
      },
      first: seed,
    });
  }
  regions.sort((x, y) => y.voxelCount - x.voxelCount || x.first - y.first);
  return regions.map(({ first: _first, ...r }) => r);
}
