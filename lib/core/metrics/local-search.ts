/**
 * Nearest-site distances by a local search over lattice offsets sorted by length: the fast path
 * of the surface distances (surface-distances.ts), with the exact EDT (edt.ts) as the fallback.
 *
 * Surface elements of a pair worth auditing lie mostly within a few voxels of the other surface.
 * For such a query the nearest site is found by probing the offsets (dx, dy, dz) in ascending
 * order of their squared length until one holds a site: the work is proportional to the number of
 * lattice points closer than the answer, not to the bounding box as for a distance transform.
 *
 * Exactness: the squared length of an offset is computed in the same floating-point order as the
 * separable EDT builds it, fl(fl(Z²) + fl(fl(Y²) + fl(X²))) with X = fl(dx·sx), …, and the EDT's
 * result is the minimum of that value over the sites, so the first hit gives the same number
 * (ties between offsets of equal length give equal values). The tests compare both paths.
 */

/** Offsets within a radius, sorted by squared length; shared by every direction and sampling of one grid. */
export interface OffsetTable {
  spacingMm: readonly [number, number, number];
  /** Offset components, in sorted order. */
  dx: Int16Array;
  dy: Int16Array;
  dz: Int16Array;
  /** Distance (mm) of each offset, ascending. */
  distMm: Float64Array;
  /** Rank of each offset's distance among the distinct distances (ascending from 0). */
  rank: Int32Array;
  /** The distinct distances (mm), ascending: distinct[rank[o]] === distMm[o]. */
  distinct: Float64Array;
  /** Largest |dx|, |dy|, |dz| in the table (the padding the site bitmap needs per axis). */
  reach: [number, number, number];
  /** Every lattice point within this distance (mm) is in the table. */
  radiusMm: number;
}

/** At most this many offsets: a query farther than the table's radius goes to the EDT. */
const MAX_OFFSETS = 6000;

/**
 * The offsets of one spacing within the radius that holds about `maxOffsets` lattice points
 * (about 15 mm on a 0.98 × 0.98 × 3 mm CT grid, 11 mm on a 1 mm isotropic one).
 * @param spacingMm [sx, sy, sz] (mm)
 */
export function offsetTable(spacingMm: readonly number[], maxOffsets = MAX_OFFSETS): OffsetTable {
  const sx = spacingMm[0]!,
    sy = spacingMm[1]!,
    sz = spacingMm[2]!;
  // Lattice points in a ball of radius r: about 4/3·π·r³ / (sx·sy·sz); at least the nearest
  // neighbours along every axis.
  const r = Math.max(Math.cbrt((0.9 * maxOffsets * sx * sy * sz * 3) / (4 * Math.PI)), sx, sy, sz);
  const r2 = r * r;
  const ax = Math.floor(r / sx),
    ay = Math.floor(r / sy),
    az = Math.floor(r / sz);
  const list: { x: number; y: number; z: number; d2: number }[] = [];
  for (let z = -az; z <= az; z++) {
    const Z = z * sz;
    const z2 = Z * Z;
    for (let y = -ay; y <= ay; y++) {
      const Y = y * sy;
      const y2 = Y * Y;
      for (let x = -ax; x <= ax; x++) {
        const X = x * sx;
        // Same association as the EDT: axis 0, then axis 1 added, then axis 2 added.
        const d2 = z2 + (y2 + X * X);
        if (d2 <= r2) list.push({ x, y, z, d2 });
      }
    }
  }
  list.sort((a, b) => a.d2 - b.d2);
  const n = list.length;
  const t: OffsetTable = {
    spacingMm: [sx, sy, sz],
    dx: new Int16Array(n),
    dy: new Int16Array(n),
    dz: new Int16Array(n),
    distMm: new Float64Array(n),
    rank: new Int32Array(n),
    distinct: new Float64Array(n),
    reach: [ax, ay, az],
    radiusMm: r,
  };
  let m = 0;
  for (let o = 0; o < n; o++) {
    const e = list[o]!;
    t.dx[o] = e.x;
    t.dy[o] = e.y;
    t.dz[o] = e.z;
    const d = Math.sqrt(e.d2);
    t.distMm[o] = d;
    if (m === 0 || t.distinct[m - 1] !== d) t.distinct[m++] = d;
    t.rank[o] = m - 1;
  }
  t.distinct = t.distinct.slice(0, m);
  return t;
}

/** Result of the local search in one direction. */
export interface LocalDistances {
  /** Distance (mm) per query; NaN where the query is farther than the table's radius. */
  distMm: Float64Array;
  /** Rank in table.distinct per query; −1 where unresolved. */
  rank: Int32Array;
  /** Query positions (indices into the queries array) that are farther than the radius. */
  unresolved: Int32Array;
}

/**
 * Distances from each query to the nearest site within the table's radius.
 * @param dims box size [nx, ny, nz]; sites and queries are box-local indices i + nx·(j + ny·k)
 * @param sites non-empty
 * @returns null when more queries lie beyond the radius than are worth probing (the caller
 *   then runs the EDT for all of them)
 */
export function localDistances(table: OffsetTable, dims: readonly number[], sites: Int32Array, queries: Int32Array): LocalDistances | null {
  // Indices come from the box (< nx·ny·nz) and the padded bitmap has `reach` spare voxels on each side, hence the `!`s.
  const nx = dims[0]!,
    ny = dims[1]!,
    nz = dims[2]!;
  const [rx, ry, rz] = table.reach;
  const px = nx + 2 * rx,
    py = ny + 2 * ry,
    pz = nz + 2 * rz;
  const pplane = px * py;
  const bitmap = new Uint8Array(px * py * pz);
  const plane = nx * ny;
  const toPadded = (q: number): number => {
    const k = (q / plane) | 0;
    const rem = q - k * plane;
    const j = (rem / nx) | 0;
    const i = rem - j * nx;
    return i + rx + px * (j + ry) + pplane * (k + rz);
  };
  for (let s = 0; s < sites.length; s++) bitmap[toPadded(sites[s]!)] = 1;
  const n = table.dx.length;
  const lin = new Int32Array(n);
  for (let o = 0; o < n; o++) lin[o] = table.dx[o]! + px * table.dy[o]! + pplane * table.dz[o]!;
  const rankOf = table.rank;
  const distOf = table.distMm;
  const distMm = new Float64Array(queries.length);
  const rank = new Int32Array(queries.length);
  let unresolved = new Int32Array(16);
  let nu = 0;
  // Budget for far queries: each costs a full probe of the table (a few µs); beyond about 1/16
  // of the queries the pair is far apart and the EDT is cheaper.
  const budget = 64 + (queries.length >> 4);
  for (let q = 0; q < queries.length; q++) {
    const base = toPadded(queries[q]!);
    let o = 0;
    while (o < n && bitmap[base + lin[o]!] === 0) o++;
    if (o < n) {
      distMm[q] = distOf[o]!;
      rank[q] = rankOf[o]!;
      continue;
    }
    if (nu === budget) return null;
    if (nu === unresolved.length) {
      const grown = new Int32Array(nu * 2);
      grown.set(unresolved);
      unresolved = grown;
    }
    unresolved[nu++] = q;
    distMm[q] = NaN;
    rank[q] = -1;
  }
  return { distMm, rank, unresolved: unresolved.subarray(0, nu) };
}

/** Sorted distances from ranks alone (counting sort; every rank resolved). */
export function sortedByRank(table: OffsetTable, rank: Int32Array): Float64Array {
  const m = table.distinct.length;
  const count = new Int32Array(m);
  for (let q = 0; q < rank.length; q++) count[rank[q]!]!++;
  const out = new Float64Array(rank.length);
  for (let r = 0, p = 0; r < m; r++) {
    const c = count[r]!;
    if (c) out.fill(table.distinct[r]!, p, p + c);
    p += c;
  }
  return out;
}

/**
 * Exact distances from a few queries to every site, by brute force: the minimum over the sites of
 * the squared length in the EDT's order, fl(fl(Z²) + fl(fl(Y²) + fl(X²))), then its root, as the
 * local search. For the queries beyond the offset table's radius when queries × sites is small
 * (a distant false-positive blob), where a distance transform over the whole box costs more.
 * @param dims box size; sites and queries are box-local indices
 */
export function bruteForceDistances(dims: readonly number[], spacingMm: readonly number[], sites: Int32Array, queries: Int32Array): Float64Array {
  // Indices are bounded by the loops, hence the `!`s.
  const nx = dims[0]!,
    plane = nx * dims[1]!;
  const sx = spacingMm[0]!,
    sy = spacingMm[1]!,
    sz = spacingMm[2]!;
  const si = new Int32Array(sites.length),
    sj = new Int32Array(sites.length),
    sk = new Int32Array(sites.length);
  for (let s = 0; s < sites.length; s++) {
    const q = sites[s]!;
    const k = (q / plane) | 0;
    const j = ((q - k * plane) / nx) | 0;
    si[s] = q - k * plane - j * nx;
    sj[s] = j;
    sk[s] = k;
  }
  const out = new Float64Array(queries.length);
  for (let n = 0; n < queries.length; n++) {
    const q = queries[n]!;
    const k = (q / plane) | 0;
    const j = ((q - k * plane) / nx) | 0;
    const i = q - k * plane - j * nx;
    let best = Infinity;
    for (let s = 0; s < si.length; s++) {
      const X = (i - si[s]!) * sx;
      const Y = (j - sj[s]!) * sy;
      const Z = (k - sk[s]!) * sz;
      const d2 = Z * Z + (Y * Y + X * X);
      if (d2 < best) best = d2;
    }
    out[n] = Math.sqrt(best);
  }
  return out;
}
