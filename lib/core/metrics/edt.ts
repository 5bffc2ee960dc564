import { xyz } from '@/lib/core/volume';

/**
 * Exact squared Euclidean distance transform with anisotropic spacing, in place.
 *
 * Separable lower-envelope-of-parabolas algorithm (Felzenszwalb & Huttenlocher, "Distance
 * Transforms of Sampled Functions", Theory of Computing 8, 2012), one 1D pass per axis, O(n) per
 * line. Same result as scipy.ndimage.distance_transform_edt(~sites, sampling=spacing)**2 up to
 * floating-point rounding.
 *
 * The strided passes gather BLOCK neighbouring lines at a time so that memory is read in
 * contiguous runs rather than one cache line per element.
 *
 * @param buf Float64Array of dims[0]·dims[1]·dims[2], index i + nx·(j + ny·k): 0 at the sites,
 *   +Infinity elsewhere (any finite non-negative value is allowed and acts as an offset).
 *   Overwritten with the squared distance (mm²) to the nearest site (+Infinity everywhere when
 *   there is no site).
 * @param dims box size [nx, ny, nz] in voxels
 * @param spacingMm [sx, sy, sz] mm between voxel centres
 */
export function squaredEdtInPlace(buf: Float64Array, dims: readonly number[], spacingMm: readonly number[]): void {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  const [nx, ny, nz] = xyz(dims, 'squaredEdtInPlace dims');
  const maxN = Math.max(nx, ny, nz);
  const f = new Float64Array(BLOCK * maxN);
  const d = new Float64Array(maxN);
  const v = new Int32Array(maxN);
  const z = new Float64Array(maxN + 1);

  // Axis 0: rows are contiguous. Rows whose sites are all 0 (the usual binary case) need only
  // the nearest site on each side.
  const [sx, sy, sz] = xyz(spacingMm, 'squaredEdtInPlace spacingMm');
  for (let base = 0, end = nx * ny * nz; base < end; base += nx) {
    let any = false;
    let binary = true;
    for (let i = 0; i < nx; i++) {
      const val = buf[base + i];
      if (val !== Infinity) {
        any = true;
        if (val !== 0) binary = false;
      }
    }
    if (!any) continue;
    if (binary) {
      nearestSiteRow(buf, base, nx, sx);
    } else {
      for (let i = 0; i < nx; i++) f[i] = buf[base + i]!;
      envelope1d(f, 0, d, v, z, nx, sx);
      for (let i = 0; i < nx; i++) buf[base + i] = d[i]!;
    }
  }
  // Axis 1 (stride nx) and axis 2 (stride nx·ny), BLOCK adjacent lines at a time.
  const plane = nx * ny;
  for (let k = 0; k < nz; k++) stridedPass(buf, k * plane, nx, ny, nx, sy, f, d, v, z);
  stridedPass(buf, 0, plane, nz, plane, sz, f, d, v, z);
}

const BLOCK = 16;

/**
 * Run the 1D transform along lines start + p + n·stride (n < len) for p in [0, count); with
 * `need`, blocks of lines none of which is needed are left untouched.
 */
function stridedPass(
  buf: Float64Array,
  start: number,
  count: number,
  len: number,
  stride: number,
  s: number,
  f: Float64Array,
  d: Float64Array,
  v: Int32Array,
  z: Float64Array,
  need?: Uint8Array,
  band2 = Infinity,
): void {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  for (let p0 = 0; p0 < count; p0 += BLOCK) {
    const w = Math.min(BLOCK, count - p0);
    if (need) {
      let anyNeed = 0;
      for (let b = 0; b < w; b++) anyNeed |= need[p0 + b]!;
      if (!anyNeed) continue;
    }
    // Gather: f[b·len + n] = buf[start + p0 + b + n·stride]; contiguous reads of w values.
    let anyMask = 0;
    for (let n = 0; n < len; n++) {
      const row = start + p0 + n * stride;
      for (let b = 0; b < w; b++) {
        const val = buf[row + b]!;
        f[b * len + n] = val;
        if (val !== Infinity) anyMask |= 1 << b;
      }
    }
    if (anyMask === 0) continue;
    for (let b = 0; b < w; b++) {
      if ((anyMask & (1 << b)) === 0) continue;
      envelope1d(f, b * len, d, v, z, len, s);
      for (let n = 0; n < len; n++) f[b * len + n] = d[n]! > band2 ? Infinity : d[n]!;
    }
    const full = (1 << w) - 1;
    if (anyMask === full) {
      for (let n = 0; n < len; n++) {
        const row = start + p0 + n * stride;
        for (let b = 0; b < w; b++) buf[row + b] = f[b * len + n]!;
      }
    } else {
      // Lines that were all +Infinity are unchanged: write back only the transformed ones.
      for (let b = 0; b < w; b++) {
        if ((anyMask & (1 << b)) === 0) continue;
        for (let n = 0, q = start + p0 + b; n < len; n++, q += stride) buf[q] = f[b * len + n]!;
      }
    }
  }
}

/** Squared distance along one contiguous row to the nearest zero entry (sites are all 0). */
function nearestSiteRow(buf: Float64Array, base: number, n: number, s: number): void {
  // Every index below is bounded by its loop (arrays sized from the same counts), hence the `!`s.
  // Forward: distance to the last site at or before i; backward: take the nearer one.
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (buf[base + i] === 0) last = i;
    else if (last >= 0) {
      const dx = (i - last) * s;
      buf[base + i] = dx * dx;
    }
  }
  let next = -1;
  for (let i = n - 1; i >= 0; i--) {
    const val = buf[base + i]!;
    if (val === 0) next = i;
    else if (next >= 0) {
      const dx = (next - i) * s;
      const dd = dx * dx;
      if (dd < val) buf[base + i] = dd;
    }
  }
}

/**
 * d[q] = min_p ((q − p)·s)² + f[off + p] over the finite f (Felzenszwalb–Huttenlocher 1D pass).
 * Leaves d all +Infinity when every f is infinite.
 */
function envelope1d(f: Float64Array, off: number, d: Float64Array, v: Int32Array, z: Float64Array, n: number, s: number): void {
  // The lower-envelope indices k ≤ q < n and v[k] < n (Felzenszwalb–Huttenlocher), hence the `!`s.
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[off + q]!;
    if (fq === Infinity) continue;
    const xq = q * s;
    const hq = fq + xq * xq;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let sInt: number;
    for (;;) {
      const p = v[k]!;
      const xp = p * s;
      sInt = (hq - (f[off + p]! + xp * xp)) / (2 * (xq - xp));
      if (sInt <= z[k]! && k > 0) {
        k--;
        continue;
      }
      break;
    }
    if (sInt <= z[k]!) {
      // Only possible for k = 0 with z[0] = −∞ and an infinite intersection: replace.
      v[0] = q;
      z[1] = Infinity;
      continue;
    }
    k++;
    v[k] = q;
    z[k] = sInt;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    for (let q = 0; q < n; q++) d[q] = Infinity;
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    const xq = q * s;
    while (z[j + 1]! < xq) j++;
    const p = v[j]!;
    const dx = (q - p) * s;
    d[q] = dx * dx + f[off + p]!;
  }
}

/**
 * Distances (mm) from query voxels to the nearest site voxel of a box, by the same exact EDT,
 * without a separate initialisation pass: axis 0 is built row by row from the sorted site list
 * and axis 1 follows slice by slice while the slice is in cache; the last axis is only
 * transformed along the columns that hold a query.
 *
 * @param scratch Float64Array of at least dims[0]·dims[1]·dims[2] elements (overwritten)
 * @param sites box-local linear indices (i + nx·(j + ny·k)), ascending
 * @param queries box-local linear indices, any order
 * @param bandMm optional band: partial squared distances above bandMm² are dropped between
 *   passes, which skips most of the work far from the sites. Distances ≤ bandMm are still exact
 *   (every partial sum along the minimising path is ≤ the final distance); a query farther than
 *   the band gets +Infinity, so callers must recompute without a band when any query is
 *   infinite.
 * @returns Float64Array of query.length distances (mm); all +Infinity when there is no site
 */
export function distancesToSites(
  scratch: Float64Array,
  dims: readonly number[],
  spacingMm: readonly number[],
  sites: Int32Array,
  queries: Int32Array,
  bandMm = Infinity,
): Float64Array {
  // Sites and queries are voxel indices of the box (< nx·ny·nz); other indices are bounded by the loops, hence the `!`s.
  const out = new Float64Array(queries.length);
  if (sites.length === 0) return out.fill(Infinity);
  const [nx, ny, nz] = xyz(dims, 'distancesToSites dims');
  const buf = scratch;
  const [sx, sy, sz] = xyz(spacingMm, 'distancesToSites spacingMm');
  const band2 = bandMm * bandMm;
  const maxN = Math.max(nx, ny, nz);
  const f = new Float64Array(BLOCK * maxN);
  const d = new Float64Array(maxN);
  const v = new Int32Array(maxN);
  const z = new Float64Array(maxN + 1);
  const plane = nx * ny;
  // Axes 0 and 1 slice by slice, so the slice is still in cache for the second pass; colAny
  // marks the axis-1 lines (fixed i) of the slice that hold a finite value.
  const colAny = new Uint8Array(nx);
  let s = 0;
  for (let k = 0; k < nz; k++) {
    let anySite = false;
    colAny.fill(0);
    for (let base = k * plane, end = base + plane; base < end; base += nx) {
      if (s >= sites.length || sites[s]! >= base + nx) {
        buf.fill(Infinity, base, base + nx);
        continue;
      }
      anySite = true;
      // Axis 0 from the site list: squared distance to the nearest site in the row.
      let prev = -1;
      let i = 0;
      while (s < sites.length && sites[s]! < base + nx) {
        const site = sites[s++]! - base;
        for (; i < site; i++) {
          const dNext = (site - i) * sx;
          if (prev < 0) buf[base + i] = dNext * dNext;
          else {
            const dPrev = (i - prev) * sx;
            buf[base + i] = dPrev < dNext ? dPrev * dPrev : dNext * dNext;
          }
        }
        buf[base + site] = 0;
        i = site + 1;
        prev = site;
      }
      for (; i < nx; i++) {
        const dPrev = (i - prev) * sx;
        buf[base + i] = dPrev * dPrev;
      }
      if (band2 === Infinity) colAny.fill(1);
      else {
        for (let q = 0; q < nx; q++) {
          if (buf[base + q]! > band2) buf[base + q] = Infinity;
          else colAny[q] = 1;
        }
      }
    }
    if (anySite) stridedPass(buf, k * plane, nx, ny, nx, sy, f, d, v, z, colAny, band2);
  }
  if (nz > 1) {
    const need = new Uint8Array(plane);
    for (let q = 0; q < queries.length; q++) need[queries[q]! % plane] = 1;
    stridedPass(buf, 0, plane, nz, plane, sz, f, d, v, z, need, band2);
  }
  for (let q = 0; q < queries.length; q++) out[q] = Math.sqrt(buf[queries[q]!]!);
  return out;
}
