/**
 * Synthetic 512×512×177 CT-grid mask pairs for the metrics benchmark (0.977 × 0.977 × 3 mm).
 * - gtv: a reference ellipsoid of about 120 cc; the test is shifted (2, −1.5, 3) mm and
 *   dilated by 1.5 mm, with a 0.9 cc false-positive blob about 15 mm beyond its top.
 * - body: a reference ellipsoid of about 7 L (semi-axes 160 × 110 × 95 mm); the test is shifted
 *   (1.5, 2, −3) mm and dilated by 2 mm.
 * Both masks are rasterised voxel-centre-inside (no anti-aliasing), deterministic.
 */
import { IDENTITY_DIRECTION, type Grid } from '@/lib/core/volume';

export const BENCH_GRID: Grid = {
  dims: [512, 512, 177],
  spacingMm: [0.977, 0.977, 3],
  originMm: [-250, -250, -265.5],
  direction: IDENTITY_DIRECTION,
};

export interface Ellipsoid {
  centreMm: [number, number, number];
  semiAxesMm: [number, number, number];
}

export interface BenchPair {
  name: 'gtv' | 'body';
  reference: Ellipsoid[];
  test: Ellipsoid[];
}

const gtvAxes: [number, number, number] = [32, 28, 32];
export const BENCH_PAIRS: BenchPair[] = [
  {
    name: 'gtv',
    reference: [{ centreMm: [30, 10, 20], semiAxesMm: gtvAxes }],
    test: [
      { centreMm: [32, 8.5, 23], semiAxesMm: [gtvAxes[0] + 1.5, gtvAxes[1] + 1.5, gtvAxes[2] + 1.5] },
      { centreMm: [30, 10, 72], semiAxesMm: [6, 6, 6] },
    ],
  },
  {
    name: 'body',
    reference: [{ centreMm: [0, 0, 0], semiAxesMm: [160, 110, 95] }],
    test: [{ centreMm: [1.5, 2, -3], semiAxesMm: [162, 112, 97] }],
  },
];

/** Voxel (i, j, k) is inside when its centre lies in any ellipsoid. */
export function rasteriseEllipsoids(grid: Grid, shapes: Ellipsoid[]): Uint8Array {
  const [nx, ny, nz] = grid.dims;
  const [sx, sy, sz] = grid.spacingMm;
  // Written in full, as a decoded NIfTI would be: untouched zero pages would make the first scan
  // of the metrics pay the page faults.
  const out = new Uint8Array(nx * ny * nz).fill(0);
  for (const e of shapes) {
    const [cx, cy, cz] = e.centreMm;
    const [ax, ay, az] = e.semiAxesMm;
    for (let k = 0; k < nz; k++) {
      const z = (grid.originMm[2] + k * sz - cz) / az;
      if (z * z > 1) continue;
      for (let j = 0; j < ny; j++) {
        const y = (grid.originMm[1] + j * sy - cy) / ay;
        const rem = 1 - z * z - y * y;
        if (rem < 0) continue;
        const row = nx * (j + ny * k);
        for (let i = 0; i < nx; i++) {
          const x = (grid.originMm[0] + i * sx - cx) / ax;
          if (x * x <= rem) out[row + i] = 1;
        }
      }
    }
  }
  return out;
}
