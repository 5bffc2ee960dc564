import { xyz, type Grid, type Vec3 } from '@/lib/core/volume';
import { boundingBox, unionBox, type IndexBox } from './bbox';
import { distancesToSites } from './edt';
import { bruteForceDistances, localDistances, offsetTable, sortedByRank, type OffsetTable } from './local-search';
import type { NullReason } from './errors';
import { emptinessReason } from './overlap';
import { surfelAreaTable } from './surfel-table';
import { validateMaskPair } from './validate';

/** How surfaces are sampled; see docs/metrics.md. */
export type SurfaceSampling = 'voxel' | 'surfel';

/**
 * Directed surface distances of one mask pair, computed once and read by the metric functions
 * (hausdorffMm, percentileHausdorffMm, …). Distances are sorted ascending; for `surfel` the
 * areas are in the same order (ties in distance ordered by area, as surface-distance does).
 */
export interface SurfaceDistances {
  sampling: SurfaceSampling;
  /** Distance (mm) from each reference surface element to the test surface. */
  referenceToTestMm: Float64Array;
  /** Distance (mm) from each test surface element to the reference surface. */
  testToReferenceMm: Float64Array;
  /** `surfel` only: area (mm²) of each reference surface element; null for `voxel`. */
  referenceAreasMm2: Float64Array | null;
  testAreasMm2: Float64Array | null;
  /** Null when both masks have voxels; otherwise which is empty. */
  empty: NullReason | null;
}

export interface SurfaceDistanceOptions {
  /** Precomputed inclusive bounding boxes (from computeOverlap) to skip a scan. */
  referenceBox?: IndexBox | null;
  testBox?: IndexBox | null;
  /**
   * Reusable work buffer for the distance transform (used when large enough: the union box,
   * plus one corner row per axis for `surfel`), or a function that makes it on first use. Lets
   * one allocation serve both samplings, and none when the local search answers every query.
   */
  scratch?: Float64Array | ((n: number) => Float64Array);
  /** Lattice offsets for the local search (offsetTable(grid.spacingMm)); shared between samplings. */
  offsets?: OffsetTable;
  /**
   * 'auto' (default): local search over sorted lattice offsets, the EDT for queries beyond its
   * radius; 'edt': the distance transform for every query. Both give the same distances.
   */
  method?: 'auto' | 'edt';
  /** Far queries × sites up to which those queries are answered by brute force (default 2·10⁷; tests lower it to reach the EDT). */
  bruteForcePairs?: number;
  /**
   * Padded copies of the masks, made once and shared by both samplings' boundary extraction
   * (computeMetrics passes one Map for the whole pair). Keyed by the mask array.
   */
  padded?: Map<Uint8Array, Padded>;
}

/** A padded crop of a mask (see paddedCopy) with the extent of every pad row. */
interface Padded {
  data: Uint8Array;
  /** Per pad row (index y + py·z): first and last x holding a voxel, −1 for an empty row. */
  first: Int32Array;
  last: Int32Array;
  /** 1 when the row's voxels are one run from first to last (no gap). */
  solid: Uint8Array;
}

/**
 * The mask cropped to `box` with one background voxel on every side, as 0/1 bytes: pad index =
 * voxel − box.lo + 1 per axis, size (box + 2) per axis. Both boundaries are read off it: the
 * voxel boundary (6-neighbours, no grid-edge tests needed) and the surfels (2×2×2 corners).
 * Outside the box both masks are background (the box bounds them), so the margin is exact.
 */
function paddedCopy(mask: Uint8Array, grid: Grid, box: IndexBox, cache?: Map<Uint8Array, Padded>): Padded {
  // Row and voxel indices are bounded by the loops (arrays sized from the same counts), hence the `!`s.
  const hit = cache?.get(mask);
  const px = box.hi[0] - box.lo[0] + 3,
    py = box.hi[1] - box.lo[1] + 3,
    pz = box.hi[2] - box.lo[2] + 3;
  if (hit && hit.data.length === px * py * pz) return hit;
  const [nx, ny] = grid.dims;
  const data = new Uint8Array(px * py * pz);
  const first = new Int32Array(py * pz).fill(-1);
  const last = new Int32Array(py * pz).fill(-1);
  const solid = new Uint8Array(py * pz);
  for (let k = box.lo[2]; k <= box.hi[2]; k++) {
    for (let j = box.lo[1]; j <= box.hi[1]; j++) {
      const src = nx * (j + ny * k) + box.lo[0];
      const r = j - box.lo[1] + 1 + py * (k - box.lo[2] + 1);
      const dst = px * r;
      let f = -1,
        l = -1,
        count = 0;
      for (let x = 1, i = src; x < px - 1; x++, i++) {
        if (mask[i] === 0) continue;
        data[dst + x] = 1;
        if (f < 0) f = x;
        l = x;
        count++;
      }
      first[r] = f;
      last[r] = l;
      solid[r] = f >= 0 && count === l - f + 1 ? 1 : 0;
    }
  }
  const out = { data, first, last, solid };
  cache?.set(mask, out);
  return out;
}

/**
 * Directed distances with a first, banded attempt: most pairs worth auditing lie within a few
 * voxels of each other, and the band skips the work far from the surface. If any query lies
 * beyond the band the transform is rerun in full, so the result is always exact.
 */
function directedDistances(buf: Float64Array, dims: number[], spacingMm: readonly number[], sites: Int32Array, queries: Int32Array): Float64Array {
  // spacingMm is [sx, sy, sz], hence the `!`s.
  if (sites.length === 0) return distancesToSites(buf, dims, spacingMm, sites, queries);
  const bandMm = BAND_VOXELS * Math.max(spacingMm[0]!, spacingMm[1]!, spacingMm[2]!);
  const banded = distancesToSites(buf, dims, spacingMm, sites, queries, bandMm);
  for (let q = 0; q < banded.length; q++) {
    if (banded[q] === Infinity) return distancesToSites(buf, dims, spacingMm, sites, queries);
  }
  return banded;
}
const BAND_VOXELS = 5;
/** Far queries × sites up to which brute force replaces the EDT (about 20–40 ms). */
const BRUTE_FORCE_PAIRS = 20_000_000;

/** The scratch buffer when large enough, else a new one. */
function scratchOf(scratch: SurfaceDistanceOptions['scratch'], n: number): Float64Array {
  const buf = typeof scratch === 'function' ? scratch(n) : scratch;
  return buf && buf.length >= n ? buf : new Float64Array(n);
}

/** Distances in one direction; `rank` (into offsets.distinct) when the local search answered every query. */
interface Directed {
  dist: Float64Array;
  rank: Int32Array | null;
  offsets: OffsetTable | null;
}

/**
 * Directed distances from `queries` to the nearest of `sites`: the local search first (exact
 * within its radius), the EDT for the queries beyond it, or for all when too many are.
 */
function directed(options: SurfaceDistanceOptions, dims: number[], spacingMm: readonly number[], sites: Int32Array, queries: Int32Array): Directed {
  const n = dims[0]! * dims[1]! * dims[2]!;
  if (sites.length === 0 || queries.length === 0 || options.method === 'edt') {
    return { dist: directedDistances(scratchOf(options.scratch, n), dims, spacingMm, sites, queries), rank: null, offsets: null };
  }
  const offsets = options.offsets ?? offsetTable(spacingMm);
  const local = localDistances(offsets, dims, sites, queries);
  if (!local) return { dist: directedDistances(scratchOf(options.scratch, n), dims, spacingMm, sites, queries), rank: null, offsets: null };
  if (local.unresolved.length === 0) return { dist: local.distMm, rank: local.rank, offsets };
  const far = new Int32Array(local.unresolved.length);
  for (let u = 0; u < far.length; u++) far[u] = queries[local.unresolved[u]!]!;
  // A few far queries (a distant blob): brute force over the sites; otherwise the EDT.
  const farDist =
    far.length * sites.length <= (options.bruteForcePairs ?? BRUTE_FORCE_PAIRS)
      ? bruteForceDistances(dims, spacingMm, sites, far)
      : directedDistances(scratchOf(options.scratch, n), dims, spacingMm, sites, far);
  for (let u = 0; u < far.length; u++) local.distMm[local.unresolved[u]!] = farDist[u]!;
  return { dist: local.distMm, rank: null, offsets: null };
}

/** Number of Float64 elements a scratch buffer needs for `sampling` on this box. */
export function scratchSizeFor(box: IndexBox, sampling: SurfaceSampling): number {
  const extra = sampling === 'surfel' ? 2 : 1;
  return (box.hi[0] - box.lo[0] + extra) * (box.hi[1] - box.lo[1] + extra) * (box.hi[2] - box.lo[2] + extra);
}

/**
 * Distances between the surfaces of two masks on the same grid.
 *
 * - `voxel`: the surface is the mask XOR its 6-connected erosion (outside the grid is
 *   background); a distance runs between boundary voxel centres (MONAI with spacing).
 * - `surfel`: surface elements sit at voxel corners; each corner whose 2×2×2 neighbourhood is
 *   mixed is a surfel, weighted by its marching-cubes area; distances run between corners
 *   (Nikolov et al. 2021, surface-distance `compute_surface_distances`).
 *
 * Both use an exact squared EDT with the grid spacing on the union bounding box (plus the corner
 * row for `surfel`). When one mask is empty its surface is empty and every distance from the
 * other is +Infinity; when both are empty both arrays are empty.
 *
 * @param reference physician mask, Uint8Array nx·ny·nz (non-zero = inside)
 * @param test machine mask, same shape
 * @throws MetricsError INVALID_INPUT on a bad grid or mismatched lengths.
 */
export function computeSurfaceDistances(
  reference: Uint8Array,
  test: Uint8Array,
  grid: Grid,
  sampling: SurfaceSampling,
  options: SurfaceDistanceOptions = {},
): SurfaceDistances {
  validateMaskPair(reference, test, grid);
  const rBox = options.referenceBox !== undefined ? options.referenceBox : boundingBox(grid.dims, reference);
  const tBox = options.testBox !== undefined ? options.testBox : boundingBox(grid.dims, test);
  const box = unionBox(rBox, tBox);
  const empty = emptinessReason(rBox ? 1 : 0, tBox ? 1 : 0);
  if (!box) {
    return {
      sampling,
      referenceToTestMm: new Float64Array(0),
      testToReferenceMm: new Float64Array(0),
      referenceAreasMm2: sampling === 'surfel' ? new Float64Array(0) : null,
      testAreasMm2: sampling === 'surfel' ? new Float64Array(0) : null,
      empty,
    };
  }
  return sampling === 'voxel' ? voxelDistances(reference, test, grid, box, empty, options) : surfelDistances(reference, test, grid, box, empty, options);
}

/**
 * Box-local linear indices (ascending) of the boundary voxels (mask XOR 6-erosion; outside the
 * grid is background), read off the padded copy.
 */
function voxelBoundary(padded: Padded, box: IndexBox): Int32Array {
  // Pad indices of interior voxels have all six neighbours inside the pad, hence the `!`s.
  const pad = padded.data;
  const { first, last, solid } = padded;
  const bx = box.hi[0] - box.lo[0] + 1,
    by = box.hi[1] - box.lo[1] + 1,
    bz = box.hi[2] - box.lo[2] + 1;
  const px = bx + 2,
    py = by + 2;
  const pplane = px * py;
  let out = new Int32Array(1024);
  let n = 0;
  const scan = (row: number, localRow: number, x0: number, x1: number) => {
    for (let x = x0; x <= x1; x++) {
      const p = row + x;
      if (pad[p] === 0) continue;
      if (pad[p - 1]! & pad[p + 1]! & pad[p - px]! & pad[p + px]! & pad[p - pplane]! & pad[p + pplane]!) continue;
      if (n === out.length) {
        const grown = new Int32Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[n++] = localRow + x - 1;
    }
  };
  for (let k = 1; k <= bz; k++) {
    for (let j = 1; j <= by; j++) {
      const r = j + py * k;
      const f = first[r]!;
      if (f < 0) continue;
      const l = last[r]!;
      const row = px * r;
      const localRow = bx * (j - 1 + by * (k - 1));
      const nb = [r - 1, r + 1, r - py, r + py];
      // A solid run whose four neighbour rows are solid runs too: voxels strictly inside the run
      // and inside all four neighbours' runs are interior, so only the two ends are scanned.
      let allSolid = solid[r] === 1;
      let maxF = f,
        minL = l;
      for (const q of nb) {
        if (!solid[q]) allSolid = false;
        if (first[q]! > maxF) maxF = first[q]!;
        if (last[q]! < minL) minL = last[q]!;
      }
      if (!allSolid || maxF >= minL) {
        scan(row, localRow, f, l);
        continue;
      }
      const e1 = Math.min(l, Math.max(f, maxF - 1));
      scan(row, localRow, f, e1);
      scan(row, localRow, Math.max(e1 + 1, Math.min(l, minL + 1)), l);
    }
  }
  return out.subarray(0, n);
}

function voxelDistances(
  reference: Uint8Array,
  test: Uint8Array,
  grid: Grid,
  box: IndexBox,
  empty: NullReason | null,
  options: SurfaceDistanceOptions,
): SurfaceDistances {
  const dims: Vec3 = [box.hi[0] - box.lo[0] + 1, box.hi[1] - box.lo[1] + 1, box.hi[2] - box.lo[2] + 1];
  const rb = voxelBoundary(paddedCopy(reference, grid, box, options.padded), box);
  const tb = voxelBoundary(paddedCopy(test, grid, box, options.padded), box);
  const sorted = (d: Directed) => (d.rank && d.offsets ? sortedByRank(d.offsets, d.rank) : d.dist.sort());
  const referenceToTestMm = sorted(directed(options, dims, grid.spacingMm, tb, rb));
  const testToReferenceMm = sorted(directed(options, dims, grid.spacingMm, rb, tb));
  return { sampling: 'voxel', referenceToTestMm, testToReferenceMm, referenceAreasMm2: null, testAreasMm2: null, empty };
}

/**
 * Surfels of one mask on the corner grid of `box` (size +1 per axis): the corners whose 2×2×2
 * neighbourhood is mixed, as box-corner linear indices (ascending) with their codes. Corner
 * (a, b, c) sees the voxels box.lo + (a−1 … a, b−1 … b, c−1 … c); voxels outside the box (or the
 * grid) count as background. `pad` is the padded copy of the mask (paddedCopy), shared with voxelBoundary.
 */
function surfels(padded: Padded, cdims: number[]): { at: Int32Array; codes: Uint8Array } {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const [cx, cy, cz] = xyz(cdims, 'surfels corner-grid dims');
  const pad = padded.data;
  const { first, last, solid } = padded;
  // The padded copy has one background voxel on every side: pad index = voxel − lo + 1.
  const px = cx + 1,
    py = cy + 1;
  let at = new Int32Array(4096);
  let codes = new Uint8Array(4096);
  let n = 0;
  const pplane = px * py;
  // v(x) packs the voxels (x, b…b+1, c…c+1) as bits (db, dc): (0,0)→8, (0,1)→4, (1,0)→2,
  // (1,1)→1; the corner code is v(a) << 4 | v(a + 1), i.e. bit 2^(7 − (4da + 2db + dc)).
  const scan = (p: number, rowBase: number, a0: number, a1: number) => {
    let prev = (pad[p + a0]! << 3) | (pad[p + pplane + a0]! << 2) | (pad[p + px + a0]! << 1) | pad[p + px + pplane + a0]!;
    for (let a = a0; a <= a1; a++) {
      const x = a + 1;
      const next = (pad[p + x]! << 3) | (pad[p + pplane + x]! << 2) | (pad[p + px + x]! << 1) | pad[p + px + pplane + x]!;
      const code = (prev << 4) | next;
      prev = next;
      if (code === 0 || code === 255) continue;
      if (n === at.length) {
        const at2 = new Int32Array(n * 2);
        at2.set(at);
        at = at2;
        const codes2 = new Uint8Array(n * 2);
        codes2.set(codes);
        codes = codes2;
      }
      at[n] = rowBase + a;
      codes[n++] = code;
    }
  };
  for (let c = 0; c < cz; c++) {
    for (let b = 0; b < cy; b++) {
      // The four pad rows of this corner row: (b, c), (b, c + 1), (b + 1, c), (b + 1, c + 1).
      const r = b + py * c;
      const rows = [r, r + py, r + 1, r + 1 + py];
      let lo = Infinity,
        hi = -1,
        maxF = -1,
        minL = Infinity,
        allSolid = true;
      for (const q of rows) {
        const f = first[q]!;
        if (f < 0) {
          allSolid = false;
          continue;
        }
        if (f < lo) lo = f;
        if (last[q]! > hi) hi = last[q]!;
        if (f > maxF) maxF = f;
        if (last[q]! < minL) minL = last[q]!;
        if (!solid[q]) allSolid = false;
      }
      if (hi < 0) continue;
      const p = px * r;
      const rowBase = cx * (b + cy * c);
      // Corners a see voxels a and a + 1: only a in [lo − 1, hi] can touch a voxel; with four
      // solid runs, a in [maxF, minL − 1] sees all ones (code 255) and is skipped.
      if (allSolid && maxF <= minL - 1) {
        scan(p, rowBase, lo - 1, maxF - 1);
        scan(p, rowBase, minL, hi);
      } else scan(p, rowBase, lo - 1, hi);
    }
  }
  return { at: at.subarray(0, n), codes: codes.subarray(0, n) };
}

/**
 * Sort (distance, area) pairs by distance then area, as surface-distance's sorted(zip(...)).
 * Areas take at most 256 values (one per neighbourhood code), so each pair is encoded as the
 * integer (distance rank)·256 + (area rank) and the keys are sorted natively; equal keys are
 * equal pairs, so the decoded sequence is exactly the tuple sort.
 */
function sortPairs(dist: Float64Array, codes: Uint8Array, table: Float64Array): Float64Array {
  // q < n, codes are < 256 = table length and ranks are < m ≤ n, hence the `!`s.
  const n = dist.length;
  const unique = dist.slice().sort();
  let m = 0;
  for (let q = 0; q < n; q++) if (q === 0 || unique[q] !== unique[m - 1]) unique[m++] = unique[q]!;
  // Rank the table's distinct areas.
  const areas = Float64Array.from(new Set(table)).sort();
  const areaRank = new Uint32Array(256);
  for (let c = 0; c < 256; c++) areaRank[c] = lowerBound(areas, areas.length, table[c]!);
  const keys = new Float64Array(n);
  for (let q = 0; q < n; q++) keys[q] = lowerBound(unique, m, dist[q]!) * 256 + areaRank[codes[q]!]!;
  keys.sort();
  const sortedAreas = new Float64Array(n);
  for (let q = 0; q < n; q++) {
    const key = keys[q]!;
    const dr = Math.floor(key / 256);
    dist[q] = unique[dr]!;
    sortedAreas[q] = areas[key - dr * 256]!;
  }
  return sortedAreas;
}

/**
 * sortPairs when every distance is known by its rank among `distinct`: the keys
 * rank·(number of distinct areas) + area rank are counting-sorted (no comparison sort), with the
 * same result. Overwrites `dist` with the sorted distances; returns the areas in that order.
 */
function sortPairsByRank(dist: Float64Array, rank: Int32Array, distinct: Float64Array, codes: Uint8Array, table: Float64Array): Float64Array {
  // Codes are < 256 = table length, ranks < distinct.length and keys < m·a, hence the `!`s.
  const n = dist.length;
  const areas = Float64Array.from(new Set(table)).sort();
  const a = areas.length;
  const areaRank = new Uint32Array(256);
  for (let c = 0; c < 256; c++) areaRank[c] = lowerBound(areas, a, table[c]!);
  const count = new Int32Array(distinct.length * a);
  for (let q = 0; q < n; q++) count[rank[q]! * a + areaRank[codes[q]!]!]!++;
  const sortedAreas = new Float64Array(n);
  for (let key = 0, p = 0; key < count.length; key++) {
    const c = count[key]!;
    if (c === 0) continue;
    const dr = Math.floor(key / a);
    dist.fill(distinct[dr]!, p, p + c);
    sortedAreas.fill(areas[key - dr * a]!, p, p + c);
    p += c;
  }
  return sortedAreas;
}

function lowerBound(a: Float64Array, n: number, x: number): number {
  // lo ≤ mid < hi ≤ n ≤ a.length, hence the `!`.
  let lo = 0,
    hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function surfelDistances(
  reference: Uint8Array,
  test: Uint8Array,
  grid: Grid,
  box: IndexBox,
  empty: NullReason | null,
  options: SurfaceDistanceOptions,
): SurfaceDistances {
  const cdims: Vec3 = [box.hi[0] - box.lo[0] + 2, box.hi[1] - box.lo[1] + 2, box.hi[2] - box.lo[2] + 2];
  const r = surfels(paddedCopy(reference, grid, box, options.padded), cdims);
  const t = surfels(paddedCopy(test, grid, box, options.padded), cdims);
  const table = surfelAreaTable(grid.spacingMm);
  const rt = directed(options, cdims, grid.spacingMm, t.at, r.at);
  const tr = directed(options, cdims, grid.spacingMm, r.at, t.at);
  const pairs = (d: Directed, codes: Uint8Array) =>
    d.rank && d.offsets ? sortPairsByRank(d.dist, d.rank, d.offsets.distinct, codes, table) : sortPairs(d.dist, codes, table);
  const referenceAreasMm2 = pairs(rt, r.codes);
  const testAreasMm2 = pairs(tr, t.codes);
  const referenceToTestMm = rt.dist;
  const testToReferenceMm = tr.dist;
  return { sampling: 'surfel', referenceToTestMm, testToReferenceMm, referenceAreasMm2, testAreasMm2, empty };
}
