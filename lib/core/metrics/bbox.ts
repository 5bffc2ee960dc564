import { xyz } from '@/lib/core/volume';

/** Inclusive voxel-index box [lo, hi] per axis; `null` for an empty mask. */
export interface IndexBox {
  lo: [number, number, number];
  hi: [number, number, number];
}

/**
 * Bounding box of the non-zero voxels of one or two masks (union), index order i + nx·(j + ny·k).
 * Skips all-zero rows word-wise, so sparse masks cost little more than a memory scan.
 * @returns the inclusive box, or null when every voxel is zero.
 */
export function boundingBox(dims: readonly number[], a: Uint8Array, b?: Uint8Array): IndexBox | null {
  // w < (row + nx) / 4 ≤ m32.length, hence the `!`.
  const [nx, ny, nz] = xyz(dims, 'boundingBox dims');
  let x0 = nx,
    y0 = ny,
    z0 = nz,
    x1 = -1,
    y1 = -1,
    z1 = -1;
  const masks = b ? [a, b] : [a];
  for (const m of masks) {
    // All-zero rows are skipped 4 bytes at a time when rows are word-aligned.
    const m32 = nx % 4 === 0 && m.byteOffset % 4 === 0 ? new Uint32Array(m.buffer, m.byteOffset, m.length >> 2) : null;
    const rowWords = nx >> 2;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        const row = nx * (j + ny * k);
        if (m32) {
          let any = 0;
          for (let w = row >> 2, end = w + rowWords; w < end; w++) any |= m32[w]!;
          if (any === 0) continue;
        }
        let first = -1;
        for (let i = 0; i < nx; i++)
          if (m[row + i] !== 0) {
            first = i;
            break;
          }
        if (first < 0) continue;
        let last = first;
        for (let i = nx - 1; i > first; i--)
          if (m[row + i] !== 0) {
            last = i;
            break;
          }
        if (first < x0) x0 = first;
        if (last > x1) x1 = last;
        if (j < y0) y0 = j;
        if (j > y1) y1 = j;
        if (k < z0) z0 = k;
        if (k > z1) z1 = k;
      }
    }
  }
  if (x1 < 0) return null;
  return { lo: [x0, y0, z0], hi: [x1, y1, z1] };
}

/** Union of two boxes (either may be null). */
export function unionBox(a: IndexBox | null, b: IndexBox | null): IndexBox | null {
  if (!a) return b;
  if (!b) return a;
  return {
    lo: [Math.min(a.lo[0], b.lo[0]), Math.min(a.lo[1], b.lo[1]), Math.min(a.lo[2], b.lo[2])],
    hi: [Math.max(a.hi[0], b.hi[0]), Math.max(a.hi[1], b.hi[1]), Math.max(a.hi[2], b.hi[2])],
  };
}
