/**
 * Exact squared Euclidean distance transform with anisotropic spacing, in place.
 *
 * Separable lower-envelope-of-parabolas algorithm (Felzenszwalb & Huttenlocher, "Distance
 * Transforms of Sampled Functions", Theory of Computing 8, 2012), one 1D pass per axis, O(n) per
 * line. Same result as scipy.ndimage.distance_transform_edt(~sites, sampling=spacing)**2 up to
 * floating-point rounding.
 *
 * @param buf Float64Array of dims[0]·dims[1]·dims[2], index i + nx·(j + ny·k): 0 at the sites,
 *   +Infinity elsewhere. Overwritten with the squared distance (mm²) to the nearest site
 *   (+Infinity everywhere when there is no site).
 * @param dims box size [nx, ny, nz] in voxels
 * @param spacingMm [sx, sy, sz] mm between voxel centres
 */
export function squaredEdtInPlace(buf: Float64Array, dims: readonly number[], spacingMm: readonly number[]): void {
  const [nx, ny, nz] = dims;
  const maxN = Math.max(nx, ny, nz);
  const f = new Float64Array(maxN);
  const d = new Float64Array(maxN);
  const v = new Int32Array(maxN);
  const z = new Float64Array(maxN + 1);

  // Axis 0: rows are contiguous.
  const sx = spacingMm[0];
  for (let row = 0, base = 0; row < ny * nz; row++, base += nx) {
    let any = false;
    for (let i = 0; i < nx; i++) {
      const val = buf[base + i];
      f[i] = val;
      if (val !== Infinity) any = true;
    }
    if (!any) continue;
    envelope1d(f, d, v, z, nx, sx);
    for (let i = 0; i < nx; i++) buf[base + i] = d[i];
  }
  // Axis 1: stride nx.
  const sy = spacingMm[1];
  for (let k = 0; k < nz; k++) {
    for (let i = 0; i < nx; i++) {
      const base = i + nx * ny * k;
      let any = false;
      for (let j = 0, p = base; j < ny; j++, p += nx) {
        const val = buf[p];
        f[j] = val;
        if (val !== Infinity) any = true;
      }
      if (!any) continue;
      envelope1d(f, d, v, z, ny, sy);
      for (let j = 0, p = base; j < ny; j++, p += nx) buf[p] = d[j];
    }
  }
  // Axis 2: stride nx·ny.
  const sz = spacingMm[2];
  const plane = nx * ny;
  for (let p0 = 0; p0 < plane; p0++) {
    let any = false;
    for (let k = 0, p = p0; k < nz; k++, p += plane) {
      const val = buf[p];
      f[k] = val;
      if (val !== Infinity) any = true;
    }
    if (!any) continue;
    envelope1d(f, d, v, z, nz, sz);
    for (let k = 0, p = p0; k < nz; k++, p += plane) buf[p] = d[k];
  }
}

/**
 * d[q] = min_p ((q − p)·s)² + f[p] over the finite f[p] (Felzenszwalb–Huttenlocher 1D pass).
 * Leaves d all +Infinity when every f is infinite.
 */
function envelope1d(f: Float64Array, d: Float64Array, v: Int32Array, z: Float64Array, n: number, s: number): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
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
    let sInt = 0;
    for (;;) {
      const p = v[k];
      const xp = p * s;
      sInt = (hq - (f[p] + xp * xp)) / (2 * (xq - xp));
      if (sInt <= z[k] && k > 0) {
        k--;
        continue;
      }
      break;
    }
    if (sInt <= z[k]) {
      // k == 0 and the new parabola dominates everywhere: replace.
      v[0] = q;
      z[0] = -Infinity;
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
    while (z[j + 1] < xq) j++;
    const p = v[j];
    const dx = (q - p) * s;
    d[q] = dx * dx + f[p];
  }
}
