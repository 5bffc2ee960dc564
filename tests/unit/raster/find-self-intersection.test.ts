import { describe, expect, it } from 'vitest';
import { findSelfIntersection } from '@/lib/core/raster/find-self-intersection';
import { rasterizeContours } from '@/lib/core/raster/rasterize-contours';
import type { Grid } from '@/lib/core/volume';

const poly = (pts: [number, number][]) => ({ xs: pts.map((p) => p[0]), ys: pts.map((p) => p[1]) });

describe('findSelfIntersection', () => {
  it('finds the crossing of a bow-tie, and where it is', () => {
    const { xs, ys } = poly([
      [0, 0],
      [4, 4],
      [4, 0],
      [0, 4],
    ]);
    const hit = findSelfIntersection(xs, ys);
    expect(hit).not.toBeNull();
    expect(hit!.edges).toEqual([0, 2]);
    expect(hit!.at[0]).toBeCloseTo(2, 12);
    expect(hit!.at[1]).toBeCloseTo(2, 12);
  });

  it('a simple outline, a keyhole (cut traversed twice) and a touch at one point are not crossings', () => {
    expect(
      findSelfIntersection(
        ...(Object.values(
          poly([
            [0, 0],
            [4, 0],
            [4, 4],
            [0, 4],
          ]),
        ) as [number[], number[]]),
      ),
    ).toBeNull();
    // outer square with an inner square joined by a cut from (0,2) to (1,2), traversed both ways
    const keyhole = poly([
      [0, 0],
      [4, 0],
      [4, 4],
      [0, 4],
      [0, 2],
      [1, 2],
      [1, 3],
      [3, 3],
      [3, 1],
      [1, 1],
      [1, 2],
      [0, 2],
    ]);
    expect(findSelfIntersection(keyhole.xs, keyhole.ys)).toBeNull();
    // two triangles meeting at the point (2, 2): touching, not crossing
    const touch = poly([
      [0, 0],
      [2, 2],
      [4, 0],
      [4, 4],
      [2, 2],
      [0, 4],
    ]);
    expect(findSelfIntersection(touch.xs, touch.ys)).toBeNull();
  });

  it('a smooth 2000-point circle is simple; swapping two points makes it cross', () => {
    const n = 2000;
    const xs = Array.from({ length: n }, (_, t) => 50 * Math.cos((2 * Math.PI * t) / n));
    const ys = Array.from({ length: n }, (_, t) => 50 * Math.sin((2 * Math.PI * t) / n));
    expect(findSelfIntersection(xs, ys)).toBeNull();
    [xs[10], xs[600]] = [xs[600], xs[10]];
    [ys[10], ys[600]] = [ys[600], ys[10]];
    expect(findSelfIntersection(xs, ys)).not.toBeNull();
  });
});

describe('rasterizeContours with a bow-tie', () => {
  const grid: Grid = { dims: [10, 10, 1], spacingMm: [1, 1, 1], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  it('rasterises it by the even–odd rule as before and marks the placement with where it crosses', () => {
    const bowtie = { pointsMm: [1, 1, 0, 8, 8, 0, 8, 1, 0, 1, 8, 0] };
    const { mask, report } = rasterizeContours(grid, [bowtie]);
    expect(report.placements[0].status).toBe('rasterised');
    expect(report.placements[0].selfIntersectionMm).toEqual([4.5, 4.5, 0]);
    // two triangles (left and right lobes), symmetric
    const row = (j: number) => Array.from(mask.data.subarray(10 * j, 10 * j + 10)).join('');
    expect(row(2)).toBe('0100000100');
    expect(mask.data.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const square = rasterizeContours(grid, [{ pointsMm: [1, 1, 0, 8, 1, 0, 8, 8, 0, 1, 8, 0] }]);
    expect(square.report.placements[0].selfIntersectionMm).toBeUndefined();
  });
});
