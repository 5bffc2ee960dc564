import { describe, expect, it } from 'vitest';
import { rasterizeContours, type PlanarContourMm } from '@/lib/core/raster/rasterize-contours';
import { type Grid, IDENTITY_DIRECTION, indexToPatientMm } from '@/lib/core/volume';

const grid10: Grid = { dims: [10, 10, 3], spacingMm: [1, 1, 2], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };

function poly(xy: [number, number][], z: number): PlanarContourMm {
  return { pointsMm: xy.flatMap(([x, y]) => [x, y, z]) };
}

function sliceSet(mask: { data: Uint8Array; grid: Grid }, k: number): string[] {
  const [nx, ny] = mask.grid.dims;
  const out: string[] = [];
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) if (mask.data[i + nx * (j + ny * k)]) out.push(`${i},${j}`);
  return out;
}

/** Independent check: even–odd point-in-polygon in the slice plane's own 2D coordinates (mm). */
function insideMm(p: [number, number], ring: [number, number][]): boolean {
  let c = false;
  for (let a = 0, b = ring.length - 1; a < ring.length; b = a++) {
    const [xa, ya] = ring[a];
    const [xb, yb] = ring[b];
    if (ya > p[1] !== yb > p[1] && p[0] < ((xb - xa) * (p[1] - ya)) / (yb - ya) + xa) c = !c;
  }
  return c;
}

describe('rasterizeContours: hand-checkable cases', () => {
  it('a 3×2 mm rectangle with edges between voxel centres covers exactly 3×2 voxels on its slice', () => {
    const { mask, report } = rasterizeContours(grid10, [
      poly(
        [
          [1.5, 2.5],
          [4.5, 2.5],
          [4.5, 4.5],
          [1.5, 4.5],
        ],
        2,
      ),
    ]);
    expect(sliceSet(mask, 1)).toEqual(['2,3', '3,3', '4,3', '2,4', '3,4', '4,4']);
    expect(sliceSet(mask, 0)).toEqual([]);
    expect(sliceSet(mask, 2)).toEqual([]);
    expect(report.placements[0]).toMatchObject({ status: 'rasterised', slice: 1 });
  });

  it('voxel centres exactly on an edge: half-open rule (left/top edges in, right/bottom edges out), no rounding', () => {
    const { mask } = rasterizeContours(grid10, [
      poly(
        [
          [2, 2],
          [5, 2],
          [5, 4],
          [2, 4],
        ],
        0,
      ),
    ]);
    // x in [2, 5), y in [2, 4): 3 × 2 voxels, not 4 × 3 (rounding out) or 2 × 1 (rounding in).
    expect(sliceSet(mask, 0)).toEqual(['2,2', '3,2', '4,2', '2,3', '3,3', '4,3']);
    // Two rectangles sharing the edge x = 5 partition the voxels: no voxel is claimed twice.
    const a = rasterizeContours(grid10, [
      poly(
        [
          [2, 2],
          [5, 2],
          [5, 4],
          [2, 4],
        ],
        0,
      ),
    ]).mask.data;
    const b = rasterizeContours(grid10, [
      poly(
        [
          [5, 2],
          [8, 2],
          [8, 4],
          [5, 4],
        ],
        0,
      ),
    ]).mask.data;
    const u = rasterizeContours(grid10, [
      poly(
        [
          [2, 2],
          [8, 2],
          [8, 4],
          [2, 4],
        ],
        0,
      ),
    ]).mask.data;
    let both = 0;
    for (let t = 0; t < u.length; t++) {
      if (a[t] && b[t]) both++;
      expect(a[t] | b[t]).toBe(u[t]);
    }
    expect(both).toBe(0);
  });

  it('a thin sliver that contains no voxel centre gives an empty slice (no vertex rounding)', () => {
    const { mask } = rasterizeContours(grid10, [
      poly(
        [
          [3.1, 3.1],
          [3.9, 3.1],
          [3.9, 8.9],
          [3.1, 8.9],
        ],
        0,
      ),
    ]);
    expect(sliceSet(mask, 0)).toEqual([]);
  });

  it('nested hole (two contours) and keyhole (one contour) encodings give the same ring', () => {
    const outer: [number, number][] = [
      [0.5, 0.5],
      [8.5, 0.5],
      [8.5, 8.5],
      [0.5, 8.5],
    ];
    const inner: [number, number][] = [
      [2.5, 2.5],
      [6.5, 2.5],
      [6.5, 6.5],
      [2.5, 6.5],
    ];
    const nested = rasterizeContours(grid10, [poly(outer, 0), poly(inner.slice().reverse(), 0)]).mask;
    // Keyhole: outer ring, cut in along y = 4.5 to the hole, round the hole the other way, back out.
    const keyhole = rasterizeContours(grid10, [
      poly(
        [
          [0.5, 0.5],
          [8.5, 0.5],
          [8.5, 8.5],
          [0.5, 8.5],
          [0.5, 4.5],
          [2.5, 4.5],
          [2.5, 6.5],
          [6.5, 6.5],
          [6.5, 2.5],
          [2.5, 2.5],
          [2.5, 4.5],
          [0.5, 4.5],
        ],
        0,
      ),
    ]).mask;
    expect(sliceSet(nested, 0).length).toBe(64 - 16);
    expect(sliceSet(keyhole, 0)).toEqual(sliceSet(nested, 0));
    expect(sliceSet(nested, 0)).not.toContain('4,4');
    // Island inside the hole: XOR of three nested contours.
    const island = rasterizeContours(grid10, [
      poly(outer, 0),
      poly(inner, 0),
      poly(
        [
          [3.5, 3.5],
          [5.5, 3.5],
          [5.5, 5.5],
          [3.5, 5.5],
        ],
        0,
      ),
    ]).mask;
    expect(sliceSet(island, 0).length).toBe(64 - 16 + 4);
    expect(sliceSet(island, 0)).toContain('4,4');
  });

  it('reports contours between slices, non-planar and outside the grid, and skips them', () => {
    const sq = (z: number) =>
      poly(
        [
          [1.5, 1.5],
          [3.5, 1.5],
          [3.5, 3.5],
          [1.5, 3.5],
        ],
        z,
      );
    const tilted: PlanarContourMm = { pointsMm: [1.5, 1.5, 0, 3.5, 1.5, 0, 3.5, 3.5, 1, 1.5, 3.5, 1] };
    const { mask, report } = rasterizeContours(grid10, [
      sq(2.05),
      sq(3),
      tilted,
      sq(8),
      poly(
        [
          [20, 20],
          [30, 20],
          [30, 30],
        ],
        0,
      ),
      { pointsMm: [1, 1, 0, 2, 2, 0] },
    ]);
    expect(report.placements.map((p) => p.status)).toEqual(['rasterised', 'off-slice', 'non-planar', 'outside-grid', 'outside-grid', 'too-few-points']);
    expect(Math.abs(report.placements[1].offsetMm)).toBeCloseTo(1, 9);
    expect(report.placements[0].offsetMm).toBeCloseTo(0.05, 9);
    expect(report.pointsOffSlice).toBe(8);
    expect(mask.data.reduce((s, v) => s + v, 0)).toBe(4);
    const tight = rasterizeContours(grid10, [sq(2.05)], { sliceToleranceMm: 0.01 });
    expect(tight.report.counts['off-slice']).toBe(1);
  });

  it('clips a contour that runs off the image and flags it', () => {
    const { mask, report } = rasterizeContours(grid10, [
      poly(
        [
          [-5, -5],
          [2.5, -5],
          [2.5, 2.5],
          [-5, 2.5],
        ],
        0,
      ),
    ]);
    expect(report.placements[0].partlyOutside).toBe(true);
    expect(sliceSet(mask, 0)).toEqual(['0,0', '1,0', '2,0', '0,1', '1,1', '2,1', '0,2', '1,2', '2,2']);
  });

  it('throws a coded error on malformed input', () => {
    expect(() => rasterizeContours(grid10, [{ pointsMm: [1, 2] }])).toThrow(/multiple of 3/);
    expect(() => rasterizeContours({ ...grid10, spacingMm: [0, 1, 1] }, [])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('rasterizeContours: insideVoxels', () => {
  const sum = (d: Uint8Array) => d.reduce((s, v) => s + v, 0);
  const square = (x0: number, y0: number, x1: number, y1: number): [number, number][] => [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
  it('equals the sum of the mask for holes, islands, overlapping and clipped contours, a bow-tie and several slices', () => {
    const cases: PlanarContourMm[][] = [
      [poly(square(0.5, 0.5, 8.5, 8.5), 0), poly(square(2.5, 2.5, 6.5, 6.5), 0), poly(square(3.5, 3.5, 5.5, 5.5), 0)],
      // Two overlapping squares on one slice: XOR, the overlap is outside.
      [poly(square(1.2, 1.2, 6.3, 6.3), 2), poly(square(3.7, 3.7, 9.9, 9.9), 2)],
      [poly(square(-5, -5, 2.5, 2.5), 0), poly(square(7.5, 7.5, 15, 15), 4)],
      [
        poly(
          [
            [1, 1],
            [8, 8],
            [8, 1],
            [1, 8],
          ],
          2,
        ),
      ],
      [poly(square(2, 2, 5, 4), 0), poly(square(0.3, 0.7, 9.6, 9.2), 2), poly(square(4.4, 1.1, 7.7, 8.8), 4)],
    ];
    for (const contours of cases) {
      const { mask, report } = rasterizeContours(grid10, contours);
      expect(report.insideVoxels).toBe(sum(mask.data));
      expect(report.insideVoxels).toBeGreaterThan(0);
    }
    // Overlap check: the two squares' XOR is strictly less than their sum.
    const a = rasterizeContours(grid10, [poly(square(1.2, 1.2, 6.3, 6.3), 2)]).report.insideVoxels;
    const b = rasterizeContours(grid10, [poly(square(3.7, 3.7, 9.9, 9.9), 2)]).report.insideVoxels;
    expect(rasterizeContours(grid10, cases[1]).report.insideVoxels).toBeLessThan(a + b);
    expect(rasterizeContours(grid10, []).report.insideVoxels).toBe(0);
  });
});

describe('rasterizeContours: oblique orientation and anisotropic pixels', () => {
  // Rotation by 25° about z then 10° about x: columns are the i, j, k unit vectors.
  const c1 = Math.cos((25 * Math.PI) / 180);
  const s1 = Math.sin((25 * Math.PI) / 180);
  const c2 = Math.cos((10 * Math.PI) / 180);
  const s2 = Math.sin((10 * Math.PI) / 180);
  const u = [c1, s1 * c2, s1 * s2];
  const v = [-s1, c1 * c2, c1 * s2];
  const w = [0, -s2, c2];
  const grid: Grid = {
    dims: [40, 30, 4],
    spacingMm: [0.7, 1.3, 2.5],
    originMm: [-12, 7, 30],
    direction: [u[0], v[0], w[0], u[1], v[1], w[1], u[2], v[2], w[2]],
  };

  it('matches an independent in-plane point-in-polygon test at every voxel centre (mm space)', () => {
    // A concave polygon given in in-plane mm (along u, v) on slice 2, mapped to LPS.
    const ring: [number, number][] = [
      [1.1, 2.3],
      [22.7, 1.9],
      [25.3, 30.1],
      [13.9, 12.2],
      [4.4, 33.7],
      [8.15, 17.3],
    ];
    const o = indexToPatientMm(grid, 0, 0, 2);
    const toLps = ([a, b]: [number, number]) => [0, 1, 2].map((n) => o[n] + a * u[n] + b * v[n]);
    const { mask, report } = rasterizeContours(grid, [{ pointsMm: ring.flatMap(toLps) }]);
    expect(report.placements[0]).toMatchObject({ status: 'rasterised', slice: 2 });
    const [nx, ny] = grid.dims;
    let count = 0;
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = indexToPatientMm(grid, i, j, 2);
        const d = [p[0] - o[0], p[1] - o[1], p[2] - o[2]];
        const a = d[0] * u[0] + d[1] * u[1] + d[2] * u[2];
        const b = d[0] * v[0] + d[1] * v[1] + d[2] * v[2];
        const expected = insideMm([a, b], ring) ? 1 : 0;
        expect(mask.data[i + nx * (j + ny * 2)], `voxel ${i},${j}`).toBe(expected);
        count += expected;
      }
    expect(count).toBeGreaterThan(100);
    expect(mask.data.reduce((s, x) => s + x, 0)).toBe(count);
  });
});

describe('rasterizeContours: speed on a CT-sized grid', () => {
  it('a 512×512×200 grid with a 100-slice, 720-point body contour is filled exactly', () => {
    const grid: Grid = { dims: [512, 512, 200], spacingMm: [0.9765625, 0.9765625, 2.5], originMm: [-249.5, -249.5, -300], direction: IDENTITY_DIRECTION };
    // Ellipse with a wavy boundary, semi-axes about 200 × 130 mm, with a hole, on slices 50..149.
    const contours: PlanarContourMm[] = [];
    const radius = (t: number, k: number) => 1 + 0.05 * Math.sin(7 * t + k / 10);
    for (let k = 50; k < 150; k++) {
      const z = -300 + 2.5 * k;
      const pts: number[] = [];
      for (let q = 0; q < 720; q++) {
        const t = (2 * Math.PI * q) / 720;
        const r = radius(t, k);
        pts.push(200 * r * Math.cos(t) + 0.3, 130 * r * Math.sin(t) - 0.2, z);
      }
      contours.push({ pointsMm: pts });
      contours.push({ pointsMm: [-30.1, -20.2, z, 30.3, -20.2, z, 30.3, 20.4, z, -30.1, 20.4, z] });
    }
    const t0 = performance.now();
    const { mask, report } = rasterizeContours(grid, contours);
    const ms = performance.now() - t0;
    console.log(`rasterizeContours 512×512×200, 100 slices × (720 + 4) points: ${ms.toFixed(0)} ms`);
    expect(report.counts.rasterised).toBe(200);
    // Spot-check rows against an independent even–odd test in mm at voxel centres.
    const [nx, ny] = grid.dims;
    for (const k of [50, 99, 149]) {
      const ring: [number, number][] = [];
      const pts = contours[2 * (k - 50)].pointsMm;
      for (let q = 0; q < pts.length; q += 3) ring.push([pts[q], pts[q + 1]]);
      const hole: [number, number][] = [
        [-30.1, -20.2],
        [30.3, -20.2],
        [30.3, 20.4],
        [-30.1, 20.4],
      ];
      for (const j of [0, 128, 255, 256, 300, 383, 511]) {
        for (let i = 0; i < nx; i++) {
          const x = -249.5 + i * 0.9765625;
          const y = -249.5 + j * 0.9765625;
          const expected = insideMm([x, y], ring) !== insideMm([x, y], hole) ? 1 : 0;
          expect(mask.data[i + nx * (j + ny * k)], `voxel ${i},${j},${k}`).toBe(expected);
        }
      }
    }
    let n0 = 0;
    for (let t = 0; t < nx * ny * 50; t++) n0 += mask.data[t];
    expect(n0).toBe(0);
  });
});
