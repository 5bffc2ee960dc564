import { describe, expect, it } from 'vitest';
import {
  IDENTITY_VIEW,
  MAX_ZOOM,
  clampView,
  imageToView,
  panView,
  pixelToViewPoint,
  viewPointToPixel,
  viewPointToVoxel,
  viewToImage,
  visibleRect,
  zoomView,
} from '@/lib/core/viewer';

describe('view transform (zoom and pan of one slice view)', () => {
  it('at zoom 1 the box shows the whole slice: box fractions are image fractions', () => {
    expect(viewToImage(IDENTITY_VIEW, [0.25, 0.75])).toEqual([0.25, 0.75]);
    expect(visibleRect(IDENTITY_VIEW, 512, 300)).toEqual({ x: 0, y: 0, w: 512, h: 300 });
    expect(viewPointToPixel(IDENTITY_VIEW, [0.999, 0], 512, 300)).toEqual({ col: 511, row: 0 });
  });

  it('zooming about a box point keeps the image point under it fixed', () => {
    const t = zoomView(IDENTITY_VIEW, 2, [0.25, 0.25]);
    expect(t.zoom).toBe(2);
    expect(viewToImage(t, [0.25, 0.25])).toEqual([0.25, 0.25]);
    expect(visibleRect(t, 100, 100)).toEqual({ x: 12.5, y: 12.5, w: 50, h: 50 });
    const t2 = zoomView(t, 2, [0.6, 0.4]);
    const before = viewToImage(t, [0.6, 0.4]);
    const after = viewToImage(t2, [0.6, 0.4]);
    expect(after[0]).toBeCloseTo(before[0], 12);
    expect(after[1]).toBeCloseTo(before[1], 12);
  });

  it('the zoom stays within 1..MAX_ZOOM and the window never leaves the image', () => {
    expect(zoomView(IDENTITY_VIEW, 0.5)).toEqual(IDENTITY_VIEW);
    expect(zoomView(IDENTITY_VIEW, 1000).zoom).toBe(MAX_ZOOM);
    // zoom at a corner: the window is clamped into the image
    const t = zoomView(IDENTITY_VIEW, 4, [0, 0]);
    expect(visibleRect(t, 400, 400)).toEqual({ x: 0, y: 0, w: 100, h: 100 });
    expect(clampView({ zoom: 2, centre: [5, -3] }).centre).toEqual([0.75, 0.25]);
    expect(clampView({ zoom: Number.NaN, centre: [Number.NaN, 0.2] })).toEqual(IDENTITY_VIEW);
  });

  it('a drag moves the image with the pointer, and not past its edges', () => {
    const t = zoomView(IDENTITY_VIEW, 4); // centre 0.5, window 0.25 wide
    const p = panView(t, 0.1, -0.2); // drag right and up: the image moves right and up
    expect(p.centre[0]).toBeCloseTo(0.5 - 0.1 / 4, 12);
    expect(p.centre[1]).toBeCloseTo(0.5 + 0.2 / 4, 12);
    // The point that was under the pointer is under the moved pointer.
    const grabbed = viewToImage(t, [0.5, 0.5]);
    const now = imageToView(p, grabbed);
    expect(now[0]).toBeCloseTo(0.6, 12);
    expect(now[1]).toBeCloseTo(0.3, 12);
    expect(panView(t, 10, 10).centre).toEqual([0.125, 0.125]);
    expect(panView(IDENTITY_VIEW, 0.3, 0.3)).toEqual(IDENTITY_VIEW);
  });

  it('view point → pixel → voxel, and the crosshair point of a pixel, invert each other when zoomed', () => {
    const t = zoomView(IDENTITY_VIEW, 3, [0.7, 0.2]);
    const width = 40;
    const height = 30;
    for (const [col, row] of [
      [25, 5],
      [30, 8],
      [22, 1],
    ] as const) {
      const at = pixelToViewPoint(t, col, row, width, height);
      expect(viewPointToPixel(t, at, width, height)).toEqual({ col, row });
    }
    const at = pixelToViewPoint(t, 25, 5, width, height);
    // coronal view of a 40×10×30 grid with superior up: col = i, row = k reversed.
    expect(viewPointToVoxel(t, at, { dims: [40, 10, 30], orientation: 'coronal', index: 4, flipK: true, width, height })).toEqual([25, 4, 24]);
    expect(viewPointToVoxel(t, at, { dims: [40, 30, 7], orientation: 'axial', index: 6, flipK: true, width, height })).toEqual([25, 5, 6]);
  });
});
